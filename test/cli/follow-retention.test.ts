// follow's housekeeping: sources not seen (by event time) for store.retention are pruned on the compactInterval
// schedule, with everything hanging off them, and the freed pages go back to the file system.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startFollow } from '../../src/cli/follow.ts';
import { loadConfig } from '../../src/config/load.ts';

const tmp = mkdtempSync(join(tmpdir(), 'pw-follow-ret-'));
afterAll(() => { rmSync(tmp, { recursive: true, force: true }); });

const line = (t: string, src: string, port: number): string =>
  `Nov 20 ${t} gw kernel: DROP IN=eth0 OUT= SRC=${src} DST=198.51.100.1 LEN=44 TOS=0x00 PREC=0x00 TTL=40 ID=1 PROTO=TCP ` +
  `SPT=40000 DPT=${port} WINDOW=1024 RES=0x00 SYN URGP=0\n`;

function count(data: string, sql: string): number {
  const db = new Database(join(data, 'probewatch.sqlite'), { readonly: true });
  try {
    return db.prepare(sql).pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('follow retention', () => {
  it('prunes sources past retention on schedule while following', async () => {
    const log = join(tmp, 'fw.log');
    const data = join(tmp, 'data');
    // 300 old sources at 08:00, then one at 12:00: with a retention of one hour the old ones go at the next run
    writeFileSync(log, Array.from({ length: 300 }, (_, i) => line('08:00:00', `10.9.${Math.floor(i / 250)}.${i % 250}`, 22)).join(''));
    const base = loadConfig({ env: {} }).config;
    const config = structuredClone(base);
    config.core.dataDir = data;
    config.core.logLevel = 'info';
    config.logs.files = [log];
    config.logs.pollInterval = 0.05;
    config.logs.timezone = 'UTC';
    config.detect.checkInterval = 1;
    config.store.retention = 3600;
    config.store.compactInterval = 1;
    const notes: string[] = [];
    const s = await startFollow(config, { notice: (m) => notes.push(m) });
    try {
      const until = async (what: string, f: () => boolean): Promise<void> => {
        const end = Date.now() + 30_000;
        while (!f()) {
          if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${notes.join(' | ')}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await until('the old sources', () => count(data, 'SELECT count(*) FROM sources') === 300);
      appendFileSync(log, line('12:00:00', '198.51.100.77', 80));
      await until('the pruning', () => notes.some((n) => /retention: pruned 300 sources/.test(n)));
    } finally {
      await s.stop();
    }
    expect(count(data, 'SELECT count(*) FROM sources')).toBe(1);
    expect(count(data, 'SELECT ip FROM sources') as unknown).toBe('198.51.100.77');
    expect(count(data, 'SELECT count(*) FROM detect_pairs')).toBe(1);
    expect(count(data, 'SELECT count(*) FROM detect_sources')).toBe(1);
    // the file is in incremental auto-vacuum mode, so the pruning's freed pages can be given back
    expect(count(data, 'PRAGMA auto_vacuum')).toBe(2);
  }, 60_000);
});
