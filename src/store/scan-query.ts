// Read-side queries over the detection tables for status and reports: level counts, top sources, ports, signatures,
// input-wide counters — indexed queries, never a scan of per-source files.
import type { Database, Statement } from 'better-sqlite3';

/** A row of the top-attackers list. */
export interface AttackerRow {
  ip: string;
  dl: number;
  packets: number;
  sigCount: number;
  lastSeen: number;
}

/** Filters for listing sources. */
export interface SourceFilter {
  /** Lowest danger level. */
  minDl?: number;
  /** Exact address (canonical). */
  ip?: string;
  /** Most rows (0: all). */
  limit?: number;
}

/** Queries for status and reports. */
export class ScanQuery {
  readonly #levels: Statement<[], { dl: number; n: number }>;
  readonly #total: Statement<[], number>;
  readonly #ports: Statement<[number], { proto: string; port: number; packets: number }>;
  readonly #sigs: Statement<[number], { sid: number; msg: string; proto: string; count: number; sources: number }>;
  readonly #counters: Statement<[], { kind: string; key: string; count: number }>;
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
    this.#levels = db.prepare<[], { dl: number; n: number }>(
      'SELECT danger_level AS dl, count(*) AS n FROM sources WHERE ip IN (SELECT ip FROM detect_sources) GROUP BY danger_level');
    this.#total = db.prepare<[], number>('SELECT count(*) FROM detect_sources').pluck();
    this.#ports = db.prepare<[number], { proto: string; port: number; packets: number }>(
      'SELECT proto, port, sum(packets) AS packets FROM detect_ports GROUP BY proto, port ORDER BY packets DESC, proto, port LIMIT ?');
    this.#sigs = db.prepare<[number], { sid: number; msg: string; proto: string; count: number; sources: number }>(
      `SELECT sid, max(msg) AS msg, max(proto) AS proto, sum(count) AS count, count(*) AS sources FROM detect_sig_hits
       GROUP BY sid ORDER BY count DESC, sid LIMIT ?`);
    this.#counters = db.prepare<[], { kind: string; key: string; count: number }>('SELECT kind, key, count FROM detect_counters');
  }

  /** Sources with detection state per danger level (index = level). */
  levelCounts(): number[] {
    const out = [0, 0, 0, 0, 0, 0];
    for (const r of this.#levels.all()) out[Math.max(0, Math.min(5, r.dl))]! += r.n;
    return out;
  }

  /** Sources with detection state. */
  totalSources(): number {
    return this.#total.get() ?? 0;
  }

  /** Sources matching the filter, most dangerous first (then most packets). */
  sources(f: SourceFilter = {}): AttackerRow[] {
    const where: string[] = ['d.ip IS NOT NULL'];
    const args: (string | number)[] = [];
    if (f.minDl !== undefined) {
      where.push('s.danger_level >= ?');
      args.push(f.minDl);
    }
    if (f.ip !== undefined) {
      where.push('s.ip = ?');
      args.push(f.ip);
    }
    const limit = f.limit && f.limit > 0 ? ` LIMIT ${Math.floor(f.limit)}` : '';
    return this.#db.prepare<(string | number)[], AttackerRow>(
      `SELECT s.ip AS ip, s.danger_level AS dl, s.packets AS packets, coalesce(d.sig_count, 0) AS sigCount, s.last_seen AS lastSeen
       FROM sources s LEFT JOIN detect_sources d ON d.ip = s.ip WHERE ${where.join(' AND ')}
       ORDER BY s.danger_level DESC, s.packets DESC, s.ip${limit}`).all(...args);
  }

  /** Busiest destination ports over all sources. */
  topPorts(limit: number): { proto: string; port: number; packets: number }[] {
    return this.#ports.all(limit > 0 ? limit : -1);
  }

  /** Signatures with the most hits. */
  topSignatures(limit: number): { sid: number; msg: string; proto: string; count: number; sources: number }[] {
    return this.#sigs.all(limit > 0 ? limit : -1);
  }

  /** Input-wide counters by kind ('proto', 'prefix', 'outcome'). */
  counters(): Map<string, Map<string, number>> {
    const out = new Map<string, Map<string, number>>();
    for (const r of this.#counters.all()) {
      let m = out.get(r.kind);
      if (!m) out.set(r.kind, (m = new Map<string, number>()));
      m.set(r.key, r.count);
    }
    return out;
  }
}
