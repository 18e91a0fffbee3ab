// Wiring shared by analyze, follow and status: the store-backed source directory, saving input-wide counters, and
// building report data from memory or from the store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import type { SourceProfile } from '../domain/profile.ts';
import { scanProfile } from '../domain/scan-profile.ts';
import { exportSource, exportSources } from '../domain/scan-table-io.ts';
import { S_DL, S_PACKETS, S_SIGS, SW } from '../domain/scan-table.ts';
import { topCounts, topN } from '../domain/top-n.ts';
import type { ScanTable } from '../domain/scan-table.ts';
import type { Totals } from '../detect/totals.ts';
import { openStore } from '../store/db.ts';
import type { Db } from '../store/db.ts';
import { ProfileReader } from '../store/profile-read.ts';
import { ScanCache } from '../store/scan-cache.ts';
import { ScanQuery } from '../store/scan-query.ts';
import type { ScanStateRepo } from '../store/scan-state.ts';
import type { ReportData } from './report.ts';

/** A directory over a store that is opened now (data dir) or lazily in a temporary directory (analyze in memory). */
export interface Session {
  cache: ScanCache;
  /** The store, once opened. */
  db(): Db;
  /** Closes the store and removes a temporary one. */
  close(): void;
  /** Whether state lives in a persistent data directory. */
  persistent: boolean;
}

/**
 * Opens the session: `dataDir` null means memory first, spilling to a temporary store only when needed. `inputBytes`
 * (0 when unknown) sizes the in-memory table: a log line is a couple of hundred bytes and, across a large log, about
 * every other line opens a new (source, destination) pair, so the table starts with room for that many and rarely
 * grows (fresh memory is only committed as it is written).
 */
export function openSession(config: Config, dataDir: string | null, notice: (msg: string) => void, inputBytes = 0): Session {
  let db: Db | null = null;
  let tmp: string | null = null;
  const open = (): Db => {
    if (db) return db;
    if (dataDir !== null) {
      db = openStore(dataDir);
    } else {
      tmp = mkdtempSync(join(tmpdir(), 'probewatch-analyze-'));
      db = openStore(tmp);
      // a throwaway store: no durability needed
      db.pragma('synchronous = OFF');
    }
    return db;
  };
  // follow-like use keeps the configured bounds; analyze in memory keeps every source until its own memory limit
  const analyzeMb = config.detect.analyzeMemory > 0 ? config.detect.analyzeMemory
    : Math.max(config.detect.memoryBudget, Math.floor(totalmem() / 4 / 1048576));
  const tableBits = Math.min(22, Math.max(12, Math.ceil(Math.log2(Math.max(1, inputBytes / 460)))));
  const opts = dataDir !== null
    ? { maxHot: config.detect.maxHotSources, memoryBudget: config.detect.memoryBudget * 1048576, notice }
    : { maxHot: Number.MAX_SAFE_INTEGER, memoryBudget: analyzeMb * 1048576, notice, tableBits };
  const cache = new ScanCache(dataDir !== null ? open() : open, opts);
  return {
    cache,
    db: open,
    persistent: dataDir !== null,
    close() {
      if (db) db.close();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Totals already written to the store, so each save adds only the difference. */
export class CounterWriter {
  readonly #last = new Map<string, number>();

  save(repo: ScanStateRepo, t: Totals): void {
    const put = (kind: string, key: string, value: number): void => {
      const k = `${kind}\t${key}`;
      const before = this.#last.get(k) ?? 0;
      if (value !== before) {
        repo.addCounter(kind, key, value - before);
        this.#last.set(k, value);
      }
    };
    for (const [p, n] of t.protocols) put('proto', p, n);
    for (const [p, n] of t.prefixes) put('prefix', p, n);
    for (const [o, n] of t.skipped) put('outcome', o, n);
    put('outcome', 'counted', t.counted);
  }

  /** Records which detection mode wrote the store (status shows it). */
  saveMode(repo: ScanStateRepo, compat: boolean): void {
    repo.setMeta('mode', compat ? 'psad compatibility' : 'probewatch');
  }
}

/** Protocols of the port counters' keys, by code (key = code * 65536 + port; see countPacket). */
const PORT_PROTOS = ['tcp', 'udp', 'udplite'] as const;

/** Report order of sources in the table: highest level, then most packets, then address. */
function byRank(t: ScanTable): (a: number, b: number) => number {
  const si = t.si;
  const ip = t.ip;
  return (a, b) => si[b * SW + S_DL]! - si[a * SW + S_DL]! || si[b * SW + S_PACKETS]! - si[a * SW + S_PACKETS]! || (ip[a]! < ip[b]! ? -1 : 1);
}

/** The first `n` (0 = all) of sources `ids`, in report order. */
function topSources(t: ScanTable, ids: readonly number[], n: number): number[] {
  return topN(ids, n, byRank(t));
}

/**
 * Counts sources `ids` by level into `levels`; returns those at level `min` or above, in the order given. A function of
 * its own, as the ranking of the few it returns is: loops over every source inside the report's function made V8
 * compile all of it on the stack, three times (~25 ms on the benchmark log, with the ranking's), where this compiles
 * in a fraction of that.
 */
function countLevels(t: ScanTable, ids: readonly number[], min: number, levels: number[]): number[] {
  const si = t.si;
  const out: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const dl = si[ids[i]! * SW + S_DL]!;
    levels[dl]!++;
    if (dl >= min) out.push(ids[i]!);
  }
  return out;
}

/** Ports a report's source detail lists. */
const REPORT_PORTS = 50;

/** Report data from the hot state only (nothing was evicted). */
export function reportFromMemory(config: Config, t: ScanTable, hot: Iterable<number>, totals: Totals): ReportData {
  const d = config.detect;
  const all = [...hot];
  const levels = [0, 0, 0, 0, 0, 0];
  const attackers = topSources(t, countLevels(t, all, Math.max(1, d.minDangerLevel), levels), d.reportTopIps);
  const limit = (n: number, list: readonly unknown[]): number => (n > 0 ? n : list.length);
  const sigs = [...totals.sigs].map(([sid, x]) => ({ sid, msg: x.msg, proto: x.proto, count: x.count, sources: x.sources }))
    .sort((a, b) => b.count - a.count || a.sid - b.sid);
  // the ports seen and their packets (the ranking breaks ties by key, so their order does not matter)
  const { keys, counts } = t.ports.totalsByKey(PORT_PROTOS.length);
  const ports = topCounts(counts, keys, d.reportTopPorts)
    .map((i) => ({ proto: PORT_PROTOS[Math.floor(keys[i]! / 65536)]!, port: keys[i]! % 65536, packets: counts[i]! }));
  const sigCount = (s: number): number => {
    return t.hits.sourceCount(t.si[s * SW + S_SIGS]!);
  };
  return {
    mode: d.compat ? 'psad compatibility' : 'probewatch',
    levels, sources: all.length, minDangerLevel: d.minDangerLevel,
    topSigs: sigs.slice(0, limit(d.reportTopSigs, sigs)),
    topAttackers: attackers.map((s) => ({ ip: t.ip[s]!, dl: t.si[s * SW + S_DL]!, packets: t.si[s * SW + S_PACKETS]!, sigCount: sigCount(s) })),
    topPorts: ports,
    prefixes: [...totals.prefixes].sort((a, b) => b[1] - a[1]),
    protocols: [...totals.protocols].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    details: exportSources(t, attackers, REPORT_PORTS).map((st) => scanProfile(st, { maxPorts: REPORT_PORTS })),
    notes: [],
  };
}

/** Report data from the store (after a flush). */
export function reportFromStore(config: Config, db: Db, filter: { minDl?: number; ip?: string } = {}): ReportData {
  const d = config.detect;
  const q = new ScanQuery(db);
  const reader = new ProfileReader(db, { maxPorts: 50 });
  const min = Math.max(1, filter.minDl ?? d.minDangerLevel);
  const counters = q.counters();
  const storedMode = db.prepare<[], string>("SELECT value FROM detect_meta WHERE key = 'mode'").pluck().get();
  const attackers = q.sources({ minDl: min, ...(filter.ip !== undefined ? { ip: filter.ip } : {}), limit: d.reportTopIps });
  return {
    mode: storedMode !== undefined ? (JSON.parse(storedMode) as string) : d.compat ? 'psad compatibility' : 'probewatch',
    levels: q.levelCounts(), sources: q.totalSources(), minDangerLevel: min,
    topSigs: q.topSignatures(d.reportTopSigs),
    topAttackers: attackers.map((a) => ({ ip: a.ip, dl: a.dl, packets: a.packets, sigCount: a.sigCount })),
    topPorts: q.topPorts(d.reportTopPorts),
    prefixes: [...(counters.get('prefix') ?? new Map<string, number>())].sort((a, b) => b[1] - a[1]),
    protocols: [...(counters.get('proto') ?? new Map<string, number>())].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    details: reader.many(attackers.map((a) => a.ip)),
    notes: [],
  };
}

/** Every profile, most dangerous first: from memory, or streamed from the store in pages. */
export function* allProfiles(session: Session, fromStore: boolean): Generator<SourceProfile> {
  if (!fromStore) {
    const t = session.cache.table;
    for (const s of [...session.cache.hotIds()].sort(byRank(t))) yield scanProfile(exportSource(t, s));
    return;
  }
  const db = session.db();
  const reader = new ProfileReader(db);
  const ips = new ScanQuery(db).sources({}).map((r) => r.ip);
  for (let i = 0; i < ips.length; i += 500) yield* reader.many(ips.slice(i, i + 500));
}
