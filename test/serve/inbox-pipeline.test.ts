// The log pipeline's intake of handed-over batches, in-process: counted once (a lost claim counts nothing), enrichment
// queued, and no response for sources only handed-over batches touched.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EnrichRuntime } from '../../src/cli/enrich-runtime.ts';
import { decodeBatch, encodeBatch } from '../../src/cli/inbox-codec.ts';
import { logPipeline } from '../../src/cli/serve-pipeline.ts';
import { loadConfig } from '../../src/config/load.ts';
import { systemClock } from '../../src/domain/clock.ts';
import type { ScanNotice } from '../../src/domain/response.ts';
import { BatchBuilder } from '../../src/logs/batch.ts';
import type { LogBatch } from '../../src/logs/batch.ts';
import { FirewallLineParser } from '../../src/logs/parse-line.ts';
import type { ResponseService } from '../../src/respond/response-service.ts';
import { stderrLogger } from '../../src/service.ts';
import { openStore } from '../../src/store/db.ts';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** A 60-port SYN scan from `src` as log lines. */
function scanLines(src: string): string[] {
  const out: string[] = [];
  for (let i = 1; i <= 60; i++) {
    const stamp = new Date(Date.UTC(2026, 0, 10, 12, 0, i)).toISOString();
    out.push(`${stamp} fw1 kernel: DROP IN=eth0 OUT= SRC=${src} DST=192.0.2.1 LEN=44 TOS=0x00 PREC=0x00 TTL=47 ID=${i} PROTO=TCP SPT=40001 DPT=${1000 + i} WINDOW=1024 RES=0x00 SYN URGP=0`);
  }
  return out;
}

/** The scan as one parsed batch. */
function scan(src: string): LogBatch {
  const p = new FirewallLineParser();
  const b = new BatchBuilder('old.log');
  scanLines(src).forEach((text, i) => { b.add(p.parse(text, i + 1), text, i + 1); });
  return b.take();
}

/** A pipeline on a fresh store with recording response and enrichment stubs. */
function harness(files: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'pw-inbox-'));
  dirs.push(dir);
  const loaded = loadConfig({ env: {}, flags: { 'data-dir': dir } }).config;
  const config = { ...loaded, logs: { ...loaded.logs, files, pollInterval: 0.05 } };
  const db = openStore(dir);
  const notices: ScanNotice[] = [];
  const enqueued: string[] = [];
  const response = { handle: (n: ScanNotice) => { notices.push(n); return Promise.resolve(); } } as unknown as ResponseService;
  const enrich = { queue: { enqueue: (items: { ip: string }[]) => { enqueued.push(...items.map((i) => i.ip)); } }, worker: { poke: () => undefined } } as unknown as EnrichRuntime;
  const p = logPipeline({ db, config, clock: systemClock, log: stderrLogger('fatal'), enrich, response, reader: { read: () => null }, always: true });
  if (!p) throw new Error('no pipeline');
  return { dir, db, p, notices, enqueued };
}

describe('handed-over batches in the serve pipeline', () => {
  it('counts a batch once, queues enrichment and triggers no response for it', async () => {
    const { db, p, notices, enqueued } = harness();
    await p.start();
    expect(p.ready()).toBe(true);
    const batch = decodeBatch('old.log', encodeBatch(scan('198.51.100.61')));
    expect(batch.packets).toHaveLength(60);
    expect(p.commitForeign(batch, () => true)).toBe(true);
    // a batch another process claimed first is not counted
    expect(p.commitForeign(batch, () => false)).toBe(false);
    await p.stop();
    expect(db.prepare('SELECT packets FROM sources WHERE ip = ?').pluck().get('198.51.100.61')).toBe(60);
    expect(db.prepare('SELECT danger_level FROM sources WHERE ip = ?').pluck().get('198.51.100.61')).toBeGreaterThanOrEqual(2);
    expect(enqueued).toContain('198.51.100.61');
    expect(notices).toEqual([]);
    db.close();
  });

  it('control: the same lines read from a followed file do reach the response stage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-inbox-log-'));
    dirs.push(dir);
    const log = join(dir, 'fw.log');
    writeFileSync(log, `${scanLines('198.51.100.62').join('\n')}\n`);
    const { db, p, notices } = harness([log]);
    await p.start();
    for (let i = 0; i < 100 && db.prepare('SELECT packets FROM sources WHERE ip = ?').pluck().get('198.51.100.62') !== 60; i++) await new Promise((r) => setTimeout(r, 50));
    await p.stop();
    expect(notices.map((n) => n.ip)).toContain('198.51.100.62');
    db.close();
  });
});

describe('the inbox encoding', () => {
  it('carries the line texts only when asked (FW_SEARCH_ALL N needs them), never misaligned', () => {
    const b = scan('198.51.100.63');
    const plain = decodeBatch('old.log', encodeBatch(b));
    expect(plain.texts).toEqual([]);
    const full = decodeBatch('old.log', encodeBatch(b, true));
    expect(full.texts).toHaveLength(60);
    expect(full.texts[5]).toBe(b.texts[5]);
    expect(full.texts[5]).toContain('DPT=1006');
    // texts that do not line up with the packets are dropped rather than matched against the wrong packet
    const bad = JSON.parse(encodeBatch(b, true)) as { texts: string[] };
    bad.texts.pop();
    expect(decodeBatch('old.log', JSON.stringify(bad)).texts).toEqual([]);
  });
});
