// `probewatch ingest --data-dir DIR FILE…`: feeds firewall log files and pcap files into a store, for trying probewatch
// out and for backfills, with a progress bar on a terminal. Works beside a running serve (WAL, busy timeout).
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
import { OsGuessRepository } from '../store/os-guesses.ts';
import type { OsGuessObservation } from '../store/os-guesses.ts';
import { ScanCache } from '../store/scan-cache.ts';
import { COMMON_OPTIONS, parseCommandArgs } from './command.ts';
import type { Command } from './command.ts';
import { loadDetectRules } from './detect-setup.ts';
import { fingerprintFile, loadSignatureFiles } from './fingerprint-pipeline.ts';
import { recordToGuess } from './fingerprint-store.ts';
import { withFileEnv } from './file-env.ts';
import { configLayersFromArgs } from './load-config.ts';
import { CounterWriter } from './scan-session.ts';

const USAGE = `probewatch ingest --data-dir DIR [--config FILE] [--psad-conf FILE] [--quiet] FILE…

Reads firewall log files (any format probewatch parses; .gz too when the logs reader supports it) and pcap/pcapng
files into the store in DATA_DIR: detection with the daemon's interval semantics by event time, OS guesses from SYNs
(in pcaps, and from logged TCP options), and the changed sources queued for enrichment. Files are read once, from their
start, without touching the read offsets a running serve keeps. Safe beside a running serve: SQLite WAL with a busy
timeout; counts of a source the serve is tracking at the same moment may be overwritten by the serve's in-memory state,
so stop serve (or send the lines to its syslog listener) for large backfills of current sources. No alerts or blocks
are triggered for ingested data. Exit 0 when every file was read; 1 when a file could not be read.`;

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

/** A one-line progress bar on stderr, redrawn at most five times a second (only on a terminal). */
class Progress {
  readonly #tty = process.stderr.isTTY;
  readonly #total: number;
  readonly #start = Date.now();
  #last = 0;
  #done = 0;
  lines = 0;

  constructor(total: number) {
    this.#total = Math.max(1, total);
  }

  set(bytes: number): void {
    this.#done = bytes;
    const now = Date.now();
    if (!this.#tty || now - this.#last < 200) return;
    this.#last = now;
    this.#draw();
  }

  #draw(): void {
    const f = Math.min(1, this.#done / this.#total);
    const secs = Math.max(0.001, (Date.now() - this.#start) / 1000);
    const bar = '#'.repeat(Math.round(f * 30)).padEnd(30, ' ');
    process.stderr.write(`\r[${bar}] ${(f * 100).toFixed(0).padStart(3)}%  ${Math.round(this.lines / secs)} lines/s  ${(this.#done / 1048576 / secs).toFixed(1)} MB/s `);
  }

  end(): void {
    if (this.#tty) {
      this.#done = this.#total;
      this.#draw();
      process.stderr.write('\n');
    }
  }
}

/** Ingests `files` into the store of `config`; returns a summary. */
export async function ingest(config: Config, files: readonly string[], opts: { quiet?: boolean } = {}): Promise<{ lines: number; packets: number; fingerprints: number; changes: number }> {
  const kinds = files.map((f) => ({ path: f, kind: inputKind(f), size: statSync(f).size }));
  const db: Db = openStore(config.core.dataDir, { busyTimeoutMs: 30_000 });
  const progress = new Progress(opts.quiet ? 0 : kinds.reduce((n, k) => n + k.size, 0));
  const fc = config.fingerprint;
  const sigs = loadSignatureFiles(fc.signatures);
  const limits: EngineLimits = { maxFlows: fc.maxFlows, maxHosts: fc.maxHosts, flowMaxAge: fc.flowMaxAge, hostIdleMinutes: fc.hostIdle / 60 };
  const osRepo = new OsGuessRepository(db);
  const queue = new EnrichQueue(db, { maxRows: config.enrich.queueSize, minDangerLevel: config.enrich.minDangerLevel });
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
  try {
    for (const k of kinds.filter((x) => x.kind === 'pcap')) {
      fingerprintFile(k.path, sigs, sink, limits, fc.bpfFilter, fc.reader as 'libpcap' | 'js');
      flushGuesses();
      doneBytes += k.size;
      progress.set(doneBytes);
    }
    const logs = kinds.filter((x) => x.kind === 'log');
    if (logs.length > 0) {
      const { rules, sources } = loadDetectRules(config);
      if (!opts.quiet) for (const n of sources.notes) process.stderr.write(`probewatch ingest: ${n}\n`);
      const cache = new ScanCache(db, { maxHot: config.detect.maxHotSources, memoryBudget: config.detect.memoryBudget * 1048576, notice: () => undefined });
      const repo = cache.repo;
      const detector = new Detector(rules, cache, 'timed', repo.getMeta('engine') as EngineMeta | undefined);
      const counters = new CounterWriter();
      const fp = new LogFingerprinter(sigs, sink, limits);
      const enqueue = (results: readonly IntervalResult[]): void => {
        const items: EnqueueItem[] = [];
        for (const r of results) for (const { ip, change } of r.changes) items.push({ ip, dangerLevel: change.level, lastSeen: change.time });
        changes += items.length;
        if (items.length > 0) queue.enqueue(items, systemClock.now());
      };
      const commit = (batch: LogBatch | null): void => {
        const results: IntervalResult[] = [];
        db.transaction(() => {
          if (batch) {
            for (const ev of batch.packets) {
              detector.ingest(ev, undefined, (r) => results.push(r));
              if (ev.tcpOptions !== undefined) fp.push(ev);
            }
            for (const e of batch.errors) repo.addCounter('error', e.reason, 1);
            for (const n of batch.losses) repo.addCounter('loss', n.kind, n.count);
            lines += batch.lines;
            packets += batch.packets.length;
          } else {
            const r = detector.finish();
            if (r) results.push(r);
          }
          cache.flush();
          counters.save(repo, detector.totals);
          counters.saveMode(repo, config.detect.compat);
          repo.setMeta('engine', detector.meta);
          flushGuesses();
        })();
        enqueue(results);
      };
      const base = doneBytes;
      const reading = new Map<string, number>();
      const src = new LogSources({
        settings: { ...config.logs, files: logs.map((l) => l.path), journal: false, syslogListen: [], fromEnd: false },
        // fresh offsets: a backfill never moves the positions a running serve resumes from
        offsets: new Map(),
        psadCompat: config.detect.compat,
        follow: false,
        onBatch: (b) => {
          commit(b);
          const pos = Number(b.offset?.position ?? 0);
          reading.set(b.source, Number.isFinite(pos) ? pos : 0);
          progress.lines = lines;
          progress.set(base + [...reading.values()].reduce((a, c) => a + c, 0));
        },
      });
      await src.start();
      await src.done();
      commit(null);
    }
  } finally {
    progress.end();
    if (db.open) db.close();
  }
  return { lines, packets, fingerprints, changes };
}

export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'feed log or pcap files into a store (backfills, trying it out), beside a running serve or not',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, { ...COMMON_OPTIONS, quiet: { type: 'boolean' } });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length === 0) throw pwError('PW_ERR_USAGE', ['give at least one FILE']);
    if (values['data-dir'] === undefined && process.env.PROBEWATCH_DATA_DIR === undefined) throw pwError('PW_ERR_USAGE', ['--data-dir DIR is required']);
    const { config } = loadConfig(configLayersFromArgs(withFileEnv(values)));
    const r = await ingest(config, positionals, { quiet: values.quiet === true });
    if (values.quiet !== true) {
      process.stderr.write(`probewatch ingest: ${r.lines} lines, ${r.packets} packets counted, ${r.fingerprints} fingerprints, ${r.changes} danger-level changes into ${config.core.dataDir}\n`);
    }
    return 0;
  },
};
