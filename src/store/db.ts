// Opens the SQLite store: WAL, pragmas for a write-heavy single writer, versioned migrations, batched transactions.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { pwError } from '../domain/errors.ts';
import { MIGRATIONS } from './migrations/index.ts';

export type { Database as Db } from 'better-sqlite3';

/** File name of the store inside the data directory. */
export const STORE_FILE = 'probewatch.sqlite';

export interface OpenOptions {
  /** Open read-only (status, API readers in other processes). */
  readonly?: boolean;
  /** Busy timeout in ms when another process holds the write lock (ingest beside serve). */
  busyTimeoutMs?: number;
  /** SQLite page cache in MiB (default 64); taken only as pages are read. */
  cacheMb?: number;
}

let driver: typeof BetterSqlite3 | null = null;

/**
 * The SQLite driver, loaded on the first open: `analyze` in memory imports this module but opens a store only when
 * its sources outgrow memory, and loading the driver (15 CommonJS files and the addon) is ~0.02 CPU-s of its start.
 */
function sqlite(): typeof BetterSqlite3 {
  driver ??= createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  return driver;
}

/** Opens (creating when needed) the store in `dataDir`, or an in-memory store when dataDir is ':memory:'. */
export function openStore(dataDir: string, opts: OpenOptions = {}): Db {
  const Database = sqlite();
  let db: Db;
  try {
    if (dataDir === ':memory:') {
      db = new Database(':memory:');
    } else {
      if (!opts.readonly) mkdirSync(dataDir, { recursive: true, mode: 0o750 });
      db = new Database(join(dataDir, STORE_FILE), { readonly: opts.readonly ?? false });
    }
  } catch (e) {
    throw pwError('PW_ERR_STORE', [`cannot open ${dataDir}: ${(e as Error).message}`], { dataDir });
  }
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 10_000}`);
  if (!opts.readonly) {
    if (dataDir !== ':memory:') {
      // auto_vacuum must be set before the first table exists — and before journal_mode = WAL, which writes the header
      // of a new file and so fixes auto_vacuum at NONE; incremental lets retention compact in steps
      db.pragma('auto_vacuum = INCREMENTAL');
      db.pragma('journal_mode = WAL');
    }
    // NORMAL in WAL mode: a power loss can lose the last transactions but never corrupts; offsets are saved in the same
    // transaction as the counts they cover, so replay after such a loss re-reads exactly what was lost
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('temp_store = MEMORY');
    migrate(db);
  }
  db.pragma(`cache_size = -${Math.max(1, Math.round((opts.cacheMb ?? 64) * 1024))}`);
  return db;
}

/** Applies pending migrations in version order, each in its own transaction; refuses a store newer than the code. */
export function migrate(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  const known = new Set(MIGRATIONS.map((m) => m.version));
  for (const v of applied) {
    if (!known.has(v)) throw pwError('PW_ERR_STORE_SCHEMA', [`migration ${v} is unknown`]);
  }
  const sorted = [...MIGRATIONS].sort((a, b) => a.version - b.version);
  for (const m of sorted) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      m.up(db);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    })();
  }
}
