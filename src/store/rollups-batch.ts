// One rollup step's increments, summed in memory and written once per step (hot rows are updated once, not per source).
import type { Database, Statement } from 'better-sqlite3';
import { dayOfHour } from '../domain/dashboard.ts';
import { OTHER_PORT } from './rollups-diff.ts';
import { emptySketch, sketchAdd } from './rollups-hll.ts';

/** Increments of one hour row of ui_hours. */
export interface HourAcc {
  newSources: number;
  packets: number;
  dl4: number;
  removed: number;
  /** Net change of the number of sources at each level. */
  lv: [number, number, number, number, number, number];
  /** Net change of the enrichment backlog. */
  pending: number;
}

/** Caps of the port tables. */
export interface PortCaps {
  /** Distinct ports an hour or day bucket may hold before new ports go to "other". */
  openBucketPorts: number;
}

export { OTHER_PORT };

const key = (a: number, b: string): string => `${a}\t${b}`;
const split = (k: string): [number, string] => {
  const t = k.indexOf('\t');
  return [Number(k.slice(0, t)), k.slice(t + 1)];
};

/** Prepared statements of the batch writer (one set per store). */
export class BatchStatements {
  readonly hour: Statement;
  readonly portHourGet: Statement<[number, string], number>;
  readonly portHourCount: Statement<[number], number>;
  readonly portHourAdd: Statement<[number, string, number]>;
  readonly portDayGet: Statement<[number, string], number>;
  readonly portDayCount: Statement<[number], number>;
  readonly portDayAdd: Statement<[number, string, number]>;
  readonly protoAdd: Statement<[number, string, number]>;
  readonly seenHourAdd: Statement<[number, string, number]>;
  readonly seenHourSub: Statement<[number, number, string]>;
  readonly seenHourDrop: Statement<[number, string]>;
  readonly seenDayAdd: Statement<[number, string, number]>;
  readonly seenDaySub: Statement<[number, number, string]>;
  readonly seenDayDrop: Statement<[number, string]>;
  readonly sketchHourGet: Statement<[number], Buffer>;
  readonly sketchHourPut: Statement<[number, Buffer]>;
  readonly sketchDayGet: Statement<[number], Buffer>;
  readonly sketchDayPut: Statement<[number, Buffer]>;
  readonly totalAdd: Statement<[string, number]>;
  /** Ports per bucket, cached while the batch runs so the cap costs one count per bucket. */
  readonly hourPortCount = new Map<number, number>();
  readonly dayPortCount = new Map<number, number>();

  constructor(db: Database) {
    this.hour = db.prepare(`INSERT INTO ui_hours (hour, new_sources, packets, dl4, removed, lv0, lv1, lv2, lv3, lv4, lv5, pending)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hour) DO UPDATE SET
      new_sources = new_sources + excluded.new_sources, packets = packets + excluded.packets, dl4 = dl4 + excluded.dl4,
      removed = removed + excluded.removed, lv0 = lv0 + excluded.lv0, lv1 = lv1 + excluded.lv1, lv2 = lv2 + excluded.lv2,
      lv3 = lv3 + excluded.lv3, lv4 = lv4 + excluded.lv4, lv5 = lv5 + excluded.lv5, pending = pending + excluded.pending`);
    this.portHourGet = db.prepare<[number, string], number>('SELECT packets FROM ui_port_hours WHERE hour = ? AND port = ?').pluck();
    this.portHourCount = db.prepare<[number], number>('SELECT count(*) FROM ui_port_hours WHERE hour = ?').pluck();
    this.portHourAdd = db.prepare(`INSERT INTO ui_port_hours (hour, port, packets) VALUES (?, ?, ?)
      ON CONFLICT (hour, port) DO UPDATE SET packets = packets + excluded.packets`);
    this.portDayGet = db.prepare<[number, string], number>('SELECT packets FROM ui_port_days WHERE day = ? AND port = ?').pluck();
    this.portDayCount = db.prepare<[number], number>('SELECT count(*) FROM ui_port_days WHERE day = ?').pluck();
    this.portDayAdd = db.prepare(`INSERT INTO ui_port_days (day, port, packets) VALUES (?, ?, ?)
      ON CONFLICT (day, port) DO UPDATE SET packets = packets + excluded.packets`);
    this.protoAdd = db.prepare(`INSERT INTO ui_proto_hours (hour, proto, packets) VALUES (?, ?, ?)
      ON CONFLICT (hour, proto) DO UPDATE SET packets = packets + excluded.packets`);
    this.seenHourAdd = db.prepare(`INSERT INTO ui_seen_hours (hour, country, sources) VALUES (?, ?, ?)
      ON CONFLICT (hour, country) DO UPDATE SET sources = sources + excluded.sources`);
    // a decrement of a bucket retention already dropped is a no-op: the source left the window long ago
    this.seenHourSub = db.prepare('UPDATE ui_seen_hours SET sources = sources - ? WHERE hour = ? AND country = ?');
    this.seenHourDrop = db.prepare('DELETE FROM ui_seen_hours WHERE hour = ? AND country = ? AND sources <= 0');
    this.seenDayAdd = db.prepare(`INSERT INTO ui_seen_days (day, country, sources) VALUES (?, ?, ?)
      ON CONFLICT (day, country) DO UPDATE SET sources = sources + excluded.sources`);
    this.seenDaySub = db.prepare('UPDATE ui_seen_days SET sources = sources - ? WHERE day = ? AND country = ?');
    this.seenDayDrop = db.prepare('DELETE FROM ui_seen_days WHERE day = ? AND country = ? AND sources <= 0');
    this.sketchHourGet = db.prepare<[number], Buffer>('SELECT sketch FROM ui_active_hours WHERE hour = ?').pluck();
    this.sketchHourPut = db.prepare('INSERT OR REPLACE INTO ui_active_hours (hour, sketch) VALUES (?, ?)');
    this.sketchDayGet = db.prepare<[number], Buffer>('SELECT sketch FROM ui_active_days WHERE day = ?').pluck();
    this.sketchDayPut = db.prepare('INSERT OR REPLACE INTO ui_active_days (day, sketch) VALUES (?, ?)');
    this.totalAdd = db.prepare(`INSERT INTO ui_totals (key, value) VALUES (?, ?)
      ON CONFLICT (key) DO UPDATE SET value = value + excluded.value`);
  }
}

/** Sums one step's increments; `flush` writes them inside the step's transaction. */
export class RollupBatch {
  readonly #hours = new Map<number, HourAcc>();
  readonly #ports = new Map<string, number>();
  readonly #protos = new Map<string, number>();
  readonly #seen = new Map<string, number>();
  readonly #active = new Map<number, Set<string>>();
  readonly #totals = new Map<string, number>();

  /** The increments of `hour` (created empty). */
  hour(hour: number): HourAcc {
    let h = this.#hours.get(hour);
    if (!h) {
      h = { newSources: 0, packets: 0, dl4: 0, removed: 0, lv: [0, 0, 0, 0, 0, 0], pending: 0 };
      this.#hours.set(hour, h);
    }
    return h;
  }

  port(hour: number, port: string, packets: number): void {
    const k = key(hour, port);
    this.#ports.set(k, (this.#ports.get(k) ?? 0) + packets);
  }

  proto(hour: number, proto: string, packets: number): void {
    const k = key(hour, proto);
    this.#protos.set(k, (this.#protos.get(k) ?? 0) + packets);
  }

  /** Moves a source in the last-seen histogram (`by` = +1 into a bucket, −1 out of one). */
  seen(hour: number, country: string, by: number): void {
    const k = key(hour, country);
    this.#seen.set(k, (this.#seen.get(k) ?? 0) + by);
  }

  active(hour: number, ip: string): void {
    let s = this.#active.get(hour);
    if (!s) {
      s = new Set();
      this.#active.set(hour, s);
    }
    s.add(ip);
  }

  total(name: string, by: number): void {
    if (by !== 0) this.#totals.set(name, (this.#totals.get(name) ?? 0) + by);
  }

  /** Writes everything; returns the highest hour that received packets (or -Infinity). */
  flush(st: BatchStatements, caps: PortCaps): number {
    let maxHour = Number.NEGATIVE_INFINITY;
    for (const [hour, a] of this.#hours) {
      st.hour.run(hour, a.newSources, a.packets, a.dl4, a.removed, ...a.lv, a.pending);
      if (a.packets > 0) maxHour = Math.max(maxHour, hour);
    }
    const days = new Map<string, number>();
    for (const [k, n] of this.#ports) {
      const [hour, port] = split(k);
      addCapped(hour, port, n, st.portHourGet, st.portHourCount, st.portHourAdd, st.hourPortCount, caps.openBucketPorts);
      const dk = key(dayOfHour(hour), port);
      days.set(dk, (days.get(dk) ?? 0) + n);
    }
    for (const [k, n] of days) {
      const [day, port] = split(k);
      addCapped(day, port, n, st.portDayGet, st.portDayCount, st.portDayAdd, st.dayPortCount, caps.openBucketPorts);
    }
    for (const [k, n] of this.#protos) {
      const [hour, proto] = split(k);
      st.protoAdd.run(hour, proto, n);
    }
    const seenDays = new Map<string, number>();
    for (const [k, n] of this.#seen) {
      const [hour, country] = split(k);
      moveSeen(hour, country, n, st.seenHourAdd, st.seenHourSub, st.seenHourDrop);
      const dk = key(dayOfHour(hour), country);
      seenDays.set(dk, (seenDays.get(dk) ?? 0) + n);
    }
    for (const [k, n] of seenDays) {
      const [day, country] = split(k);
      moveSeen(day, country, n, st.seenDayAdd, st.seenDaySub, st.seenDayDrop);
    }
    const dayIps = new Map<number, Set<string>>();
    for (const [hour, ips] of this.#active) {
      writeSketch(hour, ips, st.sketchHourGet, st.sketchHourPut);
      const d = dayOfHour(hour);
      let s = dayIps.get(d);
      if (!s) dayIps.set(d, (s = new Set()));
      for (const ip of ips) s.add(ip);
    }
    for (const [day, ips] of dayIps) writeSketch(day, ips, st.sketchDayGet, st.sketchDayPut);
    for (const [name, n] of this.#totals) st.totalAdd.run(name, n);
    return maxHour;
  }
}

function addCapped(
  bucket: number, port: string, n: number, get: Statement<[number, string], number>, count: Statement<[number], number>,
  add: Statement<[number, string, number]>, cache: Map<number, number>, cap: number,
): void {
  if (port !== OTHER_PORT && get.get(bucket, port) === undefined) {
    let c = cache.get(bucket);
    if (c === undefined) c = count.get(bucket)!;
    // past the cap a new port's packets still count, in "other": totals stay exact, only the port's name is lost
    if (c >= cap) {
      const had = get.get(bucket, OTHER_PORT) !== undefined;
      add.run(bucket, OTHER_PORT, n);
      cache.set(bucket, had ? c : c + 1);
      return;
    }
    cache.set(bucket, c + 1);
  }
  add.run(bucket, port, n);
}

function moveSeen(
  bucket: number, country: string, n: number, add: Statement<[number, string, number]>,
  sub: Statement<[number, number, string]>, drop: Statement<[number, string]>,
): void {
  if (n > 0) add.run(bucket, country, n);
  else if (n < 0) {
    sub.run(-n, bucket, country);
    drop.run(bucket, country);
  }
}

function writeSketch(bucket: number, ips: Set<string>, get: Statement<[number], Buffer>, put: Statement<[number, Buffer]>): void {
  const old = get.get(bucket);
  const sketch = old ? Buffer.from(old) : emptySketch();
  let changed = !old;
  for (const ip of ips) if (sketchAdd(sketch, ip)) changed = true;
  if (changed) put.run(bucket, sketch);
}
