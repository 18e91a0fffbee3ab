// Keeps fingerprints on source profiles: buffers records and writes them through OsGuessRepository in batches.
import { systemClock } from '../domain/clock.ts';
import type { Clock } from '../domain/clock.ts';
import type { SignatureDb } from '../fingerprint/database.ts';
import type { TcpEvent } from '../fingerprint/engine.ts';
import { toRecord } from '../fingerprint/record.ts';
import type { FingerprintRecord } from '../fingerprint/record.ts';
import { openStore } from '../store/db.ts';
import { OsGuessRepository } from '../store/os-guesses.ts';
import type { OsGuessObservation } from '../store/os-guesses.ts';

/** A batching writer of guesses. */
export interface GuessStore {
  /** Adds a fingerprint event (converted right away: the event object is reused by the engine). */
  add(ev: TcpEvent): void;
  /** Adds an already built record. */
  addRecord(rec: FingerprintRecord): void;
  /** Writes what is buffered. */
  flush(): void;
  /** Flushes and closes the store. */
  close(): void;
}

/** The store-side view of a record: the subject host and its guess. */
export function recordToGuess(r: FingerprintRecord): OsGuessObservation {
  return {
    ip: r.subject, family: r.family, time: r.timeMs, label: r.label, class: r.class, name: r.name, flavor: r.flavor,
    quality: r.quality, tool: r.tool, dist: r.dist, rawSig: r.rawSig, muonfp: r.muonfp, link: r.link, mtu: r.mtu,
    via: r.via, mode: r.mode,
  };
}

/** Opens the store in `dataDir` and returns a writer that commits every `batch` guesses. */
export function openGuessStore(dataDir: string, batch: number, db: SignatureDb, clock: Clock = systemClock): GuessStore {
  const sql = openStore(dataDir);
  const repo = new OsGuessRepository(sql);
  let pending: OsGuessObservation[] = [];
  const flush = (): void => {
    if (pending.length === 0) return;
    repo.record(pending, clock.now());
    pending = [];
  };
  const push = (g: OsGuessObservation): void => {
    pending.push(g);
    if (pending.length >= batch) flush();
  };
  return {
    add: (ev) => { push(recordToGuess(toRecord(ev, db))); },
    addRecord: (rec) => { push(recordToGuess(rec)); },
    flush,
    close: () => {
      flush();
      sql.close();
    },
  };
}
