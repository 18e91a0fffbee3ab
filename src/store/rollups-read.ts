// Reads the dashboard rollups: cards, timeline, ports × hour, countries, level changes and per-source timelines.
import type { Database, Statement } from 'better-sqlite3';
import type { Clock } from '../domain/clock.ts';
import { countryName, countryNumeric } from '../domain/countries.ts';
import { dayOfHour, hourOf, HOUR_MS, windowRange } from '../domain/dashboard.ts';
import type {
  DashboardCountries, DashboardOverview, DashboardPorts, DashboardQueries, DashboardWindow, LevelChange, PortRow,
  SourceTimeline, StatCard, WindowRange,
} from '../domain/dashboard.ts';
import { toDangerLevel } from '../domain/profile.ts';
import { OTHER_PORT } from './rollups-batch.ts';
import { emptySketch, sketchCount, sketchMerge } from './rollups-hll.ts';

interface HourRow {
  hour: number;
  new_sources: number;
  packets: number;
  dl4: number;
  removed: number;
  lv0: number; lv1: number; lv2: number; lv3: number; lv4: number; lv5: number;
  pending: number;
}

type Sums = Omit<HourRow, 'hour'>;

const SUM_COLS = 'coalesce(sum(new_sources),0) AS new_sources, coalesce(sum(packets),0) AS packets, coalesce(sum(dl4),0) AS dl4, coalesce(sum(removed),0) AS removed, '
  + 'coalesce(sum(lv0),0) AS lv0, coalesce(sum(lv1),0) AS lv1, coalesce(sum(lv2),0) AS lv2, coalesce(sum(lv3),0) AS lv3, coalesce(sum(lv4),0) AS lv4, coalesce(sum(lv5),0) AS lv5, coalesce(sum(pending),0) AS pending';

/** Splits an hour range into whole UTC days (read from the daily tables) and the partial days at either end (hourly). */
export function spanParts(from: number, to: number): { hours: [number, number][]; days: [number, number] | null } {
  const d0 = dayOfHour(from);
  const d1 = dayOfHour(to);
  if (d0 === d1) return { hours: [[from, to]], days: null };
  const hours: [number, number][] = [];
  let firstDay = d0;
  let lastDay = d1;
  if (from !== d0 * 24) {
    hours.push([from, (d0 + 1) * 24 - 1]);
    firstDay = d0 + 1;
  }
  if (to !== d1 * 24 + 23) {
    hours.push([d1 * 24, to]);
    lastDay = d1 - 1;
  }
  return { hours, days: firstDay <= lastDay ? [firstDay, lastDay] : null };
}

const lvOf = (s: Sums, l: number): number => [s.lv0, s.lv1, s.lv2, s.lv3, s.lv4, s.lv5][l] ?? 0;

/** Rollup retention (seconds) the reader needs to tell "no data" from "dropped". */
export interface DashboardReadOptions {
  hourlyRetention: number;
}

/** SQLite implementation of DashboardQueries. */
export class SqliteDashboard implements DashboardQueries {
  readonly #clock: Clock;
  readonly #opts: DashboardReadOptions;
  readonly #hours: Statement<[number, number], HourRow>;
  readonly #sumAfter: Statement<[number], Sums>;
  readonly #totals: Statement<[], { key: string; value: number }>;
  readonly #seenHours: Statement<[number, number], { country: string; n: number }>;
  readonly #seenDays: Statement<[number, number], { country: string; n: number }>;
  readonly #sketchHours: Statement<[number, number], Buffer>;
  readonly #sketchDays: Statement<[number, number], Buffer>;
  readonly #portTotalsH: Statement<[number, number], { port: string; n: number }>;
  readonly #portTotalsD: Statement<[number, number], { port: string; n: number }>;
  readonly #portCellsH: Statement<[number, number, string], { b: number; packets: number }>;
  readonly #portCellsD: Statement<[number, number, string], { b: number; packets: number }>;
  readonly #protos: Statement<[number, number], { proto: string; n: number }>;
  readonly #levels: Statement<[number, number], { id: number; time: number; ip: string; from_level: number; to_level: number }>;
  readonly #hasState: Statement<[string], number>;
  readonly #srcHours: Statement<[string, number, number], { hour: number; packets: number }>;
  readonly #srcLevels: Statement<[string], { time: number; to_level: number }>;
  readonly #seq: Statement<[], string>;
  readonly #latest: Statement<[], number>;

  constructor(db: Database, opts: DashboardReadOptions, clock: Clock) {
    this.#clock = clock;
    this.#opts = opts;
    this.#hours = db.prepare<[number, number], HourRow>('SELECT * FROM ui_hours WHERE hour BETWEEN ? AND ? ORDER BY hour');
    this.#sumAfter = db.prepare<[number], Sums>(`SELECT ${SUM_COLS} FROM ui_hours WHERE hour > ?`);
    this.#totals = db.prepare<[], { key: string; value: number }>('SELECT key, value FROM ui_totals');
    this.#seenHours = db.prepare<[number, number], { country: string; n: number }>(
      'SELECT country, sum(sources) AS n FROM ui_seen_hours WHERE hour BETWEEN ? AND ? GROUP BY country');
    this.#seenDays = db.prepare<[number, number], { country: string; n: number }>(
      'SELECT country, sum(sources) AS n FROM ui_seen_days WHERE day BETWEEN ? AND ? GROUP BY country');
    this.#sketchHours = db.prepare<[number, number], Buffer>('SELECT sketch FROM ui_active_hours WHERE hour BETWEEN ? AND ?').pluck();
    this.#sketchDays = db.prepare<[number, number], Buffer>('SELECT sketch FROM ui_active_days WHERE day BETWEEN ? AND ?').pluck();
    this.#portTotalsH = db.prepare<[number, number], { port: string; n: number }>(
      'SELECT port, sum(packets) AS n FROM ui_port_hours WHERE hour BETWEEN ? AND ? GROUP BY port ORDER BY n DESC, port');
    this.#portTotalsD = db.prepare<[number, number], { port: string; n: number }>(
      'SELECT port, sum(packets) AS n FROM ui_port_days WHERE day BETWEEN ? AND ? GROUP BY port ORDER BY n DESC, port');
    this.#portCellsH = db.prepare<[number, number, string], { b: number; packets: number }>(
      'SELECT hour AS b, packets FROM ui_port_hours WHERE hour BETWEEN ? AND ? AND port = ?');
    this.#portCellsD = db.prepare<[number, number, string], { b: number; packets: number }>(
      'SELECT day AS b, packets FROM ui_port_days WHERE day BETWEEN ? AND ? AND port = ?');
    this.#protos = db.prepare<[number, number], { proto: string; n: number }>(
      'SELECT proto, sum(packets) AS n FROM ui_proto_hours WHERE hour BETWEEN ? AND ? GROUP BY proto ORDER BY n DESC, proto');
    this.#levels = db.prepare<[number, number], { id: number; time: number; ip: string; from_level: number; to_level: number }>(
      'SELECT id, time, ip, from_level, to_level FROM ui_level_changes WHERE id > ? ORDER BY id DESC LIMIT ?');
    this.#hasState = db.prepare<[string], number>('SELECT 1 FROM ui_state WHERE ip = ?').pluck();
    this.#srcHours = db.prepare<[string, number, number], { hour: number; packets: number }>(
      'SELECT hour, packets FROM ui_source_hours WHERE ip = ? AND hour BETWEEN ? AND ? ORDER BY hour');
    this.#srcLevels = db.prepare<[string], { time: number; to_level: number }>(
      'SELECT time, to_level FROM ui_level_changes WHERE ip = ? ORDER BY id DESC LIMIT 500');
    this.#seq = db.prepare<[], string>("SELECT value FROM ui_meta WHERE key = 'seq'").pluck();
    this.#latest = db.prepare<[], number>("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'profile_changes'), 0)").pluck();
  }

  /** Whether hourly rollups still cover the start of `r` (older buckets were dropped by retention). */
  #covered(r: WindowRange): boolean {
    return r.from >= hourOf(this.#clock.now() - this.#opts.hourlyRetention * 1000);
  }

  overview(window: DashboardWindow, endMs: number): DashboardOverview {
    const { current: c, previous: p } = windowRange(window, endMs);
    const rows = this.#hours.all(p.from, c.to);
    const after = this.#sumAfter.get(c.to)!;
    const totals = new Map(this.#totals.all().map((r) => [r.key, r.value]));
    const zero = (): Sums => ({ new_sources: 0, packets: 0, dl4: 0, removed: 0, lv0: 0, lv1: 0, lv2: 0, lv3: 0, lv4: 0, lv5: 0, pending: 0 });
    const cur = zero();
    const prev = zero();
    const n = c.hours;
    const timeline = {
      time: Array.from({ length: n }, (_, i) => (c.from + i) * 3600),
      newSources: new Array<number>(n).fill(0),
      packets: new Array<number>(n).fill(0),
      reachedDl4: new Array<number>(n).fill(0),
    };
    for (const r of rows) {
      const into = r.hour >= c.from ? cur : prev;
      for (const k of Object.keys(into) as (keyof Sums)[]) into[k] += r[k];
      if (r.hour >= c.from) {
        const i = r.hour - c.from;
        timeline.newSources[i] = r.new_sources;
        timeline.packets[i] = r.packets;
        timeline.reachedDl4[i] = r.dl4;
      }
    }
    const hasPrev = this.#covered(p);
    const card = (value: number, previous: number, estimate = false): StatCard => ({ value, previous: hasPrev ? previous : null, estimate });
    // counts at the end of the window: the current totals minus what changed after it
    const sourcesEnd = (totals.get('sources') ?? 0) - after.new_sources + after.removed;
    const sourcesStart = sourcesEnd - cur.new_sources + cur.removed;
    const pendingEnd = (totals.get('pending') ?? 0) - after.pending;
    const levels: StatCard[] = [];
    for (let l = 0; l <= 5; l++) {
      const end = (totals.get(`level:${l}`) ?? 0) - lvOf(after, l);
      levels.push(card(end, end - lvOf(cur, l)));
    }
    const live = endMs >= this.#clock.now() - HOUR_MS;
    // sources seen since the window start is exact from the last-seen histogram while the window ends now;
    // a past window and the previous one need distinct counts across hours: HyperLogLog
    const active = live
      ? card(this.#seenSince(c), this.#distinct(p), false)
      : card(this.#distinct(c), this.#distinct(p), true);
    return {
      window,
      from: new Date(c.from * HOUR_MS).toISOString(),
      to: new Date(endMs).toISOString(),
      cards: {
        sources: card(sourcesEnd, sourcesStart),
        active,
        newSources: card(cur.new_sources, prev.new_sources),
        packetsPerHour: card(round1(cur.packets / n), round1(prev.packets / n)),
        enrichBacklog: card(pendingEnd, pendingEnd - cur.pending),
        levels,
      },
      timeline,
      lag: Math.max(0, this.#latest.get()! - (Number(this.#seq.get() ?? '0') || 0)),
    };
  }

  #seenByCountry(r: WindowRange): Map<string, number> {
    const out = new Map<string, number>();
    const add = (rows: { country: string; n: number }[]): void => {
      for (const x of rows) out.set(x.country, (out.get(x.country) ?? 0) + x.n);
    };
    const parts = spanParts(r.from, r.to);
    for (const [a, b] of parts.hours) add(this.#seenHours.all(a, b));
    if (parts.days) add(this.#seenDays.all(parts.days[0], parts.days[1]));
    return out;
  }

  #seenSince(r: WindowRange): number {
    let n = 0;
    for (const v of this.#seenByCountry({ ...r, to: Math.max(r.to, hourOf(this.#clock.now())) + 1 }).values()) n += v;
    return n;
  }

  #distinct(r: WindowRange): number {
    const acc = emptySketch();
    const parts = spanParts(r.from, r.to);
    for (const [a, b] of parts.hours) for (const s of this.#sketchHours.iterate(a, b)) sketchMerge(acc, s);
    if (parts.days) for (const s of this.#sketchDays.iterate(parts.days[0], parts.days[1])) sketchMerge(acc, s);
    return sketchCount(acc);
  }

  ports(window: DashboardWindow, endMs: number, top: number): DashboardPorts {
    const { current: c } = windowRange(window, endMs);
    const daily = c.hours > 168;
    const from = daily ? dayOfHour(c.from) : c.from;
    const to = daily ? dayOfHour(c.to) : c.to;
    const totals = (daily ? this.#portTotalsD : this.#portTotalsH).all(from, to);
    const cellsSt = daily ? this.#portCellsD : this.#portCellsH;
    const width = to - from + 1;
    const ports: PortRow[] = [];
    let all = 0;
    for (const t of totals) {
      all += t.n;
      if (t.port === OTHER_PORT || ports.length >= top) continue;
      const cells = new Array<number>(width).fill(0);
      for (const x of cellsSt.all(from, to, t.port)) cells[x.b - from] = x.packets;
      ports.push({ port: t.port, packets: t.n, cells });
    }
    const listed = ports.reduce((s, x) => s + x.packets, 0);
    return {
      window,
      bucket: daily ? 'day' : 'hour',
      buckets: Array.from({ length: width }, (_, i) => (from + i) * (daily ? 86_400 : 3600)),
      ports,
      otherPackets: all - listed,
      protocols: this.#protos.all(c.from, c.to).map((r) => ({ proto: r.proto, packets: r.n })),
    };
  }

  countries(window: DashboardWindow, endMs: number): DashboardCountries {
    const { current: c } = windowRange(window, endMs);
    const live = endMs >= this.#clock.now() - HOUR_MS;
    const counts = this.#seenByCountry(live ? { ...c, to: Math.max(c.to, hourOf(this.#clock.now())) + 1 } : c);
    const countries = [...counts].filter(([code, n]) => code !== '' && n > 0)
      .map(([code, n]) => ({ code, numeric: countryNumeric(code), name: countryName(code), sources: n }))
      .sort((a, b) => b.sources - a.sources || a.code.localeCompare(b.code));
    return { window, countries, unknown: Math.max(0, counts.get('') ?? 0) };
  }

  levelChanges(afterId: number, limit: number): LevelChange[] {
    return this.#levels.all(afterId, limit).map((r) => ({
      id: r.id, time: new Date(r.time).toISOString(), ip: r.ip, from: toDangerLevel(r.from_level), to: toDangerLevel(r.to_level),
    }));
  }

  sourceTimeline(ip: string, window: DashboardWindow, endMs: number): SourceTimeline | null {
    if (this.#hasState.get(ip) === undefined) return null;
    const { current: c } = windowRange(window, endMs);
    const packets = new Array<number>(c.hours).fill(0);
    for (const r of this.#srcHours.all(ip, c.from, c.to)) packets[r.hour - c.from] = r.packets;
    const levels = this.#srcLevels.all(ip).reverse().map((r) => ({ time: new Date(r.time).toISOString(), level: toDangerLevel(r.to_level) }));
    return { ip, time: Array.from({ length: c.hours }, (_, i) => (c.from + i) * 3600), packets, levels };
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
