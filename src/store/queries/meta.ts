// Small key/value state of the API side of the store (epoch, index watermark, feed and history horizons).
import type { Database, Statement } from 'better-sqlite3';

/** Reads and writes rows of `api_meta`. */
export class ApiMeta {
  readonly #get: Statement<[string], string>;
  readonly #set: Statement<[string, string]>;

  constructor(db: Database) {
    this.#get = db.prepare<[string], string>('SELECT value FROM api_meta WHERE key = ?').pluck();
    this.#set = db.prepare('INSERT INTO api_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  }

  /** Text value, or `fallback`. */
  get(key: string, fallback = ''): string {
    return this.#get.get(key) ?? fallback;
  }

  /** Numeric value, 0 when unset. */
  getNumber(key: string): number {
    const v = Number(this.#get.get(key) ?? '0');
    return Number.isFinite(v) ? v : 0;
  }

  /** Sets a value (call inside the transaction whose work it records). */
  set(key: string, value: string): void {
    this.#set.run(key, value);
  }
}
