// Keeps the dashboard rollups as data arrives: follows the change outbox, diffs each changed profile against what was counted.
import type { Database, Statement } from 'better-sqlite3';
import type { Clock } from '../domain/clock.ts';
import { dayOfHour, hourOf } from '../domain/dashboard.ts';
import { toDangerLevel } from '../domain/profile.ts';
import type { ProfileReader } from '../domain/queries.ts';
import { BatchStatements, OTHER_PORT, RollupBatch } from './rollups-batch.ts';
import { rollDelta } from './rollups-diff.ts';
import type { RollState } from './rollups-diff.ts';

/** Rollup tuning (the dashboard config section, in seconds where durations). */
export interface RollupOptions {
  /** Outbox rows per step. */
  batch: number;
  /** Ports kept per closed hour/day bucket. */
  portsPerHour: number;
  /** Distinct ports an open bucket may hold. */
  openHourPorts: number;
  hourlyRetention: number;
  dailyRetention: number;
  levelChangeRetention: number;
  sourceHoursRetention: number;
  /**
   * How profiles are derived beyond the stored rows (the enrichment policy: a source below `enrich.minDangerLevel` is not
   * backlog). When it differs from the key the rollups were counted under, every source is folded again once.
   */
  profileKey?: string;
}

interface StateRow {
  packets: number;
  level: number;
  last_hour: number;
  country: string;
  pending: number;
  ports: string;
  protos: string;
}

/** Result of one step. */
export interface RollupStep {
  /** Outbox rows consumed (plus sources walked by the one-time backfill). */
  rows: number;
  /** Distinct sources folded in. */
  sources: number;
  /** Nothing left to read. */
  caughtUp: boolean;
}

/**
 * The rollup writer. Single writer per store: `serve` runs `step()` on a timer and `maintain()` now and then; tests call
 * `catchUp()`. Every count moves by the difference between a profile and the last state counted of it (ui_state), so a
 * missed or compacted outbox row loses only the hour a packet is filed under, never the packet.
 */
export class RollupWriter {
  readonly #db: Database;
  readonly #reader: ProfileReader;
  readonly #opts: RollupOptions;
  readonly #clock: Clock;
  readonly #st: BatchStatements;
  readonly #metaGet: Statement<[string], string>;
  readonly #metaSet: Statement<[string, string]>;
  readonly #changes: Statement<[number, number], { seq: number; ip: string }>;
  readonly #walk: Statement<[string, number], string>;
  readonly #latest: Statement<[], number>;
  readonly #stateGet: Statement<[string], StateRow>;
  readonly #statePut: Statement;
  readonly #stateDel: Statement<[string]>;
  readonly #srcHourAdd: Statement<[string, number, number]>;
  readonly #srcHoursDel: Statement<[string]>;
  readonly #levelIns: Statement<[number, string, number, number]>;
  readonly #retentionSt = new Map<string, Statement<[number, number]>>();

  constructor(db: Database, reader: ProfileReader, opts: RollupOptions, clock: Clock) {
    this.#db = db;
    this.#reader = reader;
    this.#opts = opts;
    this.#clock = clock;
    this.#st = new BatchStatements(db);
    this.#metaGet = db.prepare<[string], string>('SELECT value FROM ui_meta WHERE key = ?').pluck();
    this.#metaSet = db.prepare('INSERT INTO ui_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.#changes = db.prepare<[number, number], { seq: number; ip: string }>('SELECT seq, ip FROM profile_changes WHERE seq > ? ORDER BY seq LIMIT ?');
    this.#walk = db.prepare<[string, number], string>('SELECT ip FROM sources WHERE ip > ? ORDER BY ip LIMIT ?').pluck();
    this.#latest = db.prepare<[], number>("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'profile_changes'), 0)").pluck();
    this.#stateGet = db.prepare<[string], StateRow>('SELECT packets, level, last_hour, country, pending, ports, protos FROM ui_state WHERE ip = ?');
    this.#statePut = db.prepare('INSERT OR REPLACE INTO ui_state (ip, packets, level, last_hour, country, pending, ports, protos) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.#stateDel = db.prepare('DELETE FROM ui_state WHERE ip = ?');
    this.#srcHourAdd = db.prepare(`INSERT INTO ui_source_hours (ip, hour, packets) VALUES (?, ?, ?)
      ON CONFLICT (ip, hour) DO UPDATE SET packets = packets + excluded.packets`);
    this.#srcHoursDel = db.prepare('DELETE FROM ui_source_hours WHERE ip = ?');
    this.#levelIns = db.prepare('INSERT INTO ui_level_changes (time, ip, from_level, to_level) VALUES (?, ?, ?, ?)');
  }

  #meta(key: string): string {
    return this.#metaGet.get(key) ?? '';
  }

  /** Outbox sequence the rollups reflect. */
  watermark(): number {
    return Number(this.#meta('seq')) || 0;
  }

  /** Outbox rows not yet rolled up. */
  lag(): number {
    return Math.max(0, this.#latest.get()! - this.watermark());
  }

  /** Folds the next batch of changes (and of the one-time backfill) into the rollups, in one transaction. */
  step(): RollupStep {
    return this.#db.transaction((): RollupStep => {
      const batch = new RollupBatch();
      const nowHour = hourOf(this.#clock.now());
      let rows = 0;
      const done = new Set<string>();
      const key = this.#opts.profileKey;
      if (key !== undefined && this.#meta('profile_key') !== key) {
        // counted under another policy (or before there was one): re-walk every source; folding is a diff, so only what
        // the policy changes (the enrichment backlog) moves
        this.#metaSet.run('backfill', '');
        this.#metaSet.run('profile_key', key);
      }
      const backfill = this.#meta('backfill');
      if (backfill !== 'done') {
        // a store that had sources before the dashboard existed: walk them once, in address order
        const ips = this.#walk.all(backfill, this.#opts.batch);
        for (const ip of ips) {
          this.#fold(ip, batch, nowHour);
          done.add(ip);
        }
        rows += ips.length;
        this.#metaSet.run('backfill', ips.length < this.#opts.batch ? 'done' : ips[ips.length - 1]!);
      }
      const changes = this.#changes.all(this.watermark(), this.#opts.batch);
      for (const c of changes) {
        if (done.has(c.ip)) continue;
        done.add(c.ip);
        this.#fold(c.ip, batch, nowHour);
      }
      rows += changes.length;
      if (changes.length > 0) this.#metaSet.run('seq', String(changes[changes.length - 1]!.seq));
      const maxHour = batch.flush(this.#st, { openBucketPorts: this.#opts.openHourPorts });
      if (maxHour > (Number(this.#meta('max_hour')) || 0)) this.#metaSet.run('max_hour', String(maxHour));
      return { rows, sources: done.size, caughtUp: changes.length < this.#opts.batch && this.#meta('backfill') === 'done' };
    }).immediate();
  }

  /** Runs steps until caught up or `maxSteps` ran; returns the rows consumed. */
  catchUp(maxSteps = Number.POSITIVE_INFINITY): number {
    let total = 0;
    for (let i = 0; i < maxSteps; i++) {
      const r = this.step();
      total += r.rows;
      if (r.caughtUp) break;
    }
    return total;
  }

  #fold(ip: string, batch: RollupBatch, nowHour: number): void {
    const row = this.#stateGet.get(ip);
    const old: RollState | null = row ? {
      packets: row.packets, level: toDangerLevel(row.level), lastHour: row.last_hour, country: row.country,
      pending: row.pending === 1, ports: JSON.parse(row.ports) as Record<string, number>, protos: JSON.parse(row.protos) as Record<string, number>,
    } : null;
    const p = this.#reader.read(ip);
    if (!p) {
      if (!old) return;
      // pruned: it leaves the totals now (wall clock: pruning has no event time)
      const h = batch.hour(nowHour);
      h.removed++;
      h.lv[old.level]--;
      if (old.pending) h.pending--;
      batch.total('sources', -1);
      batch.total(`level:${old.level}`, -1);
      if (old.pending) batch.total('pending', -1);
      batch.seen(old.lastHour, old.country, -1);
      this.#stateDel.run(ip);
      this.#srcHoursDel.run(ip);
      return;
    }
    const d = rollDelta(p, old);
    const n = d.next;
    if (d.isNew) {
      batch.hour(d.firstHour).newSources++;
      batch.total('sources', 1);
      batch.total(`level:${n.level}`, 1);
      // a new source counts at its level from its first hour (its rise, if any, is filed below at its own time)
      batch.hour(d.firstHour).lv[0]++;
      batch.seen(n.lastHour, n.country, 1);
    } else if (old && (old.lastHour !== n.lastHour || old.country !== n.country)) {
      batch.seen(old.lastHour, old.country, -1);
      batch.seen(n.lastHour, n.country, 1);
    }
    if (d.packets > 0 || d.isNew) batch.active(n.lastHour, ip);
    if (d.packets > 0) {
      batch.hour(n.lastHour).packets += d.packets;
      this.#srcHourAdd.run(ip, n.lastHour, d.packets);
    }
    for (const [port, k] of d.ports) batch.port(n.lastHour, port, k);
    for (const [proto, k] of d.protos) batch.proto(n.lastHour, proto, k);
    if (d.level) {
      const lh = hourOf(d.level.time);
      const h = batch.hour(lh);
      h.lv[d.level.from]--;
      h.lv[d.level.to]++;
      if (d.level.from < 4 && d.level.to >= 4) h.dl4++;
      if (!d.isNew) {
        batch.total(`level:${d.level.from}`, -1);
        batch.total(`level:${d.level.to}`, 1);
      }
      this.#levelIns.run(d.level.time, ip, d.level.from, d.level.to);
    }
    const wasPending = old?.pending ?? false;
    if (n.pending !== wasPending) {
      // enrichment finishes in wall-clock time, so the backlog moves in the hour it happened
      batch.hour(nowHour).pending += n.pending ? 1 : -1;
      batch.total('pending', n.pending ? 1 : -1);
    }
    this.#statePut.run(ip, n.packets, n.level, n.lastHour, n.country, n.pending ? 1 : 0, JSON.stringify(n.ports), JSON.stringify(n.protos));
  }

  /**
   * Compacts closed port buckets to the `portsPerHour` busiest (the rest folded into "other") and drops rows past their
   * retention, in bounded chunks; returns rows changed. `serve` calls it every minute or so.
   */
  maintain(chunk = 5000): number {
    return this.#db.transaction((): number => {
      let changed = 0;
      const maxHour = Number(this.#meta('max_hour')) || 0;
      changed += this.#compact('ui_port_hours', 'hour', 'hours_compacted', maxHour);
      changed += this.#compact('ui_port_days', 'day', 'days_compacted', dayOfHour(maxHour));
      const now = this.#clock.now();
      const h = (s: number): number => hourOf(now - s * 1000);
      const hourCut = h(this.#opts.hourlyRetention);
      const dayCut = dayOfHour(h(this.#opts.dailyRetention));
      for (const [table, col, pk] of RETENTION) {
        changed += this.#retention(table, col, pk).run(col === 'hour' ? hourCut : dayCut, chunk).changes;
      }
      changed += this.#db.prepare('DELETE FROM ui_source_hours WHERE (ip, hour) IN (SELECT ip, hour FROM ui_source_hours WHERE hour < ? LIMIT ?)')
        .run(h(this.#opts.sourceHoursRetention), chunk).changes;
      changed += this.#db.prepare('DELETE FROM ui_level_changes WHERE id IN (SELECT id FROM ui_level_changes WHERE time < ? LIMIT ?)')
        .run(now - this.#opts.levelChangeRetention * 1000, chunk).changes;
      this.#st.hourPortCount.clear();
      this.#st.dayPortCount.clear();
      return changed;
    }).immediate();
  }

  #retention(table: string, col: string, pk: string): Statement<[number, number]> {
    let st = this.#retentionSt.get(table);
    if (!st) {
      st = this.#db.prepare<[number, number]>(`DELETE FROM ${table} WHERE (${pk}) IN (SELECT ${pk} FROM ${table} WHERE ${col} < ? LIMIT ?)`);
      this.#retentionSt.set(table, st);
    }
    return st;
  }

  /** Folds the ports beyond the cap of every closed bucket since the last compaction into "other". */
  #compact(table: 'ui_port_hours' | 'ui_port_days', col: 'hour' | 'day', mark: string, openBucket: number): number {
    const from = Number(this.#meta(mark)) || 0;
    if (openBucket <= from) return 0;
    const buckets = this.#db.prepare<[number, number], number>(`SELECT DISTINCT ${col} FROM ${table} WHERE ${col} >= ? AND ${col} < ?`).pluck().all(from, openBucket);
    const extra = this.#db.prepare<[number, number], { port: string; packets: number }>(
      `SELECT port, packets FROM ${table} WHERE ${col} = ? AND port <> '${OTHER_PORT}' ORDER BY packets DESC, port LIMIT -1 OFFSET ?`);
    const del = this.#db.prepare(`DELETE FROM ${table} WHERE ${col} = ? AND port = ?`);
    const add = this.#db.prepare(`INSERT INTO ${table} (${col}, port, packets) VALUES (?, '${OTHER_PORT}', ?) ON CONFLICT (${col}, port) DO UPDATE SET packets = packets + excluded.packets`);
    let changed = 0;
    for (const b of buckets) {
      let sum = 0;
      for (const r of extra.all(b, this.#opts.portsPerHour)) {
        del.run(b, r.port);
        sum += r.packets;
        changed++;
      }
      if (sum > 0) add.run(b, sum);
    }
    this.#metaSet.run(mark, String(openBucket));
    return changed;
  }
}

/** Rollup tables dropped by age: name, bucket column, primary key. */
const RETENTION = [
  ['ui_hours', 'hour', 'hour'], ['ui_active_hours', 'hour', 'hour'], ['ui_port_hours', 'hour', 'hour, port'],
  ['ui_proto_hours', 'hour', 'hour, proto'], ['ui_seen_hours', 'hour', 'hour, country'],
  ['ui_active_days', 'day', 'day'], ['ui_port_days', 'day', 'day, port'], ['ui_seen_days', 'day', 'day, country'],
] as const;
