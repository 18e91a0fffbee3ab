// `probewatch follow`: follows log files (across rotation) or journald, detects with the psad daemon's interval
// semantics by event time, and commits each batch's counts with its read offset in one transaction (crash-safe resume).
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { pwError } from '../domain/errors.ts';
import type { LogOffset } from '../domain/log-offset.ts';
import { Detector } from '../detect/engine.ts';
import type { EngineMeta, IntervalResult } from '../detect/engine.ts';
import type { LogBatch } from '../logs/batch.ts';
import { FileFollower } from '../logs/follow-file.ts';
import { JournalFollower } from '../logs/journal.ts';
import { openStore } from '../store/db.ts';
import type { Db } from '../store/db.ts';
import { LogOffsets } from '../store/log-offsets.ts';
import { Retention } from '../store/retention.ts';
import { ScanCache } from '../store/scan-cache.ts';
import { COMMON_OPTIONS, parseCommandArgs } from './command.ts';
import type { Command } from './command.ts';
import { loadDetectRules, newLineParser } from './detect-setup.ts';
import { configLayersFromArgs } from './load-config.ts';
import { CounterWriter } from './scan-session.ts';

const USAGE = `probewatch follow [--data-dir DIR] (--log FILE… | --journal) [--from-end] [--psad-conf FILE] [--config FILE]

Follows firewall logs and keeps scan state in the store (what the psad daemon does). Files are followed across
rotation; journald through journalctl. Offsets are saved with the counts they cover, so after a restart or a crash
(kill -9 included) reading resumes exactly after the last committed line. A file seen for the first time is read from
its start; --from-end skips its history. Stops cleanly on SIGINT/SIGTERM.`;

/** A running follow session (exported for tests and `serve`). */
export interface FollowSession {
  /** Resolves once every source has delivered what it has (useful in tests). */
  idle(): Promise<void>;
  /** Stops reading, commits, closes the store. */
  stop(): Promise<void>;
  /** Resolves when following ends. */
  done: Promise<void>;
}

/** Starts following per the configuration; `onChange` receives danger-level changes (alerts, logging). */
export async function startFollow(config: Config, opts: {
  notice: (msg: string) => void;
  onChange?: (r: IntervalResult) => void;
}): Promise<FollowSession> {
  const l = config.logs;
  if (l.files.length === 0 && !l.journal) throw pwError('PW_ERR_USAGE', ['nothing to follow: give --log FILE… or --journal']);
  const { rules, sources } = loadDetectRules(config);
  for (const n of sources.notes) opts.notice(n);
  const db: Db = openStore(config.core.dataDir);
  const cache = new ScanCache(db, { maxHot: config.detect.maxHotSources, memoryBudget: config.detect.memoryBudget * 1048576, notice: opts.notice });
  const repo = cache.repo;
  const offsets = new LogOffsets(db);
  const storedMode = repo.getMeta('mode');
  const mode = config.detect.compat ? 'psad compatibility' : 'probewatch';
  if (storedMode !== undefined && storedMode !== mode) {
    opts.notice(`the store was written in ${JSON.stringify(storedMode)} mode; continuing in ${mode} mode`);
  }
  const meta = repo.getMeta('engine') as EngineMeta | undefined;
  const detector = new Detector(rules, cache, 'timed', meta);
  const counters = new CounterWriter();
  const report = (r: IntervalResult | null): void => {
    if (!r) return;
    for (const { ip, change } of r.changes) opts.notice(`${ip} danger level ${change.level} (${change.reason})`);
    opts.onChange?.(r);
  };
  let lastBatch = Date.now();
  let pendingInterval = false;

  /** Commits a batch: its packets' effects, the engine state and its offset, in one transaction. */
  const commit = (batch: LogBatch | null, offset: LogOffset | undefined): void => {
    const results: IntervalResult[] = [];
    db.transaction(() => {
      if (batch) {
        for (const ev of batch.packets) detector.ingest(ev, undefined, (r) => results.push(r));
        for (const e of batch.errors) repo.addCounter('error', e.reason, 1);
        for (const n of batch.losses) repo.addCounter('loss', n.kind, n.count);
        pendingInterval = pendingInterval || batch.packets.length > 0;
      } else {
        const r = detector.closeInterval();
        if (r) results.push(r);
        pendingInterval = false;
      }
      cache.flush();
      counters.save(repo, detector.totals);
      counters.saveMode(repo, config.detect.compat);
      repo.setMeta('engine', detector.meta);
      if (offset) offsets.save(offset, Date.now());
    })();
    for (const r of results) report(r);
  };

  const onBatch = (batch: LogBatch): void => {
    lastBatch = Date.now();
    commit(batch, batch.offset);
  };
  const followers: { idle(): Promise<void>; stop(): Promise<void>; done: Promise<void> }[] = [];
  for (const path of l.files) {
    const f = new FileFollower({
      path, parser: newLineParser(config), start: offsets.get(path), fromEnd: l.fromEnd, batchSize: l.batchSize,
      pollIntervalMs: l.pollInterval * 1000, readChunk: l.readChunk, onBatch,
      onNotice: (n) => {
        opts.notice(n.kind === 'error' ? `${n.path}: ${n.message}` : `${n.path}: ${n.kind}${'to' in n ? ` → ${n.to}` : ''}`);
      },
    });
    await f.start();
    followers.push(f);
  }
  if (l.journal) {
    const j = new JournalFollower({
      parser: newLineParser(config), start: offsets.get('journal'), fromEnd: l.fromEnd, journalctl: l.journalctl,
      batchSize: l.batchSize, flushIntervalMs: l.flushInterval * 1000, onBatch,
      onNotice: (n) => {
        opts.notice(`journal: ${n.kind}${n.kind === 'error' ? `: ${n.message}` : ''}`);
      },
    });
    await j.start();
    followers.push(j);
  }

  // the open interval is closed when input has been quiet for a check interval, so levels do not wait for new packets
  const ciMs = config.detect.checkInterval * 1000;
  const retention = new Retention(db);
  let lastPrune = Date.now();
  const timer = setInterval(() => {
    try {
      if (pendingInterval && Date.now() - lastBatch >= ciMs) commit(null, undefined);
      const every = config.store.compactInterval * 1000;
      if (config.store.retention > 0 && every > 0 && Date.now() - lastPrune >= every) {
        lastPrune = Date.now();
        // retention runs on event time: replaying an old log must not prune what it just read
        const cutoff = detector.meta.lastTime - config.store.retention * 1000;
        cache.forget(cutoff);
        const r = retention.prune(cutoff);
        if (r.sources > 0) opts.notice(`retention: pruned ${r.sources} sources not seen for ${config.store.retention} s, freed ${r.freedPages} pages`);
      }
    } catch (e) {
      opts.notice(`housekeeping failed: ${(e as Error).message}`);
    }
  }, Math.min(ciMs, 1000));
  timer.unref();
  let stopped = false;
  const done = Promise.all(followers.map((f) => f.done)).then(() => undefined);
  return {
    async idle() {
      await Promise.all(followers.map((f) => f.idle()));
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await Promise.all(followers.map((f) => f.stop()));
      if (pendingInterval) commit(null, undefined);
      db.close();
    },
    done,
  };
}

export const followCommand: Command = {
  name: 'follow',
  summary: 'follow log files or journald into the store with psad daemon semantics (crash-safe resume)',
  usage: USAGE,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      ...COMMON_OPTIONS, log: { type: 'string', multiple: true }, journal: { type: 'boolean' }, 'from-end': { type: 'boolean' },
    }, false);
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const opts = configLayersFromArgs(values);
    const { config } = loadConfig(opts);
    const notice = (m: string): void => {
      process.stderr.write(`probewatch follow: ${m}\n`);
    };
    for (const w of opts.psad?.warnings ?? []) notice(w);
    const session = await startFollow(config, { notice });
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void session.stop().then(resolve, (e: unknown) => {
          notice(`stopping failed: ${(e as Error).message}`);
          resolve();
        });
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      void session.done.then(stop);
    });
    return 0;
  },
};
