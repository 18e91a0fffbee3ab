// `probewatch ingest --data-dir DIR FILE…`: feeds firewall log files and pcap files into a store, for trying probewatch
// out and for backfills, with a progress bar on a terminal. Beside a running serve it hands the log batches over to it.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { systemClock } from '../domain/clock.ts';
import { pwError } from '../domain/errors.ts';
import type { EnqueueItem } from '../domain/enrichment.ts';
import { Detector } from '../detect/engine.ts';
import type { EngineMeta, IntervalResult } from '../detect/engine.ts';
import type { EngineLimits, TcpEvent } from '../fingerprint/engine.ts';
import { LogFingerprinter } from '../fingerprint/log-bridge.ts';
import { toRecord } from '../fingerprint/record.ts';
import type { LogBatch } from '../logs/batch.ts';
import { LogSources } from '../logs/sources.ts';
import { openStore } from '../store/db.ts';
import type { Db } from '../store/db.ts';
import { EnrichQueue } from '../store/enrich-queue.ts';
import { IngestInbox } from '../store/ingest-inbox.ts';
import { OsGuessRepository } from '../store/os-guesses.ts';
import type { OsGuessObservation } from '../store/os-guesses.ts';
import { ScanCache } from '../store/scan-cache.ts';
import { SERVE_LEASE, StoreLeases } from '../store/store-lease.ts';
import { COMMON_OPTIONS, parseCommandArgs } from './command.ts';
import type { Command } from './command.ts';
import { loadDetectRules } from './detect-setup.ts';
import { fingerprintFile, loadSignatureFiles } from './fingerprint-pipeline.ts';
import type { FileReader } from './fingerprint-pipeline.ts';
import { decodeBatch, encodeBatch, INBOX_FORMAT } from './inbox-codec.ts';
import { Progress } from './ingest-progress.ts';
import { recordToGuess } from './fingerprint-store.ts';
import { withFileEnv } from './file-env.ts';
import { configLayersFromArgs } from './load-config.ts';
import { CounterWriter } from './scan-session.ts';

const USAGE = `probewatch ingest --data-dir DIR [--config FILE] [--psad-conf FILE] [--quiet] [--no-wait] FILE…

Reads firewall log files (any format probewatch parses) and pcap/pcapng files into the store in DATA_DIR: detection
with the daemon's interval semantics by event time, OS guesses from SYNs (in pcaps, and from logged TCP options), and
the changed sources queued for enrichment. Files are read once, from their start, without touching the read offsets a
running serve keeps.

Beside a running serve on the same DATA_DIR (it holds a lease in the store), the parsed log batches are handed over to
it and serve counts them with its own state, so nothing is lost or counted twice; ingest then waits, with progress,
until serve has counted them (--no-wait: return at once, serve counts them in the background, also after a restart).
If serve stops meanwhile, ingest counts the rest itself. A serve started during an ingest waits for it to hand over.
pcaps are merged into the OS guesses directly (safe beside serve). No alerts, scripts or blocks are triggered for
ingested data. Exit 0 when every file was read; 1 when a file could not be read.`;

/** What a file holds. */
export type InputKind = 'pcap' | 'log';

/** pcap (either byte order, micro or nanosecond) and pcapng magic numbers. */
export function inputKind(path: string): InputKind {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw pwError('PW_ERR_INPUT_UNREADABLE', [path, (e as Error).message], { file: path });
  }
  const b = Buffer.alloc(4);
  try {
    readSync(fd, b, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  const m = b.readUInt32BE(0);
  return [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a].includes(m) ? 'pcap' : 'log';
}

/** What an ingest did. */
export interface IngestSummary {
  /** Lines read from log files. */
  lines: number;
  /** Packets among them (counted here or by serve). */
  packets: number;
  /** OS guesses recorded. */
  fingerprints: number;
  /** Danger-level changes found by this process (serve reports its own in its profiles). */
  changes: number;
  /** Lines handed over to a running serve. */
  handedOver: number;
  /** Handed-over lines serve had not counted yet when ingest returned (only with wait: false, or serve gone). */
  pending: number;
}

/** Options of ingest(). */
export interface IngestOptions {
  /** No progress bar. */
  quiet?: boolean;
  /** Wait until a running serve has counted the handed-over lines (default true). */
  wait?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Ingests `files` into the store of `config`. Logs: when a live serve holds the store, the parsed batches are handed
 * over through the inbox and serve counts them (its in-memory state stays the only writer of detection state);
 * otherwise this process runs detection itself under its own lease, and hands over from the next batch on if a serve
 * starts meanwhile. pcaps: OS guesses are merged by SQL (counts added, first/last seen as min/max), safe beside serve.
 */
export async function ingest(config: Config, files: readonly string[], opts: IngestOptions = {}): Promise<IngestSummary> {
  const kinds = files.map((f) => ({ path: f, kind: inputKind(f), size: statSync(f).size }));
  const db: Db = openStore(config.core.dataDir, { busyTimeoutMs: 30_000 });
  const progress = new Progress(opts.quiet ? 0 : kinds.reduce((n, k) => n + k.size, 0));
  const fc = config.fingerprint;
  const sigs = loadSignatureFiles(fc.signatures);
  const limits: EngineLimits = { maxFlows: fc.maxFlows, maxHosts: fc.maxHosts, flowMaxAge: fc.flowMaxAge, hostIdleMinutes: fc.hostIdle / 60 };
  const osRepo = new OsGuessRepository(db);
  const queue = new EnrichQueue(db, { maxRows: config.enrich.queueSize, minDangerLevel: config.enrich.minDangerLevel });
  const leases = new StoreLeases(db, config.store.leaseStale * 1000);
  const inbox = new IngestInbox(db);
  const myLease = leases.ingestName();
  const job = `${myLease}:${Date.now()}:${randomBytes(4).toString('hex')}`;
  const pollMs = config.store.inboxPoll * 1000;
  let guesses: OsGuessObservation[] = [];
  let fingerprints = 0;
  const flushGuesses = (): void => {
    if (guesses.length === 0) return;
    osRepo.record(guesses, systemClock.now());
    fingerprints += guesses.length;
    guesses = [];
  };
  const sink = { tcp: (ev: TcpEvent) => {
    guesses.push(recordToGuess(toRecord(ev, sigs)));
    if (guesses.length >= fc.storeBatch) flushGuesses();
  }, mtu: () => undefined };
  let doneBytes = 0;
  let lines = 0;
  let packets = 0;
  let changes = 0;
  let handedOver = 0;
  let pending = 0;
  try {
    for (const k of kinds.filter((x) => x.kind === 'pcap')) {
      fingerprintFile(k.path, sigs, sink, limits, fc.bpfFilter, fc.reader as FileReader);
      flushGuesses();
      doneBytes += k.size;
      progress.set(doneBytes);
    }
    const logs = kinds.filter((x) => x.kind === 'log');
    if (logs.length > 0) {
      const { rules, sources } = loadDetectRules(config, { daemon: true });
      if (!opts.quiet) for (const n of sources.notes) process.stderr.write(`probewatch ingest: ${n}\n`);

      /** Detection in this process: built when first needed, under this process's lease. */
      let direct: { cache: ScanCache; detector: Detector; counters: CounterWriter; fp: LogFingerprinter } | null = null;
      // set by onBatch (in a closure, which narrowing does not see)
      let handing = false as boolean;
      const enqueue = (results: readonly IntervalResult[]): void => {
        const items: EnqueueItem[] = [];
        for (const r of results) for (const { ip, change } of r.changes) items.push({ ip, dangerLevel: change.level, lastSeen: change.time });
        changes += items.length;
        if (items.length > 0) queue.enqueue(items, systemClock.now());
      };
      /** Counts a batch here (or closes the open interval, batch null); inside the caller's transaction. */
      const countHere = (batch: LogBatch | null, results: IntervalResult[]): void => {
        if (!direct) {
          leases.take(myLease, Date.now());
          const cache = new ScanCache(db, { maxHot: config.detect.maxHotSources, memoryBudget: config.detect.memoryBudget * 1048576, notice: () => undefined });
          direct = { cache, detector: new Detector(rules, cache, 'timed', cache.repo.getMeta('engine') as EngineMeta | undefined), counters: new CounterWriter(), fp: new LogFingerprinter(sigs, sink, limits) };
        } else {
          leases.renew(myLease, Date.now());
        }
        const { cache, detector, counters, fp } = direct;
        const repo = cache.repo;
        if (batch) {
          // FW_SEARCH_ALL N: FW_MSG_SEARCH is matched against the whole line, as psad does
          const texts = config.detect.fwSearchAll ? undefined : batch.texts;
          for (let i = 0; i < batch.packets.length; i++) {
            const ev = batch.packets[i]!;
            detector.ingest(ev, texts?.[i], (r) => results.push(r));
            if (ev.tcpOptions !== undefined) fp.push(ev);
          }
          for (const e of batch.errors) repo.addCounter('error', e.reason, 1);
          for (const n of batch.losses) repo.addCounter('loss', n.kind, n.count);
        } else {
          const r = detector.finish();
          if (r) results.push(r);
        }
        cache.flush();
        counters.save(repo, detector.totals);
        counters.saveMode(repo, config.detect.compat);
        repo.setMeta('engine', detector.meta);
        flushGuesses();
      };
      /** Ends detection here: closes the interval, flushes, gives the lease up (a waiting serve starts then). */
      const endHere = (results: IntervalResult[]): void => {
        if (!direct) return;
        countHere(null, results);
        leases.release(myLease);
        direct = null;
      };
      const serveLive = (): boolean => leases.liveLease(SERVE_LEASE, Date.now()) !== null;

      const onBatch = async (b: LogBatch): Promise<void> => {
        const results: IntervalResult[] = [];
        if (!handing) {
          db.transaction(() => {
            if (serveLive()) {
              endHere(results);
              handing = true;
            } else {
              countHere(b, results);
            }
          }).immediate();
          enqueue(results);
        }
        if (handing) {
          // bounded run-ahead: wait while serve has enough to do (a dead serve stops the wait; its rows are drained below)
          while (inbox.size() >= config.store.inboxMaxRows && serveLive()) await sleep(pollMs);
          inbox.add({ job, source: b.source, format: INBOX_FORMAT, lines: b.lines, payload: encodeBatch(b, !config.detect.fwSearchAll) }, Date.now());
          handedOver += b.lines;
        }
        lines += b.lines;
        packets += b.packets.length;
      };
      /** Counts this job's remaining rows here while no serve holds the store, each in the transaction deleting it. */
      const drainHere = (): void => {
        let after = 0;
        for (;;) {
          const results: IntervalResult[] = [];
          const stop = db.transaction((): boolean => {
            const row = serveLive() ? undefined : inbox.nextOf(job, after);
            if (!row) {
              endHere(results);
              return true;
            }
            after = row.id;
            if (inbox.consume(row.id)) countHere(decodeBatch(row.source, row.payload), results);
            return false;
          }).immediate();
          enqueue(results);
          if (stop) return;
        }
      };
      /**
       * Waits until this job's handed-over rows are counted; returns the lines left (wait false: all of them). When
       * the serve dies meanwhile (its lease goes stale), this process counts the rest itself — unless a serve comes
       * back, which then takes over again.
       */
      const handOver = async (wait: boolean): Promise<number> => {
        for (;;) {
          const left = inbox.pendingOf(job);
          progress.handover(handedOver - left.lines, handedOver, 'serve');
          if (left.rows === 0 || !wait) return left.lines;
          if (serveLive()) await sleep(pollMs);
          else drainHere();
        }
      };
      const base = doneBytes;
      const reading = new Map<string, number>();
      const src = new LogSources({
        settings: { ...config.logs, files: logs.map((l) => l.path), journal: false, syslogListen: [], fromEnd: false },
        // fresh offsets: a backfill never moves the positions a running serve resumes from
        offsets: new Map(),
        psadCompat: config.detect.compat,
        follow: false,
        onBatch: async (b) => {
          await onBatch(b);
          const pos = Number(b.offset?.position ?? 0);
          reading.set(b.source, Number.isFinite(pos) ? pos : 0);
          progress.lines = lines;
          progress.set(base + [...reading.values()].reduce((a, c) => a + c, 0));
        },
      });
      await src.start();
      await src.done();
      const results: IntervalResult[] = [];
      db.transaction(() => { endHere(results); }).immediate();
      enqueue(results);
      if (handing) pending = await handOver(opts.wait !== false);
    }
  } finally {
    progress.end();
    if (db.open) db.close();
  }
  return { lines, packets, fingerprints, changes, handedOver, pending };
}

export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'feed log or pcap files into a store (backfills, trying it out), beside a running serve or not',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, { ...COMMON_OPTIONS, quiet: { type: 'boolean' }, 'no-wait': { type: 'boolean' } });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length === 0) throw pwError('PW_ERR_USAGE', ['give at least one FILE']);
    if (values['data-dir'] === undefined && process.env.PROBEWATCH_DATA_DIR === undefined) throw pwError('PW_ERR_USAGE', ['--data-dir DIR is required']);
    const { config } = loadConfig(configLayersFromArgs(withFileEnv(values)));
    const r = await ingest(config, positionals, { quiet: values.quiet === true, wait: values['no-wait'] !== true });
    if (values.quiet !== true) {
      const handed = r.handedOver === 0 ? ''
        : r.pending > 0 ? `; ${r.handedOver} lines handed over to the running serve, ${r.pending} of them not counted yet (serve counts them in the background)`
          : `; ${r.handedOver} lines handed over to and counted by the running serve`;
      process.stderr.write(`probewatch ingest: ${r.lines} lines, ${r.packets} packets counted, ${r.fingerprints} fingerprints, ${r.changes} danger-level changes into ${config.core.dataDir}${handed}\n`);
    }
    return 0;
  },
};
