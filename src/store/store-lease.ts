// Leases on the store's detection state: `serve` holds one while it runs, an ingest running detection itself holds its
// own; each is renewed by a heartbeat and dead when not renewed in time (or, on this host, when its pid is gone).
import { hostname } from 'node:os';
import type { Database, Statement } from 'better-sqlite3';

/** A lease row. */
export interface Lease {
  /** 'serve' or 'ingest:<host>:<pid>'. */
  holder: string;
  /** Process id of the holder. */
  pid: number;
  /** Host name of the holder (pid liveness is only checked on the same host). */
  host: string;
  /** Wall clock ms the lease was taken. */
  startedAt: number;
  /** Wall clock ms of the last renewal. */
  heartbeatAt: number;
}

/** The lease name serve holds. */
export const SERVE_LEASE = 'serve';

/** Whether process `pid` exists on this host (EPERM: it exists but belongs to someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Row { holder: string; pid: number; host: string; started_at: number; heartbeat_at: number }

const toLease = (r: Row): Lease => ({ holder: r.holder, pid: r.pid, host: r.host, startedAt: r.started_at, heartbeatAt: r.heartbeat_at });

/** Reads and writes leases; every method is one statement, so callers put them in their own transactions. */
export class StoreLeases {
  readonly host = hostname();
  readonly pid = process.pid;
  readonly #staleMs: number;
  readonly #get: Statement<[string], Row>;
  readonly #all: Statement<[], Row>;
  readonly #put: Statement;
  readonly #beat: Statement;
  readonly #drop: Statement;

  /** `staleMs`: a lease not renewed for this long is dead. */
  constructor(db: Database, staleMs: number) {
    this.#staleMs = staleMs;
    this.#get = db.prepare<[string], Row>('SELECT * FROM store_leases WHERE holder = ?');
    this.#all = db.prepare<[], Row>('SELECT * FROM store_leases ORDER BY holder');
    this.#put = db.prepare(`INSERT INTO store_leases (holder, pid, host, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (holder) DO UPDATE SET pid = excluded.pid, host = excluded.host, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`);
    this.#beat = db.prepare('UPDATE store_leases SET heartbeat_at = ? WHERE holder = ? AND pid = ? AND host = ?');
    this.#drop = db.prepare('DELETE FROM store_leases WHERE holder = ? AND pid = ? AND host = ?');
  }

  /** Whether `l` is held by a live process at `now`. */
  live(l: Lease, now: number): boolean {
    if (now - l.heartbeatAt >= this.#staleMs) return false;
    return l.host !== this.host || pidAlive(l.pid);
  }

  /** The lease `holder`, when held by a live process. */
  liveLease(holder: string, now: number): Lease | null {
    const r = this.#get.get(holder);
    return r && this.live(toLease(r), now) ? toLease(r) : null;
  }

  /** Live leases whose name starts with `prefix`. */
  liveWith(prefix: string, now: number): Lease[] {
    return this.#all.all().map(toLease).filter((l) => l.holder.startsWith(prefix) && this.live(l, now));
  }

  /** The lease `holder` as it is stored (live or not). */
  get(holder: string): Lease | null {
    const r = this.#get.get(holder);
    return r ? toLease(r) : null;
  }

  /** Takes (or takes over) `holder` for this process. */
  take(holder: string, now: number): void {
    this.#put.run(holder, this.pid, this.host, now, now);
  }

  /** Renews `holder` if this process holds it; false when another process has taken it over. */
  renew(holder: string, now: number): boolean {
    return this.#beat.run(now, holder, this.pid, this.host).changes > 0;
  }

  /** Gives `holder` up if this process holds it. */
  release(holder: string): void {
    this.#drop.run(holder, this.pid, this.host);
  }

  /** The name of an ingest's lease. */
  ingestName(): string {
    return `ingest:${this.host}:${this.pid}`;
  }
}
