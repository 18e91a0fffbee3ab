// kill -9 resume: a follower in a child process committing to a real SQLite file is killed twice (once across a
// rotation); every line ends up counted exactly once.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { fwLines } from './helpers/lines.ts';

const child = fileURLToPath(new URL('./helpers/follow-child.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pwlog-kill-'));
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

function start(log: string, mode: string, delay: number): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', child, join(dir, 'data'), log, mode, String(delay)], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function exited(c: ChildProcess): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  let stderr = '';
  c.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((r) => c.on('exit', (code, signal) => { r({ code, signal, stderr }); }));
}

function count(): number {
  try {
    const db = new Database(join(dir, 'data', 'probewatch.sqlite'), { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM t_seen').get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created yet
  }
}

async function until(pred: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('kill -9 and resume', () => {
  it('counts every line exactly once across two kills and a rotation', async () => {
    const log = join(dir, 'fw.log');
    writeFileSync(log, fwLines(0, 30_000));

    // 1: killed mid-file
    const c1 = start(log, 'follow', 5);
    const e1 = exited(c1);
    await until(() => count() >= 3000, 60_000);
    c1.kill('SIGKILL');
    expect((await e1).signal).toBe('SIGKILL');
    const after1 = count();
    expect(after1).toBeLessThan(30_000);

    // while it is down: the writer adds to the old file, logrotate renames it, the writer starts a new one
    appendFileSync(log, fwLines(30_000, 32_000));
    renameSync(log, `${log}.1`);
    writeFileSync(log, fwLines(32_000, 42_000));

    // 2: killed again, somewhere in the rotated or the new file
    const c2 = start(log, 'follow', 5);
    const e2 = exited(c2);
    await until(() => count() >= after1 + 5000, 60_000);
    c2.kill('SIGKILL');
    expect((await e2).signal).toBe('SIGKILL');
    appendFileSync(log, fwLines(42_000, 45_000));

    // 3: runs to the end and stops cleanly
    const c3 = start(log, 'follow', 0);
    const e3 = exited(c3);
    await until(() => count() >= 45_000, 60_000);
    c3.kill('SIGTERM');
    const r3 = await e3;
    expect(r3.stderr).toBe('');
    expect(r3.code).toBe(0);

    const db = new Database(join(dir, 'data', 'probewatch.sqlite'), { readonly: true });
    const row = db.prepare('SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM t_seen').get() as { n: number; lo: number; hi: number };
    db.close();
    expect(row).toEqual({ n: 45_000, lo: 0, hi: 44_999 });
  }, 120_000);
});
