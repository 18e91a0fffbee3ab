// Repository of response history (alerts, scripts, blocks) and per-source alert counters, with the profile view.
import type { Database, Statement } from 'better-sqlite3';
import { isoTime } from '../domain/clock.ts';
import { toDangerLevel } from '../domain/profile.ts';
import type { ResponseState } from '../domain/profile.ts';
import type { ResponseLogEntry, ResponseLogRepository } from '../domain/response.ts';
import { ChangeLog } from './changes.ts';

interface Row {
  ip: string;
  time: number;
  kind: string;
  channel: string;
  ok: number;
  level: number;
  detail: string;
}

function toEntry(r: Row): ResponseLogEntry {
  let detail: Record<string, unknown> = {};
  try {
    detail = JSON.parse(r.detail) as Record<string, unknown>;
  } catch { /* a hand-edited row: keep the entry, drop the detail */ }
  return { ip: r.ip, time: r.time, kind: r.kind as ResponseLogEntry['kind'], channel: r.channel, ok: r.ok === 1, level: toDangerLevel(r.level), detail };
}

/** Response history in SQLite, bounded by time (prune) — the profile's `response` part is built from it. */
export class SqliteResponseLog implements ResponseLogRepository {
  readonly #db: Database;
  readonly #changes: ChangeLog;
  readonly #append: Statement;
  readonly #recent: Statement<[string, number], Row>;
  readonly #recentKind: Statement<[string, string, number], Row>;
  readonly #loadState: Statement<[string], string>;
  readonly #saveState: Statement<[string, string, number]>;
  readonly #prune: Statement<[number]>;
  readonly #blockedUntil: Statement<[string], { expires_at: number | null }>;

  constructor(db: Database) {
    this.#db = db;
    this.#changes = new ChangeLog(db);
    this.#append = db.prepare('INSERT INTO response_log (ip, time, kind, channel, ok, level, detail) VALUES (@ip, @time, @kind, @channel, @ok, @level, @detail)');
    this.#recent = db.prepare<[string, number], Row>('SELECT * FROM response_log WHERE ip = ? ORDER BY id DESC LIMIT ?');
    this.#recentKind = db.prepare<[string, string, number], Row>('SELECT * FROM response_log WHERE ip = ? AND kind = ? ORDER BY id DESC LIMIT ?');
    this.#loadState = db.prepare<[string], string>('SELECT state FROM response_state WHERE ip = ?').pluck();
    this.#saveState = db.prepare('INSERT INTO response_state (ip, state, updated_at) VALUES (?, ?, ?) ON CONFLICT (ip) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at');
    this.#prune = db.prepare('DELETE FROM response_log WHERE time < ?');
    this.#blockedUntil = db.prepare<[string], { expires_at: number | null }>('SELECT expires_at FROM blocks WHERE ip = ?');
  }

  append(e: ResponseLogEntry): void {
    this.#db.transaction(() => {
      this.#append.run({ ip: e.ip, time: e.time, kind: e.kind, channel: e.channel, ok: e.ok ? 1 : 0, level: e.level, detail: JSON.stringify(e.detail) });
      this.#changes.touch(e.ip, 'response', e.time);
    })();
  }

  recent(ip: string, limit: number): ResponseLogEntry[] {
    return this.#recent.all(ip, limit).map(toEntry);
  }

  loadState(ip: string): string | null {
    return this.#loadState.get(ip) ?? null;
  }

  saveState(ip: string, state: string, now: number): void {
    this.#saveState.run(ip, state, now);
  }

  /** Deletes history older than `before` (ms); returns rows removed. */
  prune(before: number): number {
    return this.#prune.run(before).changes;
  }

  /** The `response` part of a source's profile: block in force, recent alerts and script runs. */
  profileState(ip: string, limit = 50): ResponseState {
    const b = this.#blockedUntil.get(ip);
    const alerts = this.#recentKind.all(ip, 'alert', limit).map(toEntry).map((e) => {
      const detail = typeof e.detail.error === 'string' ? e.detail.error : typeof e.detail.dst === 'string' ? `dst ${e.detail.dst}` : undefined;
      return { sink: e.channel, time: isoTime(e.time), level: e.level, ok: e.ok, ...(detail === undefined ? {} : { detail }) };
    });
    const scripts = this.#recentKind.all(ip, 'script', limit).map(toEntry).map((e) => ({
      time: isoTime(e.time),
      command: typeof e.detail.command === 'string' ? e.detail.command : '',
      exitCode: typeof e.detail.exitCode === 'number' ? e.detail.exitCode : null,
      outputTail: typeof e.detail.outputTail === 'string' ? e.detail.outputTail : '',
      timedOut: e.detail.timedOut === true,
    }));
    return { blockedUntil: b === undefined ? null : b.expires_at === null ? 'permanent' : isoTime(b.expires_at), alerts, scripts };
  }
}
