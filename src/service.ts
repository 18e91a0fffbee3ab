// Composition root of `probewatch serve`: store, intake, enrichment, response, the API's read model and the API itself;
// readiness, signals (SIGTERM/SIGINT stop within a deadline, SIGHUP reloads), and the maintenance timers.
import { closeSync, existsSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { buildApp, DEFAULT_SPEC } from './api/app.ts';
import { profileBodiesFromFile } from './api/profile-body.ts';
import { newToken, parseTokenSpecs, readTokenFile, TokenStore } from './api/tokens.ts';
import type { TokenEntry } from './api/tokens.ts';
import { createEnrichRuntime } from './cli/enrich-runtime.ts';
import type { EnrichRuntime } from './cli/enrich-runtime.ts';
import { takeServeLease } from './cli/serve-inbox.ts';
import type { ServeHandoff } from './cli/serve-inbox.ts';
import { captureIntake } from './cli/serve-intakes.ts';
import { logPipeline } from './cli/serve-pipeline.ts';
import { ProfileReader as DetectProfileReader } from './store/profile-read.ts';
import type { EnrichLog } from './enrich/log.ts';
import { planDatabases } from './enrich/geo/default-dbs.ts';
import { prefetchDatabases } from './enrich/geo/mmdb-file.ts';
import type { Config } from './config/schema.ts';
import { parseIp } from './domain/address.ts';
import type { Clock } from './domain/clock.ts';
import { systemClock } from './domain/clock.ts';
import { pwError } from './domain/errors.ts';
import type { ProfileReader, ReadinessCheck, RuntimeRates } from './domain/queries.ts';
import { createResponseService } from './respond/create.ts';
import type { ResponseService } from './respond/response-service.ts';
import { SqliteBlocks } from './store/blocks.ts';
import { openStore } from './store/db.ts';
import type { Db } from './store/db.ts';
import { apiStore, ProfileDocs } from './store/queries/index.ts';
import { dashboardStore } from './store/dashboard.ts';
import type { ApiStore } from './store/queries/index.ts';
import { StoreProfileReader } from './store/queries/profile-reader.ts';
import { SqliteResponseLog } from './store/response-log.ts';

/** Longest the search index may hold the event loop in one go (ms). */
const INDEX_SLICE_MS = 40;

/** Log levels in order. */
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
/** A log level. */
export type Level = (typeof LEVELS)[number];

/** The scan part of profiles from detection's tables (sources another stage created alone get an empty scan part). */
export function detectCore(db: Db): ProfileReader {
  const r = new DetectProfileReader(db);
  return { read: (ip) => r.one(ip) };
}

/** The daemon's diagnostic log: one line per message on stderr ("2026-01-10T12:00:00.000Z warn message"). */
export interface Logger {
  log(level: Level, msg: string): void;
  /** Current threshold. */
  level: Level;
}

/** A stderr logger with a threshold. */
export function stderrLogger(level: Level, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const logger: Logger = {
    level,
    log(l, msg) {
      if (LEVELS.indexOf(l) <= LEVELS.indexOf(logger.level)) write(`${new Date().toISOString()} ${l} ${msg}\n`);
    },
  };
  return logger;
}

/**
 * Something serve reads events from (a followed file, journald, a syslog listener, a capture interface). `ready` is
 * true once it is open and being read; /readyz is 200 only when every intake is.
 */
export interface Intake {
  /** "log:/var/log/kern.log", "journal", "syslog:udp://0.0.0.0:514", "capture:eth0". */
  readonly name: string;
  start(): Promise<void>;
  /** Stops reading and flushes what was read (with its offset) to the store. */
  stop(): Promise<void>;
  ready(): boolean;
  /** State for /readyz ("reading at line 1200", "waiting for the file to appear", an error). */
  detail(): string;
  /** Several checks instead of one (an intake made of several sources). */
  checks?(): ReadinessCheck[];
  /** Applies a reloaded configuration (SIGHUP): rules, signatures; returns notes for the log. Throws to keep the old. */
  reload?(next: Config): string[];
}

/** What `Service.start` needs. */
export interface ServiceOptions {
  config: Config;
  /** Re-reads the configuration for SIGHUP (the CLI passes its loader); absent: SIGHUP only re-reads token files. */
  reload?: () => Config;
  logger?: Logger;
  clock?: Clock;
  version?: string;
  /** Install SIGTERM/SIGINT/SIGHUP handlers (the CLI does; tests drive stop/reload themselves). */
  signals?: boolean;
  /** Reads the scan part of profiles; default the `sources` row (detect's reader once it is wired). */
  coreReader?: (db: Db) => ProfileReader;
  /** Intakes to run beside the configured ones (tests). */
  intakes?: Intake[];
}

/** Parses HOST:PORT ("127.0.0.1:8080", "[::1]:8080", "0.0.0.0:80"). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  const host = m?.[1];
  if (!host || !(port >= 0 && port <= 65535) || (!parseIp(host) && !/^[a-zA-Z0-9.-]+$/.test(host))) {
    throw pwError('PW_ERR_CONFIG_VALUE', ['api.listen', `expected HOST:PORT such as 127.0.0.1:8080 or [::1]:8080, got ${JSON.stringify(text)}`]);
  }
  return { host, port };
}

/** The tokens configured (token file, api.tokens), or an auto-created token file when none is and api.autoToken is on. */
export function loadTokens(cfg: Config, log: Logger): TokenEntry[] {
  const entries: TokenEntry[] = [...parseTokenSpecs(cfg.api.tokens)];
  let file = cfg.api.tokenFile;
  if (!file && entries.length === 0 && cfg.api.autoToken && cfg.core.dataDir !== ':memory:') {
    file = join(cfg.core.dataDir, 'api.token');
    if (!existsSync(file)) {
      // a fresh machine has no data directory yet: the token is written before the store creates it
      mkdirSync(cfg.core.dataDir, { recursive: true, mode: 0o750 });
      // O_EXCL and mode 0600 at creation: the secret is never readable by others, not even for a moment
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${newToken()}\n`);
      closeSync(fd);
      log.log('warn', `no API token configured: created ${file} (mode 0600) with an admin token; send it as "Authorization: Bearer TOKEN"`);
    }
  }
  if (file) {
    const t = readTokenFile(file);
    for (const w of t.warnings) log.log('warn', w);
    entries.push(...t.entries);
  }
  if (entries.length === 0) log.log('warn', 'no API tokens: every data endpoint answers 401 (set api.tokenFile or api.tokens)');
  return entries;
}

/** The running daemon. */
export class Service {
  readonly config: Config;
  readonly db: Db;
  readonly app: FastifyInstance;
  readonly store: ApiStore;
  readonly enrich: EnrichRuntime;
  readonly response: ResponseService;
  readonly tokens: TokenStore;
  readonly registry: Registry;
  readonly intakes: Intake[];
  readonly #opts: ServiceOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #timers: NodeJS.Timeout[] = [];
  #stopping: Promise<void> | null = null;
  #listening = false;
  #closed!: () => void;
  /** Resolves once the service has stopped (by stop() or a signal). */
  readonly stopped: Promise<void> = new Promise((r) => { this.#closed = r; });
  #signalHandlers: [NodeJS.Signals, () => void][] = [];
  #handoff: ServeHandoff | undefined;

  private constructor(opts: ServiceOptions, parts: {
    db: Db; app: FastifyInstance; store: ApiStore; enrich: EnrichRuntime; response: ResponseService; tokens: TokenStore; registry: Registry; intakes: Intake[];
  }) {
    this.#opts = opts;
    this.config = opts.config;
    this.#log = opts.logger ?? stderrLogger(opts.config.core.logLevel as Level);
    this.#clock = opts.clock ?? systemClock;
    this.db = parts.db;
    this.app = parts.app;
    this.store = parts.store;
    this.enrich = parts.enrich;
    this.response = parts.response;
    this.tokens = parts.tokens;
    this.registry = parts.registry;
    this.intakes = parts.intakes;
  }

  /** Opens everything, starts reading and listening. Throws coded errors (bad config, store, listen address). */
  static async start(opts: ServiceOptions): Promise<Service> {
    const cfg = opts.config;
    const log = opts.logger ?? stderrLogger(cfg.core.logLevel as Level);
    const clock = opts.clock ?? systemClock;
    const listen = parseListen(cfg.api.listen);
    const tokens = new TokenStore(loadTokens(cfg, log));
    // the geo/ASN databases (150 MB bundled) are read on the thread pool while the store opens and its readers are built
    const geoPlan = planDatabases({ mmdb: cfg.enrich.mmdb, mmdbDirs: cfg.enrich.mmdbDirs, bundledGeo: cfg.enrich.bundledGeo });
    const geoAhead = prefetchDatabases([...geoPlan.files, ...geoPlan.fallback]);
    let db: Db;
    try {
      db = openStore(cfg.core.dataDir, { busyTimeoutMs: 10_000, cacheMb: cfg.api.storeCacheMb });
    } catch (e) {
      geoAhead.release();
      throw e;
    }
    const started = clock.now();
    let handoff: ServeHandoff | undefined;
    try {
      const core = opts.coreReader ? opts.coreReader(db) : detectCore(db);
      const reader = new StoreProfileReader(db, core, cfg.enrich);
      // the API's serializer also writes the bodies the search indexer keeps (api.profileDocs), so both answer alike
      const bodies = profileBodiesFromFile(DEFAULT_SPEC, cfg.enrich);
      const store = apiStore(db, reader, cfg.api, clock, bodies);
      if (store.docs) {
        const dropped = store.docs.adopt();
        if (dropped > 0) log.log('info', `stored profile bodies were written for another schema or enrichment policy: dropped ${dropped}, rebuilding in the background`);
      } else {
        new ProfileDocs(db, bodies.shape).abandon();
      }
      const rollups = cfg.dashboard.enabled ? dashboardStore(db, reader, cfg.dashboard, clock, cfg.enrich) : null;
      const registry = new Registry();
      collectDefaultMetrics({ register: registry, prefix: 'probewatch_process_' });
      const enrichLog: EnrichLog = (lvl, msg) => { log.log(lvl, `enrich: ${msg}`); };
      await geoAhead.done;
      const enrich = createEnrichRuntime(db, cfg.enrich, { clock, log: enrichLog });
      geoAhead.release();
      const response = await createResponseService(cfg.respond, { blocks: new SqliteBlocks(db), log: new SqliteResponseLog(db) }, {
        // HOME_NET is one psad key for detect and respond: detect's list (when not "any") is never blocked either
        clock, homeNet: cfg.detect.homeNet,
        logger: (lvl, msg) => { log.log(lvl, `respond: ${msg}`); },
      });
      const capture = captureIntake(db, cfg, clock, log);
      // the serve lease comes before any detection state is loaded: an ingest running detection itself hands over first
      handoff = await takeServeLease(db, cfg, log);
      const logs = logPipeline({ db, config: cfg, clock, log, enrich, response, reader, always: true });
      const intakes: Intake[] = [...(opts.intakes ?? []), ...(logs ? [logs, handoff.intake(logs)] : []), ...(capture ? [capture] : [])];
      const checks = (): ReadinessCheck[] => [
        { name: 'store', ready: db.open, detail: db.open ? `open (${cfg.core.dataDir})` : 'closed' },
        ...intakes.flatMap((i) => (i.checks ? i.checks() : [{ name: i.name, ready: i.ready(), detail: i.detail() }])),
      ];
      const runtime: RuntimeRates = { rates: () => {
        const w = enrich.worker.stats;
        return {
          enrichQueue: enrich.queue.size(), enrichGeo: w.geo, enrichWhois: w.whois, enrichRdns: w.rdns, enrichFailed: w.failed,
          indexLag: store.indexer.lag(),
          ...(logs ? { linesPerSecond: Math.round(logs.lines() / Math.max(1, (clock.now() - started) / 1000)) } : {}),
        };
      } };
      const app = await buildApp({
        sources: store.sources, feed: store.feed, blocklist: store.blocklist, stats: store.stats,
        readiness: { checks }, blocks: response, blockDefaultSeconds: cfg.respond.autoBlockTimeout, runtime, tokens,
        settings: cfg.api, clock, registry, version: opts.version ?? '0.1.0', hostname: hostname(), serializeProfile: bodies.serialize,
        logger: { level: LEVELS.indexOf(cfg.core.logLevel as Level) >= LEVELS.indexOf('debug') ? 'debug' : 'warn' },
        sessions: { lifetime: cfg.dashboard.sessionLifetime, max: cfg.dashboard.maxSessions },
        ...(rollups ? { dashboard: rollups.queries, ...(cfg.dashboard.uiDir ? { uiDir: cfg.dashboard.uiDir } : {}) } : { uiDir: false as const }),
      });
      const svc = new Service({ ...opts, logger: log, clock }, { db, app, store, enrich, response, tokens, registry, intakes });
      svc.#handoff = handoff;
      svc.#metrics();
      // the firewall is only touched when blocking is in use: a plain serve on a fresh machine changes no rules
      if (cfg.respond.autoIds || response.blocks().length > 0) await response.start();
      enrich.worker.start();
      if (rollups) {
        // dashboard rollups (issue 7) follow the outbox like the search index, in bounded steps
        svc.#every(cfg.dashboard.rollupInterval * 1000, () => {
          const deadline = Date.now() + 50;
          while (Date.now() < deadline && !rollups.writer.step().caughtUp);
        });
        svc.#every(60_000, () => { rollups.writer.maintain(); });
      }
      try {
        for (const i of intakes) await i.start();
        svc.#maintenance();
        try {
          await app.listen({ host: listen.host, port: listen.port });
        } catch (e) {
          throw pwError('PW_ERR_LISTEN', [cfg.api.listen, (e as Error).message]);
        }
      } catch (e) {
        // undo what started, in reverse, so a failed start leaves no capture, timer or worker behind
        await svc.stop(`start failed: ${(e as Error).message}`);
        throw e;
      }
      svc.#listening = true;
      log.log('info', `API listening on ${svc.address} (data in ${cfg.core.dataDir}; ${intakes.length} intake(s))`);
      if (opts.signals) svc.#signals();
      return svc;
    } catch (e) {
      geoAhead.release();
      handoff?.release();
      if (db.open) db.close();
      throw e;
    }
  }

  /** The listening address as http://HOST:PORT. */
  get address(): string {
    const a = this.app.server.address();
    if (a === null || typeof a === 'string') return String(a);
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  /** Readiness as /readyz reports it. */
  ready(): boolean {
    return this.db.open && this.intakes.every((i) => i.ready());
  }

  /**
   * Stops intake, flushes state and offsets, closes the API and the database. Resolves when done; the CLI exits 0 after
   * it, or 1 when `api.shutdownTimeout` passes first.
   */
  stop(reason = 'stop requested'): Promise<void> {
    this.#stopping ??= this.#stop(reason);
    return this.#stopping;
  }

  async #stop(reason: string): Promise<void> {
    this.#log.log('info', `stopping: ${reason}`);
    try {
      for (const t of this.#timers) clearInterval(t);
      for (const [sig, h] of this.#signalHandlers) process.off(sig, h);
      const results = await Promise.allSettled(this.intakes.map((i) => i.stop()));
      for (const r of results) if (r.status === 'rejected') this.#log.log('error', `intake stop failed: ${String(r.reason)}`);
      await this.enrich.stop();
      await this.response.stop(Math.max(1000, this.config.api.shutdownTimeout * 500));
      if (this.#listening) await this.app.close();
      // the index is a read model: whatever it did not reach is rebuilt from the outbox at the next start
      try { this.store.indexer.step(); } catch { /* best effort */ }
    } finally {
      // the lease goes last, after the final flush: a waiting ingest may then run detection on the store itself
      this.#handoff?.release();
      if (this.db.open) this.db.close();
      this.#log.log('info', 'stopped');
      this.#closed();
    }
  }

  /**
   * SIGHUP: re-reads the configuration and applies what can change live — tokens, log level, detection rules and
   * signatures, p0f signatures — and reports the settings that need a restart. State (counters, offsets, queues) is
   * untouched.
   */
  reload(): void {
    try {
      const next = this.#opts.reload ? this.#opts.reload() : this.config;
      this.tokens.replace(loadTokens(next, this.#log));
      this.#log.level = next.core.logLevel as Level;
      for (const i of this.intakes) for (const n of i.reload?.(next) ?? []) this.#log.log('warn', `${i.name}: ${n}`);
      const restart: string[] = [];
      if (next.api.listen !== this.config.api.listen) restart.push('api.listen');
      if (next.core.dataDir !== this.config.core.dataDir) restart.push('core.dataDir');
      this.#log.log('info', `configuration reloaded (${this.tokens.size} token(s))${restart.length ? `; needs a restart to apply: ${restart.join(', ')}` : ''}`);
    } catch (e) {
      this.#log.log('error', `reload failed, keeping the running configuration: ${(e as Error).message}`);
    }
  }

  #metrics(): void {
    const intakes = this.intakes;
    new Gauge({
      name: 'probewatch_intake_ready', help: 'Whether each configured intake is open and being read (1) or not (0).',
      labelNames: ['intake'] as const, registers: [this.registry],
      collect() { for (const i of intakes) this.set({ intake: i.name }, i.ready() ? 1 : 0); },
    });
    const worker = this.enrich.worker;
    const queue = this.enrich.queue;
    new Gauge({
      name: 'probewatch_enrich_queue', help: 'Sources waiting for enrichment.', registers: [this.registry],
      collect() { this.set(queue.size()); },
    });
    new Gauge({
      name: 'probewatch_enrich_lookups', help: 'Enrichment lookups done since start, by provider.', labelNames: ['provider'] as const,
      registers: [this.registry],
      collect() { for (const p of ['geo', 'whois', 'rdns'] as const) this.set({ provider: p }, worker.stats[p]); },
    });
  }

  #maintenance(): void {
    const s = this.config.api;
    // The read model follows the outbox in slices of at most INDEX_SLICE_MS, so the event loop keeps answering requests
    // and reading logs. Step sizes adapt to what fits (a step of api.indexBatch sources took ~0.5-1 s at a million
    // sources and stalled every request behind it); while the index lags, slices follow each other with a yield to I/O
    // in between, instead of one per api.indexInterval.
    let batch = Math.min(s.indexBatch, 100);
    let running = false;
    const slice = (): void => {
      if (!this.db.open || this.#stopping) { running = false; return; }
      let caughtUp = false;
      let rebuilding = false;
      try {
        const deadline = performance.now() + INDEX_SLICE_MS;
        while (!caughtUp && performance.now() < deadline) {
          const t = performance.now();
          const r = this.store.indexer.step(batch);
          const ms = performance.now() - t;
          caughtUp = r.caughtUp;
          // with the index current, the rest of the slice rebuilds stored bodies (after a schema or policy change)
          if (caughtUp && performance.now() < deadline) {
            rebuilding = !this.store.indexer.rebuildDocs(50).done;
            caughtUp = !rebuilding;
          }
          // aim at steps of half a slice: big enough to amortise the transaction, small enough to stop in time
          if (r.sources > 0) batch = Math.max(Math.min(50, s.indexBatch), Math.min(s.indexBatch, Math.round((batch * INDEX_SLICE_MS) / 2 / Math.max(0.5, ms))));
        }
      } catch (e) {
        this.#log.log('error', `search index step failed: ${(e as Error).message}`);
        caughtUp = true;
      }
      if (caughtUp) running = false;
      // a lagging index catches up at once; the body rebuild (a million sources after an upgrade: minutes of work)
      // takes every other slice, so log intake and requests keep half the loop
      else if (rebuilding) setTimeout(slice, INDEX_SLICE_MS).unref();
      else setImmediate(slice);
    };
    this.#every(s.indexInterval * 1000, () => {
      this.store.stats.sample();
      if (running) return;
      running = true;
      slice();
    });
    this.#every(10_000, () => { this.store.compactor.step(5000); });
    this.#every(60_000, () => { this.store.indexer.gc(); });
  }

  #every(ms: number, fn: () => void): void {
    const t = setInterval(() => {
      try {
        fn();
      } catch (e) {
        this.#log.log('error', `maintenance failed: ${(e as Error).message}`);
      }
    }, ms);
    t.unref();
    this.#timers.push(t);
  }

  #signals(): void {
    const stop = (sig: string) => () => {
      const deadline = setTimeout(() => {
        this.#log.log('error', `shutdown took longer than api.shutdownTimeout (${this.config.api.shutdownTimeout}s); exiting`);
        process.exit(1);
      }, this.config.api.shutdownTimeout * 1000);
      deadline.unref();
      this.stop(`received ${sig}`).then(() => { process.exitCode = 0; }, (e: unknown) => {
        this.#log.log('error', `shutdown failed: ${(e as Error).message}`);
        process.exitCode = 1;
      });
    };
    const handlers: [NodeJS.Signals, () => void][] = [['SIGTERM', stop('SIGTERM')], ['SIGINT', stop('SIGINT')], ['SIGHUP', () => { this.reload(); }]];
    for (const [sig, h] of handlers) process.on(sig, h);
    this.#signalHandlers = handlers;
  }

  /** Wall clock of the service (for tests). */
  now(): number {
    return this.#clock.now();
  }
}
