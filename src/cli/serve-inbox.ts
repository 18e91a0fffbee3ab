// Serve's side of sharing the store with `probewatch ingest`: the serve lease (taken before detection state is loaded,
// renewed while running, given up last at stop) and the inbox intake that counts the batches an ingest hands over.
import type { Config } from '../config/schema.ts';
import type { Db } from '../store/db.ts';
import { IngestInbox } from '../store/ingest-inbox.ts';
import { SERVE_LEASE, StoreLeases } from '../store/store-lease.ts';
import type { Intake, Logger } from '../service.ts';
import { decodeBatch, INBOX_FORMAT } from './inbox-codec.ts';
import type { LogIntake } from './serve-pipeline.ts';

/** What the intake hands batches to (the log pipeline). */
export type InboxTarget = Pick<LogIntake, 'commitForeign'>;

/** The serve lease and the inbox intake. */
export interface ServeHandoff {
  /** The intake consuming the inbox into `target`. */
  intake(target: InboxTarget): Intake;
  /** Gives the lease up (the service calls it last, after the final flush). */
  release(): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Takes the serve lease, then waits until no ingest is running detection on the store itself: such an ingest sees the
 * lease at its next batch, closes its interval, flushes and gives up its own lease, and hands the rest over. Only then
 * may serve load detection state, so neither overwrites the other's counts.
 */
export async function takeServeLease(db: Db, cfg: Config, log: Logger): Promise<ServeHandoff> {
  const leases = new StoreLeases(db, cfg.store.leaseStale * 1000);
  const beatMs = cfg.store.leaseHeartbeat * 1000;
  db.transaction(() => {
    const other = leases.liveLease(SERVE_LEASE, Date.now());
    if (other && (other.pid !== leases.pid || other.host !== leases.host)) {
      log.log('warn', `another serve (pid ${other.pid} on ${other.host}) holds this data directory; taking it over — two serves on one store overwrite each other's counts`);
    }
    leases.take(SERVE_LEASE, Date.now());
  }).immediate();
  let waited = false;
  for (;;) {
    const busy = leases.liveWith('ingest:', Date.now());
    if (busy.length === 0) break;
    if (!waited) log.log('info', `waiting for ${busy.map((l) => `ingest pid ${l.pid} on ${l.host}`).join(', ')} to hand detection over`);
    waited = true;
    leases.renew(SERVE_LEASE, Date.now());
    await sleep(Math.min(beatMs, 200));
  }
  let released = false;
  return {
    intake: (target) => inboxIntake(db, cfg, log, leases, target),
    release() {
      if (released || !db.open) return;
      released = true;
      try {
        leases.release(SERVE_LEASE);
      } catch (e) {
        log.log('warn', `giving up the serve lease failed (it goes stale): ${(e as Error).message}`);
      }
    },
  };
}

function inboxIntake(db: Db, cfg: Config, log: Logger, leases: StoreLeases, target: InboxTarget): Intake {
  const inbox = new IngestInbox(db);
  let beat: NodeJS.Timeout | undefined;
  let poll: NodeJS.Timeout | undefined;
  let running = false;
  let batches = 0;
  let lines = 0;
  let after = 0; // rows before this id were skipped (unknown format): left for a serve that reads them
  const warned = new Set<number>();

  /** Consumes handed-over batches for up to 50 ms, each in the transaction that counts it. */
  const drain = (): void => {
    const deadline = Date.now() + 50;
    while (running && db.open && Date.now() < deadline) {
      const rows = inbox.next(after, 16);
      if (rows.length === 0) return;
      for (const row of rows) {
        if (row.format !== INBOX_FORMAT) {
          if (!warned.has(row.format)) log.log('warn', `ingest inbox: batches of format ${row.format} (from a different probewatch version) are left for a serve that reads them`);
          warned.add(row.format);
          after = row.id;
          continue;
        }
        let batch;
        try {
          batch = decodeBatch(`ingest:${row.source}`, row.payload);
        } catch (e) {
          // a damaged row is dropped so it cannot block the rows behind it
          log.log('error', `ingest inbox: batch ${row.id} from ${row.source} is unreadable, dropped: ${(e as Error).message}`);
          inbox.consume(row.id);
          continue;
        }
        // a store error propagates: the row stays and is tried again at the next poll
        if (target.commitForeign(batch, () => inbox.consume(row.id))) {
          batches++;
          lines += row.lines;
        }
      }
    }
  };

  return {
    name: 'ingest-inbox',
    start() {
      running = true;
      beat = setInterval(() => {
        try {
          if (!leases.renew(SERVE_LEASE, Date.now())) {
            log.log('warn', 'the serve lease was taken over or expired; taking it back');
            leases.take(SERVE_LEASE, Date.now());
          }
        } catch (e) {
          log.log('error', `renewing the serve lease failed: ${(e as Error).message}`);
        }
      }, cfg.store.leaseHeartbeat * 1000);
      beat.unref();
      poll = setInterval(() => {
        try {
          drain();
        } catch (e) {
          log.log('error', `ingest inbox: ${(e as Error).message}`);
        }
      }, cfg.store.inboxPoll * 1000);
      poll.unref();
      return Promise.resolve();
    },
    stop() {
      running = false;
      if (beat) clearInterval(beat);
      if (poll) clearInterval(poll);
      return Promise.resolve();
    },
    ready: () => running,
    // not an input that can be unavailable: /readyz lists the configured sources only
    checks: () => [],
    detail: () => `${batches} batches (${lines} lines) handed over by ingest since start`,
  };
}
