// `probewatch follow`: the psad daemon without the API — serve's log pipeline (files across rotation, journald; detection
// with CHECK_INTERVAL/SCAN_TIMEOUT by event time; counts and read offsets committed in one transaction for crash-safe
// resume; retention) with the same enrichment and response rules (alerts, scripts, blocks) on danger-level changes.
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { systemClock } from '../domain/clock.ts';
import type { Clock } from '../domain/clock.ts';
import { pwError } from '../domain/errors.ts';
import type { ProfileReader } from '../domain/queries.ts';
import type { IntervalResult } from '../detect/engine.ts';
import { createResponseService } from '../respond/create.ts';
import { SqliteBlocks } from '../store/blocks.ts';
import { openStore } from '../store/db.ts';
import type { Db } from '../store/db.ts';
import { ProfileReader as DetectProfileReader } from '../store/profile-read.ts';
import { StoreProfileReader } from '../store/queries/profile-reader.ts';
import { SqliteResponseLog } from '../store/response-log.ts';
import { ScanStateRepo } from '../store/scan-state.ts';
import type { Level, Logger } from '../service.ts';
import { COMMON_OPTIONS, parseCommandArgs } from './command.ts';
import type { Command } from './command.ts';
import { createEnrichRuntime } from './enrich-runtime.ts';
import { configLayersFromArgs } from './load-config.ts';
import { logPipeline } from './serve-pipeline.ts';

const USAGE = `probewatch follow [--data-dir DIR] (--log FILE… | --journal) [--from-end] [--psad-conf FILE] [--config FILE]

Follows firewall logs and keeps scan state in the store (what the psad daemon does): detection in CHECK_INTERVAL
batches with SCAN_TIMEOUT, by event time; on a danger-level change the response rules run as under serve (alerts,
external scripts, automatic blocking) and the source is queued for enrichment. Files are followed across rotation
(rename-and-create and copytruncate); journald through journalctl -k -f -o json. Offsets are saved with the counts
they cover, so after a restart or a crash (kill -9 included) reading resumes exactly after the last committed line.
A file seen for the first time is read from its start; --from-end skips its history. Stops cleanly on SIGINT/SIGTERM.`;

/** A running follow session (exported for tests). */
export interface FollowSession {
  /** Stops reading, commits the open interval, waits for responses in flight, closes the store. */
  stop(): Promise<void>;
}

const LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/** Starts following per the configuration; `notice` receives one line per event worth telling (level changes, files). */
export async function startFollow(config: Config, opts: {
  notice: (msg: string) => void;
  onChange?: (r: IntervalResult) => void;
  clock?: Clock;
}): Promise<FollowSession> {
  const l = config.logs;
  if (l.files.length === 0 && !l.journal) throw pwError('PW_ERR_USAGE', ['nothing to follow: give --log FILE… or --journal']);
  const clock = opts.clock ?? systemClock;
  const threshold = LEVELS.indexOf(config.core.logLevel as Level);
  const log: Logger = {
    level: config.core.logLevel as Level,
    log(level, msg) {
      if (LEVELS.indexOf(level) <= threshold) opts.notice(msg);
    },
  };
  // follow reads files and journald; syslog listeners belong to serve
  const cfg: Config = { ...config, logs: { ...config.logs, syslogListen: [] } };
  const db: Db = openStore(cfg.core.dataDir, { busyTimeoutMs: 10_000 });
  try {
    const repo = new ScanStateRepo(db);
    const storedMode = repo.getMeta('mode');
    const mode = cfg.detect.compat ? 'psad compatibility' : 'probewatch';
    if (storedMode !== undefined && storedMode !== mode) {
      opts.notice(`the store was written in ${JSON.stringify(storedMode)} mode; continuing in ${mode} mode`);
    }
    const detectReader = new DetectProfileReader(db);
    const core: ProfileReader = { read: (ip) => detectReader.one(ip) };
    const reader = new StoreProfileReader(db, core, cfg.enrich);
    const enrich = createEnrichRuntime(db, cfg.enrich, { clock, log: (lvl, msg) => { log.log(lvl, `enrich: ${msg}`); } });
    // HOME_NET is one psad key feeding detect and respond; the detect value (when a network list) also guards blocking
    const detectHome = cfg.detect.homeNet;
    const response = await createResponseService(cfg.respond, { blocks: new SqliteBlocks(db), log: new SqliteResponseLog(db) }, {
      clock, homeNet: detectHome, logger: (lvl, msg) => { log.log(lvl, `respond: ${msg}`); },
    });
    const pipeline = logPipeline({
      db, config: cfg, clock, log, enrich, response, reader,
      onResults: (results) => {
        for (const r of results) {
          for (const { ip, change } of r.changes) opts.notice(`${ip} danger level ${change.level} (${change.reason})`);
          opts.onChange?.(r);
        }
      },
    });
    if (!pipeline) throw pwError('PW_ERR_USAGE', ['nothing to follow: give --log FILE… or --journal']);
    if (cfg.respond.autoIds || response.blocks().length > 0) await response.start();
    enrich.worker.start();
    await pipeline.start();
    let stopping: Promise<void> | undefined;
    return {
      stop() {
        stopping ??= (async () => {
          try {
            await pipeline.stop();
            await enrich.stop();
            await response.stop(5000);
          } finally {
            if (db.open) db.close();
          }
        })();
        return stopping;
      },
    };
  } catch (e) {
    if (db.open) db.close();
    throw e;
  }
}

export const followCommand: Command = {
  name: 'follow',
  summary: 'follow log files or journald into the store with psad daemon semantics and response rules (crash-safe resume)',
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
    });
    return 0;
  },
};
