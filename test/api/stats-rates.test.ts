// GET /stats change rates: exact for a quiet outbox, bounded work (a sample of the newest changes) under a flood.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.ts';
import { openStore } from '../../src/store/db.ts';
import { RATE_SAMPLE, SqliteStats } from '../../src/store/queries/stats.ts';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'pw-rates-'));
  dirs.push(dir);
  const db = openStore(dir);
  const clock = new ManualClock(Date.UTC(2026, 0, 10));
  const stats = new SqliteStats(db, clock);
  const add = db.prepare('INSERT INTO profile_changes (ip, version, kind, time) VALUES (?, 1, ?, 0)');
  /** n changes, every `every`-th of them an enrichment. */
  const changes = (n: number, every: number): void => {
    db.transaction(() => { for (let i = 0; i < n; i++) add.run(`192.0.2.${i % 250}`, i % every === 0 ? 'enrich' : 'detect'); })();
  };
  return { db, clock, stats, changes };
}

describe('change rates in /stats', () => {
  it('counts every change of a quiet window exactly', () => {
    const { db, clock, stats, changes } = setup();
    changes(1000, 4);
    clock.set(clock.now() + 60_000);
    expect(stats.stats(1).changesPerMinute).toEqual({ detect: 750, enrich: 250 });
    db.close();
  });

  it('under a flood reads only the newest changes: the total stays exact, the split by kind is the newest changes\' split', () => {
    const { db, clock, stats, changes } = setup();
    changes(RATE_SAMPLE * 9, 1_000_000_000); // detection only (one enrichment, the first)
    changes(RATE_SAMPLE, 2); // then half of them enrichments: all the sample sees
    clock.set(clock.now() + 120_000);
    const r = stats.stats(1).changesPerMinute;
    expect(r.detect! + r.enrich!).toBeCloseTo(RATE_SAMPLE * 10 / 2, 0);
    // counting every row would say 10 % enrichments; the bounded sample says what the newest changes are
    expect(r.enrich! / (r.detect! + r.enrich!)).toBeCloseTo(0.5, 2);
    db.close();
  });
});
