// FileFollower: partial lines, batches with offsets, rename-and-create and copytruncate rotation, resume, fromEnd.
import { appendFileSync, copyFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogOffset } from '../../src/domain/log-offset.ts';
import type { LogBatch } from '../../src/logs/batch.ts';
import { FileFollower } from '../../src/logs/follow-file.ts';
import type { FollowNotice } from '../../src/logs/follow-file.ts';
import { FirewallLineParser } from '../../src/logs/parse-line.ts';
import { fwLine, fwLines } from './helpers/lines.ts';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'pwlog-follow-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

/** A follower that records every packet's UID and the last offset. */
function recorder(path: string, extra: Partial<ConstructorParameters<typeof FileFollower>[0]> = {}) {
  const seqs: number[] = [];
  const batches: LogBatch[] = [];
  const notices: FollowNotice[] = [];
  let offset: LogOffset | undefined;
  const f = new FileFollower({
    path, parser: new FirewallLineParser({ timezone: 'UTC' }), batchSize: 100, pollIntervalMs: 20,
    onBatch: (b) => { batches.push(b); for (const p of b.packets) seqs.push(p.uid!); if (b.offset) offset = b.offset; },
    onNotice: (n) => notices.push(n),
    ...extra,
  });
  return { f, seqs, batches, notices, offset: () => offset };
}

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a }, (_, i) => a + i);
}

describe('FileFollower', () => {
  it('reads a file once to its end (follow: false) in batches with the offset after each', async () => {
    const p = join(dir, 'fw.log');
    writeFileSync(p, `${fwLines(0, 250)}not a firewall line\n${fwLine(250)}`); // last line has no newline
    const r = recorder(p, { follow: false });
    await r.f.start();
    await r.f.done;
    expect(r.seqs).toEqual(range(0, 251));
    expect(r.batches.map((b) => b.lines)).toEqual([100, 100, 52]);
    expect(r.batches[0]!.offset!.line).toBe(100);
    expect(Number(r.batches[0]!.offset!.position)).toBe(Buffer.byteLength(fwLines(0, 100)));
  });

  it('holds a partial line until its newline arrives', async () => {
    const p = join(dir, 'fw.log');
    const l = fwLine(1);
    writeFileSync(p, `${fwLine(0)}\n${l.slice(0, 50)}`);
    const r = recorder(p);
    await r.f.start();
    await r.f.idle();
    expect(r.seqs).toEqual([0]);
    expect(Number(r.offset()!.position)).toBe(fwLine(0).length + 1);
    appendFileSync(p, `${l.slice(50)}\n`);
    await r.f.idle();
    await r.f.idle();
    expect(r.seqs).toEqual([0, 1]);
    await r.f.stop();
  });

  it('follows rename-and-create rotation, including late writes to the renamed file', async () => {
    const p = join(dir, 'fw.log');
    writeFileSync(p, fwLines(0, 120));
    const r = recorder(p);
    await r.f.start();
    await r.f.idle();
    renameSync(p, `${p}.1`);
    appendFileSync(`${p}.1`, fwLines(120, 130)); // the writer still had the old file open
    writeFileSync(p, fwLines(130, 200));
    await r.f.idle();
    await r.f.idle();
    await r.f.idle();
    expect(r.seqs).toEqual(range(0, 200));
    expect(r.notices.some((n) => n.kind === 'rotated')).toBe(true);
    await r.f.stop();
  });

  it('follows copytruncate and recovers lines written between the last read and the truncation', async () => {
    const p = join(dir, 'fw.log');
    writeFileSync(p, fwLines(0, 50));
    const r = recorder(p, { pollIntervalMs: 60_000 }); // no polling: we decide when it looks
    await r.f.start();
    await r.f.idle();
    appendFileSync(p, fwLines(50, 60)); // not read yet when logrotate copies and truncates
    copyFileSync(p, `${p}.1`);
    truncateSync(p, 0);
    appendFileSync(p, fwLines(60, 75));
    await r.f.idle();
    await r.f.idle();
    expect(r.seqs).toEqual(range(0, 75));
    const t = r.notices.find((n) => n.kind === 'truncated');
    expect(t).toMatchObject({ kind: 'truncated', recoveredFrom: `${p}.1` });
    await r.f.stop();
  });

  it('resumes from a stored offset, and finishes a file rotated while it was down', async () => {
    const p = join(dir, 'fw.log');
    writeFileSync(p, fwLines(0, 100));
    const a = recorder(p, { follow: false });
    await a.f.start();
    await a.f.done;
    const stored = a.offset()!;
    appendFileSync(p, fwLines(100, 110));
    renameSync(p, `${p}.1`);
    writeFileSync(p, fwLines(110, 130));
    const b = recorder(p, { start: stored });
    await b.f.start();
    await b.f.idle();
    expect(b.seqs).toEqual(range(100, 130));
    expect(b.notices.map((n) => n.kind)).toContain('recovered');
    await b.f.stop();
    // same identity: plain resume
    const c = recorder(p, { start: b.offset(), follow: false });
    appendFileSync(p, fwLines(130, 140));
    await c.f.start();
    await c.f.done;
    expect(c.seqs).toEqual(range(130, 140));
  });

  it('fromEnd skips history of a file seen for the first time, starting at the line being written', async () => {
    const p = join(dir, 'fw.log');
    writeFileSync(p, `${fwLines(0, 10)}${fwLine(10).slice(0, 30)}`);
    const r = recorder(p, { fromEnd: true });
    await r.f.start();
    await r.f.idle();
    appendFileSync(p, `${fwLine(10).slice(30)}\n${fwLines(11, 13)}`);
    await r.f.idle();
    await r.f.idle();
    expect(r.seqs).toEqual([10, 11, 12]);
    await r.f.stop();
  });

  it('waits for a file that does not exist yet and reads it from its start', async () => {
    const p = join(dir, 'later.log');
    const r = recorder(p);
    await r.f.start();
    expect(r.f.ready).toBe(false);
    writeFileSync(p, fwLines(0, 5));
    for (let i = 0; i < 50 && r.seqs.length < 5; i++) await new Promise((res) => setTimeout(res, 20));
    expect(r.seqs).toEqual(range(0, 5));
    expect(r.f.ready).toBe(true);
    await r.f.stop();
  });

  it('a 1 MB line is one too-long error and the next line is intact', async () => {
    const p = join(dir, 'fw.log');
    writeFileSync(p, `${fwLine(0)}\nNov 26 14:22:44 h kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 ${'A'.repeat(1 << 20)}\n${fwLine(1)}\n`);
    const r = recorder(p, { follow: false, readChunk: 65536 });
    await r.f.start();
    await r.f.done;
    expect(r.seqs).toEqual([0, 1]);
    const errs = r.batches.flatMap((b) => b.errors);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ reason: 'too-long', line: 2 });
  });
});
