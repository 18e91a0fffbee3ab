// The dashboard rollups against brute-force truth from the simulator: timeline, cards, ports, countries, levels, pruning.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ManualClock } from '../../src/domain/clock.ts';
import { hourOf, windowRange } from '../../src/domain/dashboard.ts';
import { dashboard as dashSection } from '../../src/config/sections/dashboard.ts';
import { openStore } from '../../src/store/db.ts';
import type { Db } from '../../src/store/db.ts';
import { RollupWriter } from '../../src/store/rollups.ts';
import { SqliteDashboard, spanParts } from '../../src/store/rollups-read.ts';
import { emptySketch, sketchAdd, sketchCount, sketchMerge } from '../../src/store/rollups-hll.ts';
import { Sim, testAddress, traffic } from './sim.ts';

const END = Date.UTC(2026, 5, 15, 12, 30, 0);
const opts = { ...dashSection.defaults, batch: dashSection.defaults.rollupBatch };

let dir: string;
let db: Db;
let clock: ManualClock;
let sim: Sim;
let writer: RollupWriter;
let dash: SqliteDashboard;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pw-ui-'));
  db = openStore(dir);
  clock = new ManualClock(END);
  sim = new Sim(db);
  writer = new RollupWriter(db, sim, { ...opts, batch: 50 }, clock);
  dash = new SqliteDashboard(db, opts, clock);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Replays packets in detect-like batches of at most `every` packets that never span an hour boundary (a change's
 * packets are filed under the hour of its last packet), folding rollups now and then.
 */
function replay(packets: ReturnType<typeof traffic>, every = 200, lagging = false): void {
  let i = 0;
  let n = 0;
  while (i < packets.length) {
    const h = hourOf(packets[i]!.time);
    let j = i;
    while (j < packets.length && j - i < every && hourOf(packets[j]!.time) === h) j++;
    sim.apply(packets.slice(i, j));
    i = j;
    // serve folds after every ingest batch; a writer that lags files a source's packets under its latest hour
    if (lagging && n++ % 3 !== 0) continue;
    writer.step();
  }
  writer.catchUp();
}

describe('rollups', () => {
  it('timeline and cards equal the brute-force counts', () => {
    const packets = traffic(7, 160, 60, END);
    replay(packets);
    const o = dash.overview('24h', END);
    const { current: c, previous: p } = windowRange('24h', END);
    expect(o.timeline.time).toHaveLength(24);
    expect(o.timeline.time[0]).toBe(c.from * 3600);
    for (let i = 0; i < 24; i++) {
      const h = c.from + i;
      expect(o.timeline.packets[i], `packets hour ${i}`).toBe(sim.packetsByHour.get(h) ?? 0);
      expect(o.timeline.newSources[i], `new hour ${i}`).toBe(sim.newByHour.get(h) ?? 0);
      expect(o.timeline.reachedDl4[i], `dl4 hour ${i}`).toBe(sim.dl4ByHour.get(h) ?? 0);
    }
    const sum = (m: Map<number, number>, a: number, b: number): number => {
      let s = 0;
      for (let h = a; h <= b; h++) s += m.get(h) ?? 0;
      return s;
    };
    expect(o.cards.sources.value).toBe(sim.sources.size);
    expect(o.cards.sources.previous).toBe(sim.sources.size - sum(sim.newByHour, c.from, c.to));
    expect(o.cards.newSources).toMatchObject({ value: sum(sim.newByHour, c.from, c.to), previous: sum(sim.newByHour, p.from, p.to) });
    expect(o.cards.packetsPerHour.value).toBeCloseTo(sum(sim.packetsByHour, c.from, c.to) / 24, 1);
    // seen in the window: exact (last-seen histogram)
    let seen = 0;
    for (const s of sim.sources.values()) if (hourOf(Date.parse(s.profile.lastSeen)) >= c.from) seen++;
    expect(o.cards.active.value).toBe(seen);
    expect(seen).toBe(sim.activeIn(c.from, c.to));
    // the previous window's distinct count is a sketch estimate (rms error ≈ 1.6 at this size): within 8 or 3 %
    const truth = sim.activeIn(p.from, p.to);
    expect(Math.abs((o.cards.active.previous ?? 0) - truth)).toBeLessThanOrEqual(Math.max(8, truth * 0.03));
    const byLevel = [0, 0, 0, 0, 0, 0];
    for (const s of sim.sources.values()) byLevel[s.profile.dangerLevel]!++;
    expect(o.cards.levels.map((l) => l.value)).toEqual(byLevel);
    expect(byLevel[4]! + byLevel[5]!).toBeGreaterThan(0);
    // every source is pending enrichment until the worker finishes it
    expect(o.cards.enrichBacklog.value).toBe(sim.sources.size);
    expect(o.lag).toBe(0);
  });

  it('a lagging writer keeps totals exact and files packets no earlier than they happened', () => {
    const packets = traffic(7, 160, 60, END);
    replay(packets, 200, true);
    const o = dash.overview('24h', END);
    const filed = new Map(db.prepare<[], { hour: number; packets: number }>('SELECT hour, packets FROM ui_hours').all().map((r) => [r.hour, r.packets]));
    const hours = [...new Set([...filed.keys(), ...sim.packetsByHour.keys()])].sort((a, b) => a - b);
    let cumTruth = 0;
    let cumRoll = 0;
    for (const h of hours) {
      cumTruth += sim.packetsByHour.get(h) ?? 0;
      cumRoll += filed.get(h) ?? 0;
      // everything filed up to an hour had happened by then
      expect(cumRoll).toBeLessThanOrEqual(cumTruth);
    }
    expect(o.timeline.packets.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const total = db.prepare<[], number>('SELECT sum(packets) FROM ui_hours').pluck().get();
    expect(total).toBe(packets.length);
    expect(o.cards.sources.value).toBe(sim.sources.size);
  });

  it('a past window rolls the counts back to its end', () => {
    const packets = traffic(11, 200, 96, END);
    replay(packets);
    const end = END - 36 * 3_600_000;
    const o = dash.overview('24h', end);
    const lastHour = hourOf(end);
    let atEnd = 0;
    const levels = [0, 0, 0, 0, 0, 0];
    for (const s of sim.sources.values()) {
      if (hourOf(Date.parse(s.profile.firstSeen)) > lastHour) continue;
      atEnd++;
      let l = 0;
      for (const st of s.profile.dangerHistory) if (hourOf(Date.parse(st.time)) <= lastHour) l = st.level;
      levels[l]!++;
    }
    expect(o.cards.sources.value).toBe(atEnd);
    expect(o.cards.levels.map((l) => l.value)).toEqual(levels);
    expect(o.cards.active.estimate).toBe(true);
  });

  it('ports, protocols and countries', () => {
    const packets = traffic(3, 150, 30, END);
    replay(packets);
    const { current: c } = windowRange('24h', END);
    const r = dash.ports('24h', END, 5);
    expect(r.bucket).toBe('hour');
    expect(r.buckets).toHaveLength(24);
    expect(r.ports).toHaveLength(5);
    const truth = new Map<string, number>();
    let all = 0;
    for (const [k, n] of sim.portByHour) {
      const [h, port] = k.split('\t') as [string, string];
      if (Number(h) < c.from || Number(h) > c.to) continue;
      truth.set(port, (truth.get(port) ?? 0) + n);
      all += n;
    }
    const top = [...truth].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 5);
    expect(r.ports.map((x) => [x.port, x.packets])).toEqual(top);
    for (const row of r.ports) expect(row.cells.reduce((a, b) => a + b, 0)).toBe(row.packets);
    expect(r.otherPackets).toBe(all - top.reduce((s, x) => s + x[1], 0));
    expect(r.protocols.map((x) => x.proto).sort()).toEqual(['tcp', 'udp']);
    const daily = dash.ports('30d', END, 3);
    expect(daily.bucket).toBe('day');
    expect(daily.buckets).toHaveLength(31);

    const cc = dash.countries('24h', END);
    const want = new Map<string, number>();
    let unknown = 0;
    for (const s of sim.sources.values()) {
      if (hourOf(Date.parse(s.profile.lastSeen)) < c.from) continue;
      const k = s.profile.geo?.country ?? '';
      if (k === '') unknown++;
      else want.set(k, (want.get(k) ?? 0) + 1);
    }
    expect(new Map(cc.countries.map((x) => [x.code, x.sources]))).toEqual(want);
    expect(cc.unknown).toBe(unknown);
    const us = cc.countries.find((x) => x.code === 'US');
    expect(us).toMatchObject({ numeric: '840', name: 'United States' });
  });

  it('level changes, per-source timeline, enrichment backlog and pruning', () => {
    const ip = testAddress(1);
    const t = END - 5 * 3_600_000;
    const pk = Array.from({ length: 1600 }, (_, i) => ({ ip, time: t + i * 1000, proto: 'tcp' as const, port: 22 }));
    sim.apply(pk.slice(0, 10));
    writer.catchUp();
    sim.apply(pk.slice(10));
    writer.catchUp();
    const changes = dash.levelChanges(0, 50);
    expect(changes.map((c) => [c.from, c.to])).toEqual([[1, 4], [0, 1]]);
    expect(changes[0]!.time).toBe(new Date(t + 1499 * 1000).toISOString());
    expect(dash.levelChanges(changes[0]!.id, 50)).toEqual([]);
    const tl = dash.sourceTimeline(ip, '24h', END)!;
    expect(tl.packets.reduce((a, b) => a + b, 0)).toBe(1600);
    expect(tl.levels.map((l) => l.level)).toEqual([1, 4]);
    expect(dash.sourceTimeline('192.0.2.250', '24h', END)).toBeNull();

    expect(dash.overview('24h', END).cards.enrichBacklog.value).toBe(1);
    sim.enrich(ip);
    writer.catchUp();
    expect(dash.overview('24h', END).cards.enrichBacklog.value).toBe(0);

    // a pruned source leaves the totals and the map; it is counted as removed in the hour it went
    sim.prune(ip);
    db.prepare("INSERT INTO profile_changes (ip, version, kind, time) VALUES (?, 0, 'detect', ?)").run(ip, END);
    writer.catchUp();
    const o = dash.overview('24h', END);
    expect(o.cards.sources.value).toBe(0);
    expect(o.cards.levels.map((l) => l.value)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(dash.countries('24h', END).countries).toEqual([]);
    expect(dash.sourceTimeline(ip, '24h', END)).toBeNull();
  });

  it('a store with sources before the dashboard existed is walked once', () => {
    const packets = traffic(5, 120, 20, END);
    for (let i = 0; i < packets.length; i += 500) sim.apply(packets.slice(i, i + 500));
    // forget what the rollups did: as if migration 50 ran on a populated store
    db.exec('DELETE FROM ui_state; DELETE FROM ui_totals; DELETE FROM ui_hours; DELETE FROM ui_seen_hours; DELETE FROM ui_seen_days');
    db.prepare("UPDATE ui_meta SET value = '' WHERE key = 'backfill'").run();
    db.prepare("INSERT OR REPLACE INTO ui_meta (key, value) VALUES ('seq', (SELECT max(seq) FROM profile_changes))").run();
    const w = new RollupWriter(db, sim, { ...opts, batch: 37 }, clock);
    w.catchUp();
    const o = dash.overview('24h', END);
    expect(o.cards.sources.value).toBe(sim.sources.size);
    expect(o.timeline.newSources.reduce((a, b) => a + b, 0)).toBe(sim.sources.size);
    expect(o.timeline.packets.reduce((a, b) => a + b, 0)).toBe(packets.length);
  });

  it('caps ports per open hour, compacts closed hours into "other", keeps totals exact', () => {
    const ip = testAddress(2);
    const t = END - 3 * 3_600_000;
    const sweep = Array.from({ length: 300 }, (_, i) => ({ ip, time: t + i, proto: 'tcp' as const, port: 1 + i }));
    const w = new RollupWriter(db, sim, { ...opts, batch: 50, openHourPorts: 100, portsPerHour: 20 }, clock);
    sim.apply(sweep);
    w.catchUp();
    const h = hourOf(t);
    const rows = (): number => db.prepare<[number], number>('SELECT count(*) FROM ui_port_hours WHERE hour = ?').pluck().get(h)!;
    const total = (): number => db.prepare<[number], number>('SELECT sum(packets) FROM ui_port_hours WHERE hour = ?').pluck().get(h)!;
    expect(rows()).toBe(65); // 64 followed ports of the source + other
    expect(total()).toBe(300);
    // a later hour closes this one: compaction folds it to 20 ports + other
    sim.apply([{ ip, time: END - 60_000, proto: 'tcp', port: 22 }]);
    w.catchUp();
    w.maintain();
    expect(rows()).toBe(21);
    expect(total()).toBe(300);
    const r = dash.ports('24h', END, 10);
    expect(r.ports.reduce((s, x) => s + x.packets, 0) + r.otherPackets).toBe(301);
  });

  it('retention drops old buckets', () => {
    sim.apply(traffic(9, 50, 10, END - 200 * 86_400_000));
    sim.apply(traffic(10, 50, 10, END));
    writer.catchUp();
    const before = db.prepare<[], number>('SELECT count(*) FROM ui_hours').pluck().get()!;
    writer.maintain();
    const after = db.prepare<[], number>('SELECT count(*) FROM ui_hours').pluck().get()!;
    expect(after).toBeLessThan(before);
    expect(db.prepare<[number], number>('SELECT count(*) FROM ui_hours WHERE hour < ?').pluck().get(hourOf(END - 100 * 86_400_000))).toBe(0);
    expect(db.prepare<[number], number>('SELECT count(*) FROM ui_source_hours WHERE hour < ?').pluck().get(hourOf(END - 100 * 86_400_000))).toBe(0);
  });
});

describe('span and sketch helpers', () => {
  it('spanParts covers every hour exactly once', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 400 }), (from, len) => {
      const to = from + len;
      const seen = new Map<number, number>();
      const p = spanParts(from, to);
      for (const [a, b] of p.hours) for (let h = a; h <= b; h++) seen.set(h, (seen.get(h) ?? 0) + 1);
      if (p.days) for (let d = p.days[0]; d <= p.days[1]; d++) for (let h = d * 24; h < d * 24 + 24; h++) seen.set(h, (seen.get(h) ?? 0) + 1);
      expect(seen.size).toBe(len + 1);
      for (const [h, n] of seen) {
        expect(n).toBe(1);
        expect(h >= from && h <= to).toBe(true);
      }
    }));
  });

  it('HyperLogLog: near exact when small, within 3 % at 100 000, merge = union', () => {
    const a = emptySketch();
    for (let i = 0; i < 500; i++) sketchAdd(a, testAddress(i));
    // linear counting's standard error at 500 of 4096 registers is about 6
    expect(Math.abs(sketchCount(a) - 500)).toBeLessThanOrEqual(20);
    const b = emptySketch();
    const c = emptySketch();
    for (let i = 0; i < 100_000; i++) sketchAdd(i % 2 ? b : c, `2001:db8:1::${i.toString(16)}`);
    for (let i = 0; i < 20_000; i++) sketchAdd(c, `2001:db8:1::${i.toString(16)}`);
    sketchMerge(b, c);
    expect(Math.abs(sketchCount(b) - 100_000) / 100_000).toBeLessThan(0.03);
    expect(sketchCount(emptySketch())).toBe(0);
  });
});
