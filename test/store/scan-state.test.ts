// The scan-state store: save/load round trip, the bounded cache (eviction, reload, no lost counts, memory pressure),
// timeouts over evicted state, the change feed, profiles and retention — on a real SQLite file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Detector } from '../../src/detect/engine.ts';
import { MemoryDirectory } from '../../src/detect/memory-directory.ts';
import { TcpFlag } from '../../src/domain/events.ts';
import { scanProfile } from '../../src/domain/scan-profile.ts';
import { openStore } from '../../src/store/db.ts';
import type { Db } from '../../src/store/db.ts';
import { ProfileReader } from '../../src/store/profile-read.ts';
import { Retention } from '../../src/store/retention.ts';
import { ScanCache } from '../../src/store/scan-cache.ts';
import { ScanQuery } from '../../src/store/scan-query.ts';
import { ev, rules, T0 } from '../detect/helpers.ts';

const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const d of dbs.splice(0)) d.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function store(): Db {
  const d = mkdtempSync(join(tmpdir(), 'pw-scan-'));
  dirs.push(d);
  const db = openStore(d);
  dbs.push(db);
  return db;
}

/** A mixed workload: scans, signatures, ICMP, IPv6, several sensors. */
function workload(n: number) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const src = i % 7 === 0 ? `2001:db8::${(i % 50).toString(16)}` : `198.51.${Math.floor(i / 250) % 200}.${i % 250}`;
    out.push(ev({ src, dport: 40000 + (i % 37), time: T0 + i * 10, host: i % 3 ? 'a' : 'b' }));
    if (i % 11 === 0) out.push(ev({ src, dport: 1433, time: T0 + i * 10 }));
    if (i % 13 === 0) out.push(ev({ src, proto: src.includes(':') ? 58 : 1, flags: undefined, sport: undefined, dport: undefined, icmpType: 8, icmpCode: 4, icmpId: 1, icmpSeq: 1, time: T0 + i * 10 }));
  }
  return out;
}

/** The workload counted in memory only (own mode, timed intervals): the reference a store-backed run must equal. */
function inMemory(r: ReturnType<typeof rules>, events: ReturnType<typeof workload>): MemoryDirectory {
  const mem = new MemoryDirectory();
  const d = new Detector(r, mem, 'timed');
  for (const e of events) d.ingest(e);
  d.finish();
  return mem;
}

describe('scan state in the store', () => {
  it('round-trips a source exactly (save, load, profile)', () => {
    const db = store();
    const r = rules({ compat: false });
    const mem = new MemoryDirectory();
    const d = new Detector(r, mem, 'timed');
    for (const e of workload(400)) d.ingest(e);
    d.finish();
    const cache = new ScanCache(db, { maxHot: 1000, memoryBudget: 1e12 });
    for (const s of mem.sources.values()) {
      // an in-memory directory tracks no changes: its states are written in full
      s.dirty.full = true;
      cache.repo.save(s, 1);
      const back = cache.repo.load(s.ip)!;
      expect(scanProfile(back)).toEqual(scanProfile(s));
      const plain = (m: typeof s.pairs) => [...m.values()].map(({ expBucket: _b, ...rest }) => rest);
      expect(plain(back.pairs)).toEqual(plain(s.pairs));
    }
    const reader = new ProfileReader(db);
    const some = [...mem.sources.values()][3]!;
    expect(reader.one(some.ip)).toEqual(scanProfile(some));
    expect(reader.one('192.0.2.250')).toBeNull();
    // every save recorded a change for the feed
    expect(db.prepare('SELECT count(DISTINCT ip) FROM profile_changes').pluck().get()).toBe(mem.sources.size);
  });

  it('evicts cold sources under a small cap and loses no counts (same result as unbounded memory)', () => {
    const r = rules({ compat: false });
    const events = workload(2500);
    const mem = inMemory(r, events);

    const db = store();
    const notices: string[] = [];
    const cache = new ScanCache(db, { maxHot: 200, memoryBudget: 1e12, notice: (m) => notices.push(m) });
    const dc = new Detector(r, cache, 'timed');
    for (const e of events) dc.ingest(e);
    dc.finish();
    cache.flush();
    expect(cache.stats.evicted).toBeGreaterThan(300);
    expect(cache.stats.reloaded).toBeGreaterThan(50);
    expect(cache.hotCount).toBeLessThanOrEqual(201);
    expect(notices.join()).toContain('detect.maxHotSources');
    const reader = new ProfileReader(db);
    for (const s of mem.sources.values()) expect(reader.one(s.ip), s.ip).toEqual(scanProfile(s));
    const q = new ScanQuery(db);
    expect(q.totalSources()).toBe(mem.sources.size);
    expect(db.prepare('SELECT sum(packets) FROM sources').pluck().get()).toBe(dc.totals.counted);
  });

  it('opens its store only when it must evict, and then writes in full what was counted before (analyze in memory)', () => {
    const r = rules({ compat: false });
    const events = workload(2500);
    const mem = inMemory(r, events);

    let db: ReturnType<typeof store> | null = null;
    const cache = new ScanCache(() => (db = store()), { maxHot: 600, memoryBudget: 1e12 });
    const dc = new Detector(r, cache, 'timed');
    let opened = -1;
    events.forEach((e, i) => {
      dc.ingest(e);
      if (opened < 0 && cache.opened) opened = i;
    });
    dc.finish();
    // hundreds of sources were counted in memory, untracked, before the first eviction opened the store
    expect(opened).toBeGreaterThan(600);
    expect(cache.stats.evicted).toBeGreaterThan(0);
    cache.flush();
    const reader = new ProfileReader(db!);
    for (const s of mem.sources.values()) expect(reader.one(s.ip), s.ip).toEqual(scanProfile(s));
  });

  it('sheds sources early under memory pressure and says which setting to raise', () => {
    const db = store();
    let heap = 0;
    const notices: string[] = [];
    const cache = new ScanCache(db, { maxHot: 100_000, memoryBudget: 1000, heapUsed: () => heap, notice: (m) => notices.push(m) });
    const d = new Detector(rules(), cache, 'timed');
    for (let i = 0; i < 3000; i++) {
      if (i === 1500) heap = 800;
      d.ingest(ev({ src: `10.0.${Math.floor(i / 250)}.${i % 250}`, time: T0 + i }));
    }
    expect(cache.hotCount).toBeLessThan(1500);
    expect(notices.join()).toContain('detect.memoryBudget');
  });

  it('assigns levels to sources evicted during the interval and times out stored windows', () => {
    const db = store();
    const r = rules({ compat: true });
    const cache = new ScanCache(db, { maxHot: 100, memoryBudget: 1e12 });
    const d = new Detector(r, cache, 'timed');
    // the scanner's packets come first, then 500 other sources push it out of memory within the same interval
    for (let i = 0; i < 20; i++) d.ingest(ev({ src: '192.0.2.1', dport: 40000 + i, time: T0 }));
    for (let i = 0; i < 500; i++) d.ingest(ev({ src: `10.1.${Math.floor(i / 250)}.${i % 250}`, time: T0 + 1 }));
    d.ingest(ev({ src: '10.9.9.9', time: T0 + 10_000 }));
    cache.flush();
    expect(cache.repo.load('192.0.2.1')?.dl).toBe(2);
    // an hour later the stored window is expired even though the source is not in memory
    for (let i = 0; i < 500; i++) d.ingest(ev({ src: `10.2.${Math.floor(i / 250)}.${i % 250}`, time: T0 + 3_700_000 + i }));
    d.ingest(ev({ src: '10.9.9.8', time: T0 + 3_800_000 }));
    cache.flush();
    const s = cache.repo.load('192.0.2.1')!;
    expect(s.pairs.get('203.0.113.1')).toMatchObject({ live: false, absnum: 0, packets: 20 });
    expect(s.dl).toBe(2);
  });

  it('prunes sources past retention with everything that hangs off them, and compacts', () => {
    const db = store();
    const cache = new ScanCache(db, { maxHot: 1000, memoryBudget: 1e12 });
    const d = new Detector(rules(), cache, 'timed');
    for (let i = 0; i < 300; i++) d.ingest(ev({ src: `10.3.${Math.floor(i / 250)}.${i % 250}`, dport: 1433, time: T0 + (i < 200 ? 0 : 86_400_000) }));
    d.finish();
    cache.flush();
    const res = new Retention(db).prune(T0 + 1000, { step: 50 });
    expect(res.sources).toBe(200);
    const count = (t: string): unknown => db.prepare(`SELECT count(*) FROM ${t}`).pluck().get();
    expect(count('sources')).toBe(100);
    expect(count('detect_sources')).toBe(100);
    expect(count('detect_pairs')).toBe(100);
    expect(count('detect_sig_hits')).toBe(100);
  });

  it('keeps flags, prefixes, chains and sensors per destination in the profile', () => {
    const db = store();
    const cache = new ScanCache(db, { maxHot: 10, memoryBudget: 1e12 });
    const d = new Detector(rules(), cache, 'timed');
    d.ingest(ev({ src: '192.0.2.7', flags: TcpFlag.FIN, prefix: 'DROP IN', host: 'fw1' }));
    d.ingest(ev({ src: '192.0.2.7', chain: 'FORWARD', outIf: 'eth1', host: 'fw2', dport: 40001 }));
    d.finish();
    cache.flush();
    const p = new ProfileReader(db).one('192.0.2.7')!;
    expect(p.sensors.sort()).toEqual(['fw1', 'fw2']);
    expect(p.chains.sort()).toEqual(['FORWARD', 'INPUT']);
    expect(p.destinations[0]!.flags.map((f) => f.flags).sort()).toEqual(['FIN', 'SYN']);
    expect(p.destinations[0]!.prefixes.map((f) => f.prefix).sort()).toEqual(['DROP', 'DROP IN']);
    expect(p.ports.map((x) => x.port).sort()).toEqual([40000, 40001]);
  });
});
