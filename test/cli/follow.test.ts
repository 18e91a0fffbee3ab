// follow in real child processes: a log that grows while probewatch reads it, a kill -9 in the middle, a restart — and
// every line counted exactly once, with the same per-source result as analysing the whole file at once.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { runAnalysis } from '../../src/cli/analysis.ts';
import { loadDetectRules } from '../../src/cli/detect-setup.ts';
import { resolve } from '../../src/config/load.ts';
import { MemoryDirectory } from '../../src/detect/memory-directory.ts';

const BIN = new URL('../../bin/probewatch.js', import.meta.url).pathname;
const LINES = gunzipSync(readFileSync(new URL('../../fixtures/cases/c1-nmap-stock/input.log.gz', import.meta.url))).toString('utf8')
  .split('\n').filter((l) => l.length > 0);
const tmp = mkdtempSync(join(tmpdir(), 'pw-follow-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function committedLine(data: string, log: string): number {
  const file = join(data, 'probewatch.sqlite');
  if (!existsSync(file)) return -1;
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare('SELECT line FROM log_offsets WHERE source = ?').get(log) as { line: number } | undefined;
      return row?.line ?? -1;
    } finally {
      db.close();
    }
  } catch {
    return -1;
  }
}

async function until(what: string, test: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function follow(data: string, log: string, config: string): ChildProcess {
  const c = spawn(process.execPath, [BIN, 'follow', '--data-dir', data, '--log', log, '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  c.stderr.resume();
  children.push(c);
  return c;
}

describe('probewatch follow', () => {
  it('resumes after kill -9 without losing or double-counting a line', async () => {
    const log = join(tmp, 'fw.log');
    const data = join(tmp, 'data');
    const config = join(tmp, 'pw.yaml');
    writeFileSync(config, 'logs:\n  batchSize: 40\n  pollInterval: 0.05\n');
    writeFileSync(log, `${LINES.slice(0, 1000).join('\n')}\n`);
    const a = follow(data, log, config);
    await until('the first 1000 lines', () => committedLine(data, log) >= 1000);
    appendFileSync(log, `${LINES.slice(1000, 3000).join('\n')}\n`);
    await until('the next batch', () => committedLine(data, log) > 1000);
    a.kill('SIGKILL');
    await new Promise((r) => a.once('exit', r));
    const atKill = committedLine(data, log);
    expect(atKill).toBeLessThan(3000);

    const b = follow(data, log, config);
    appendFileSync(log, `${LINES.slice(3000).join('\n')}\n`);
    await until('every line', () => committedLine(data, log) === LINES.length);
    b.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => b.once('exit', r));
    expect(code).toBe(0);

    const db = new Database(join(data, 'probewatch.sqlite'), { readonly: true });
    const outcomes = db.prepare("SELECT key, count FROM detect_counters WHERE kind = 'outcome'").all() as { key: string; count: number }[];
    const total = outcomes.reduce((n, o) => n + o.count, 0);
    const counted = outcomes.find((o) => o.key === 'counted')?.count;
    const perSource = new Map((db.prepare('SELECT ip, packets, danger_level AS dl FROM sources').all() as { ip: string; packets: number; dl: number }[])
      .map((r) => [r.ip, [r.packets, r.dl]]));
    db.close();
    expect(total).toBe(LINES.length);

    // the same file analysed in one go (own mode, the same interval logic) gives the same sources, counts and levels
    const { config: cfg } = resolve([]);
    const directory = new MemoryDirectory();
    await runAnalysis({ config: cfg, rules: loadDetectRules(cfg).rules, directory, inputs: [log] });
    const expected = new Map([...directory.sources.values()].map((s) => [s.ip, [s.packets, s.dl]]));
    expect(counted).toBe([...expected.values()].reduce((n, [p]) => n + p!, 0));
    expect(perSource).toEqual(expected);
  }, 120_000);
});
