// Scan-state repository: writes a source's changed parts (incrementally, by its dirty marks) and loads a source back,
// so detection can evict cold sources and reload them on their next packet without losing a count.
import type { Database, Statement } from 'better-sqlite3';
import {
  cleanMarks, markBits, MARK_MASSCAN, MARK_MIRAI, MARK_TOPERA, newPairState, pairChains, pairFlags, pairInterval, pairPrefixes, pairRanges,
  PORT_PROTOS, setRanges, setTally, sourceCounts, windowRanges,
} from '../domain/scan-state.ts';
import type { DangerChange, PairInterval, PairSigHit, PairState, PortRange, SourceSigHit, SourceState, TouchedHint } from '../domain/scan-state.ts';
import type { DangerLevel } from '../domain/profile.ts';
import { ChangeLog } from './changes.ts';

interface SourceRow {
  ip: string;
  family: number;
  first_seen: number;
  last_seen: number;
  packets: number;
  danger_level: number;
  interval: number | null;
  cur_sig_dl: number | null;
  cur_sid_dl: number | null;
  saw_tcp_options: number | null;
  sensors: string | null;
  tags: string | null;
  mirai: string | null;
}

interface PairRow {
  dst: string;
  live: number;
  start: number;
  absnum: number;
  tot_protocols: number;
  packets: number;
  first_seen: number;
  last_seen: number;
  interval: number;
  win: string;
  detail: string;
}

interface SigRow {
  sid: number;
  msg: string;
  dl: number;
  proto: string;
  count: number;
  dports: string;
  fwsnort: number;
  first_seen: number;
  last_seen: number;
}

/** A pair's window as stored. */
interface StoredWindow {
  slots: string[];
  wprotos: string[];
  wranges: Record<string, PortRange>;
}

/** A pair's cumulative detail as stored (pairDetail). */
interface StoredDetail {
  ranges?: Record<string, PortRange>;
  chains?: Record<string, number>;
  flags?: Record<string, number>;
  prefixes?: Record<string, number>;
  sigs?: Record<string, PairSigHit>;
  icmpInvalid?: Record<string, number>;
  scanTypes?: string[];
  sweep?: boolean;
  sticky?: { topera: boolean; masscan: boolean; mirai: boolean };
  hosts?: string[];
  cur?: PairInterval;
}

/** Parses stored JSON that this code wrote; a damaged value becomes the fallback rather than a crash. */
function json<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** A pair's cumulative detail as JSON, leaving out empty fields (most pairs of a flood have one packet). */
function pairDetail(p: PairState): string {
  const o: Record<string, unknown> = { ranges: pairRanges(p), chains: pairChains(p), flags: pairFlags(p), prefixes: pairPrefixes(p) };
  if (p.sigs.length > 0) {
    // stored keyed "proto\tsid\tchain", as before the list
    const sigs: Record<string, PairSigHit> = {};
    for (const h of p.sigs) sigs[`${h.proto}\t${h.sid}\t${h.chain}`] = h;
    o.sigs = sigs;
  }
  for (const _k in p.icmpInvalid) {
    o.icmpInvalid = p.icmpInvalid;
    break;
  }
  if (p.scanTypes.length > 0) o.scanTypes = p.scanTypes;
  if (p.sweep) o.sweep = true;
  if (p.marks !== 0) {
    o.sticky = { topera: (p.marks & MARK_TOPERA) !== 0, masscan: (p.marks & MARK_MASSCAN) !== 0, mirai: (p.marks & MARK_MIRAI) !== 0 };
  }
  if (p.hosts.length > 0) o.hosts = p.hosts;
  const cur = pairInterval(p);
  if (cur) o.cur = cur;
  return JSON.stringify(o);
}

/** Reads and writes SourceState rows. Call `save` inside the caller's transaction. */
export class ScanStateRepo {
  readonly db: Database;
  readonly #changes: ChangeLog;
  readonly #upsertSource: Statement;
  readonly #upsertDetect: Statement;
  readonly #upsertPair: Statement;
  readonly #upsertPort: Statement;
  readonly #upsertSig: Statement;
  readonly #insertHistory: Statement;
  readonly #getSource: Statement<[string], SourceRow>;
  readonly #getPairs: Statement<[string], PairRow>;
  readonly #getPorts: Statement<[string], { proto: string; port: number; packets: number }>;
  readonly #getSigs: Statement<[string], SigRow>;
  readonly #getHistory: Statement<[string], { time: number; level: number; reason: string }>;
  readonly #touched: Statement<[number], string>;
  readonly #touchedHint: Statement<[number, number, number, number], string>;
  readonly #expireStart: Statement<[number], { src: string; dst: string }>;
  readonly #expireLast: Statement<[number], { src: string; dst: string }>;
  readonly #getMeta: Statement<[string], string>;
  readonly #setMeta: Statement<[string, string]>;
  readonly #addCounter: Statement<[string, string, number]>;
  readonly #any: Statement<[], number>;

  constructor(db: Database) {
    this.db = db;
    this.#changes = new ChangeLog(db);
    this.#upsertSource = db.prepare(`INSERT INTO sources (ip, family, first_seen, last_seen, packets, danger_level, updated_at)
      VALUES (@ip, @family, @first, @last, @packets, @dl, @now)
      ON CONFLICT (ip) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen),
        packets = excluded.packets, danger_level = excluded.danger_level, updated_at = excluded.updated_at`);
    this.#upsertDetect = db.prepare(`INSERT OR REPLACE INTO detect_sources (ip, interval, cur_sig_dl, cur_sid_dl, saw_tcp_options,
      dst_count, sig_count, protocols, chains, interfaces, sensors, prefixes, tags, scan_types, mirai)
      VALUES (@ip, @interval, @curSigDl, @curSidDl, @sawTcpOptions, @dstCount, @sigCount, @protocols, @chains, @interfaces,
        @sensors, @prefixes, @tags, @scanTypes, @mirai)`);
    this.#upsertPair = db.prepare(`INSERT OR REPLACE INTO detect_pairs (src, dst, live, start, absnum, tot_protocols, packets,
      first_seen, last_seen, interval, win, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#upsertPort = db.prepare('INSERT OR REPLACE INTO detect_ports (src, proto, port, packets) VALUES (?, ?, ?, ?)');
    this.#upsertSig = db.prepare(`INSERT OR REPLACE INTO detect_sig_hits (src, sid, msg, dl, proto, count, dports, fwsnort,
      first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#insertHistory = db.prepare('INSERT OR REPLACE INTO detect_dl_history (src, seq, time, level, reason) VALUES (?, ?, ?, ?, ?)');
    this.#getSource = db.prepare<[string], SourceRow>(`SELECT s.ip, s.family, s.first_seen, s.last_seen, s.packets, s.danger_level,
      d.interval, d.cur_sig_dl, d.cur_sid_dl, d.saw_tcp_options, d.sensors, d.tags, d.mirai FROM sources s LEFT JOIN detect_sources d ON d.ip = s.ip WHERE s.ip = ?`);
    this.#getPairs = db.prepare<[string], PairRow>(`SELECT dst, live, start, absnum, tot_protocols, packets, first_seen, last_seen,
      interval, win, detail FROM detect_pairs WHERE src = ?`);
    this.#getPorts = db.prepare<[string], { proto: string; port: number; packets: number }>('SELECT proto, port, packets FROM detect_ports WHERE src = ?');
    this.#getSigs = db.prepare<[string], SigRow>(`SELECT sid, msg, dl, proto, count, dports, fwsnort, first_seen, last_seen
      FROM detect_sig_hits WHERE src = ?`);
    this.#getHistory = db.prepare<[string], { time: number; level: number; reason: string }>(
      'SELECT time, level, reason FROM detect_dl_history WHERE src = ? ORDER BY seq');
    this.#touched = db.prepare<[number], string>('SELECT ip FROM detect_sources WHERE interval = ?').pluck();
    this.#touchedHint = db.prepare<[number, number, number, number], string>(`SELECT d.ip FROM detect_sources d JOIN sources s ON s.ip = d.ip
      WHERE d.interval = ? AND (s.danger_level >= ? OR s.packets >= ? OR d.dst_count >= ? OR d.cur_sig_dl > s.danger_level
        OR d.cur_sid_dl > s.danger_level)`).pluck();
    this.#expireStart = db.prepare<[number], { src: string; dst: string }>(`UPDATE detect_pairs SET live = 0, absnum = 0,
      tot_protocols = 0, win = '{"slots":[],"wprotos":[],"wranges":{}}' WHERE live = 1 AND start <= ? RETURNING src, dst`);
    this.#expireLast = db.prepare<[number], { src: string; dst: string }>(`UPDATE detect_pairs SET live = 0, absnum = 0,
      tot_protocols = 0, win = '{"slots":[],"wprotos":[],"wranges":{}}' WHERE live = 1 AND last_seen <= ? RETURNING src, dst`);
    this.#getMeta = db.prepare<[string], string>('SELECT value FROM detect_meta WHERE key = ?').pluck();
    this.#setMeta = db.prepare<[string, string]>('INSERT OR REPLACE INTO detect_meta (key, value) VALUES (?, ?)');
    this.#addCounter = db.prepare<[string, string, number]>(`INSERT INTO detect_counters (kind, key, count) VALUES (?, ?, ?)
      ON CONFLICT (kind, key) DO UPDATE SET count = count + excluded.count`);
    this.#any = db.prepare<[], number>('SELECT EXISTS (SELECT 1 FROM detect_sources)').pluck();
  }

  /** Whether any source has detection state (a fresh store needs no lookups for unknown sources). */
  hasAny(): boolean {
    return this.#any.get() === 1;
  }

  /** Writes what changed in `s` since its last save and records the change for the feed. */
  save(s: SourceState, now: number): void {
    const d = s.dirty;
    if (!d.full && !d.source && !d.pairs && !d.ports && !d.sigs && d.historyWritten === s.history.length) return;
    this.#upsertSource.run({ ip: s.ip, family: s.family, first: s.firstSeen, last: s.lastSeen, packets: s.packets, dl: s.dl, now });
    let sigCount = 0;
    for (const h of s.sigs.values()) sigCount += h.count;
    const scanTypes = new Set<string>();
    for (const p of s.pairs.values()) for (const t of p.scanTypes) scanTypes.add(t);
    const counts = sourceCounts(s);
    this.#upsertDetect.run({
      ip: s.ip, interval: s.interval, curSigDl: s.curSigDl, curSidDl: s.curSidDl, sawTcpOptions: s.sawTcpOptions ? 1 : 0,
      dstCount: s.pairs.size, sigCount, protocols: JSON.stringify(counts.protocols), chains: JSON.stringify(counts.chains),
      interfaces: JSON.stringify(counts.interfaces), sensors: JSON.stringify(s.sensors), prefixes: JSON.stringify(counts.prefixes),
      tags: JSON.stringify(s.tags), scanTypes: JSON.stringify([...scanTypes]), mirai: JSON.stringify(s.mirai),
    });
    for (const dst of d.full ? s.pairs.keys() : d.pairs ?? []) {
      const p = s.pairs.get(dst);
      if (!p) continue;
      this.#upsertPair.run(s.ip, dst, p.live ? 1 : 0, p.start, p.absnum, p.totProtocols, p.packets, p.first, p.last, p.interval,
        JSON.stringify({ slots: p.slots, wprotos: p.wprotos, wranges: windowRanges(p) }), pairDetail(p));
    }
    for (const k of d.full ? s.ports.keys() : d.ports ?? []) {
      const n = s.ports.get(k);
      if (n !== undefined) this.#upsertPort.run(s.ip, PORT_PROTOS[Math.floor(k / 65536)] ?? 'tcp', k % 65536, n);
    }
    for (const sid of d.full ? s.sigs.keys() : d.sigs ?? []) {
      const h = s.sigs.get(sid);
      if (h) this.#upsertSig.run(s.ip, sid, h.msg, h.dl, h.proto, h.count, JSON.stringify(h.dports), h.fwsnort ? 1 : 0, h.first, h.last);
    }
    for (let i = d.historyWritten; i < s.history.length; i++) {
      const h = s.history[i]!;
      this.#insertHistory.run(s.ip, i, h.time, h.level, h.reason);
    }
    this.#changes.touch(s.ip, 'detect', now);
    const used = s.dirty.used;
    s.dirty = cleanMarks(s.history.length);
    s.dirty.used = used;
  }

  /** Loads a source's full state, or undefined when the store does not know it. */
  load(ip: string): SourceState | undefined {
    const r = this.#getSource.get(ip);
    if (!r || r.interval === null) return undefined;
    const pairs = new Map<string, PairState>();
    for (const p of this.#getPairs.all(ip)) {
      const win = json<StoredWindow>(p.win, { slots: [], wprotos: [], wranges: {} });
      const det = json<StoredDetail>(p.detail, {});
      const pair = newPairState(p.dst, p.first_seen);
      pair.live = p.live === 1;
      pair.start = p.start;
      pair.absnum = p.absnum;
      pair.totProtocols = p.tot_protocols;
      pair.slots = win.slots;
      pair.wprotos = win.wprotos;
      setRanges(pair, win.wranges, true);
      pair.packets = p.packets;
      pair.last = p.last_seen;
      setRanges(pair, det.ranges ?? {}, false);
      setTally(pair, 'chain', det.chains ?? {});
      setTally(pair, 'flag', det.flags ?? {});
      setTally(pair, 'prefix', det.prefixes ?? {});
      pair.sigs = det.sigs ? Object.values(det.sigs) : [];
      pair.icmpInvalid = det.icmpInvalid ?? {};
      pair.scanTypes = det.scanTypes ?? [];
      pair.sweep = det.sweep ?? false;
      pair.marks = markBits(det.sticky);
      pair.hosts = det.hosts ?? [];
      pair.interval = p.interval;
      if (det.cur) {
        pair.cur = true;
        pair.curFlags = det.cur.flags;
        pair.curProtos = det.cur.protos;
        pair.curMarks = markBits(det.cur);
      }
      pairs.set(p.dst, pair);
    }
    const ports = new Map<number, number>();
    for (const p of this.#getPorts.all(ip)) {
      const code = (PORT_PROTOS as readonly string[]).indexOf(p.proto);
      if (code >= 0) ports.set(code * 65536 + p.port, p.packets);
    }
    const sigs = new Map<number, SourceSigHit>();
    for (const h of this.#getSigs.all(ip)) {
      sigs.set(h.sid, {
        sid: h.sid, msg: h.msg, dl: h.dl as DangerLevel, proto: h.proto, count: h.count, dports: json(h.dports, [] as number[]),
        fwsnort: h.fwsnort === 1, first: h.first_seen, last: h.last_seen,
      });
    }
    const history: DangerChange[] = this.#getHistory.all(ip).map((h) => ({ time: h.time, level: h.level as DangerLevel, reason: h.reason }));
    return {
      ip: r.ip, family: r.family === 6 ? 6 : 4, dl: r.danger_level as DangerLevel, firstSeen: r.first_seen, lastSeen: r.last_seen,
      packets: r.packets, pairs, ports, sigs, history, sensors: json(r.sensors, {}), tags: json(r.tags, []),
      interval: r.interval, curSigDl: r.cur_sig_dl ?? 0, curSidDl: r.cur_sid_dl ?? 0, sawTcpOptions: r.saw_tcp_options === 1,
      mirai: json(r.mirai, {}), dirty: cleanMarks(history.length),
    };
  }

  /** Sources whose stored state says they were touched in interval `id` (only those the hint cannot rule out). */
  touchedIn(id: number, hint?: TouchedHint): string[] {
    if (!hint) return this.#touched.all(id);
    return this.#touchedHint.all(id, hint.minDl, hint.minPackets, hint.minDsts > 0 ? hint.minDsts : Number.MAX_SAFE_INTEGER);
  }

  /** Ends stored windows at or before `cutoff` (by window start, psad, or by last packet, own mode); returns them. */
  expire(cutoff: number, by: 'start' | 'last'): [string, string][] {
    return (by === 'start' ? this.#expireStart : this.#expireLast).all(cutoff).map((r) => [r.src, r.dst]);
  }

  /** Engine state saved under `key` (JSON), or undefined. */
  getMeta(key: string): unknown {
    const v = this.#getMeta.get(key);
    return v === undefined ? undefined : json<unknown>(v, undefined);
  }

  setMeta(key: string, value: unknown): void {
    this.#setMeta.run(key, JSON.stringify(value));
  }

  /** Adds to an input-wide counter. */
  addCounter(kind: string, key: string, n: number): void {
    if (n !== 0) this.#addCounter.run(kind, key, n);
  }
}
