// Wires the enrichment worker to the store for `serve` (and the restart test's child): providers, queue, states, pacing.
import type { Db } from '../store/db.ts';
import { EnrichQueue } from '../store/enrich-queue.ts';
import { EnrichStateRepo } from '../store/enrich-state.ts';
import { SqliteRegistryState, SqliteWhoisCache, WhoisSearch } from '../store/enrich-whois.ts';
import type { Clock } from '../domain/clock.ts';
import { systemClock } from '../domain/clock.ts';
import type { EnrichSettings, ProviderDeps, Providers } from '../enrich/providers.ts';
import { buildProviders } from '../enrich/providers.ts';
import type { EnrichLog } from '../enrich/log.ts';
import { silentLog } from '../enrich/log.ts';
import { EnrichWorker } from '../enrich/worker/worker.ts';

/** The running enrichment: `queue.enqueue()` from ingestion (then `worker.poke()`), `state.view()` for profiles. */
export interface EnrichRuntime {
  queue: EnrichQueue;
  state: EnrichStateRepo;
  search: WhoisSearch;
  providers: Providers;
  worker: EnrichWorker;
  /** Stops the worker and the pacers. */
  stop(): Promise<void>;
}

/** Builds (not starts) the enrichment runtime over an open store. */
export function createEnrichRuntime(db: Db, cfg: EnrichSettings, deps: ProviderDeps & { clock?: Clock; log?: EnrichLog; maxInFlight?: number } = {}): EnrichRuntime {
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? silentLog;
  const queue = new EnrichQueue(db, { maxRows: cfg.queueSize, minDangerLevel: cfg.minDangerLevel });
  const state = new EnrichStateRepo(db);
  const providers = buildProviders(cfg, {
    ...deps, clock, log, whoisCache: new SqliteWhoisCache(db, cfg.whoisCacheSize), registryState: new SqliteRegistryState(db),
  });
  const worker = new EnrichWorker({
    queue, state, transaction: (fn) => db.transaction(fn)(), geo: providers.geo, whois: providers.whois, rdns: providers.rdns,
    minDangerLevel: cfg.minDangerLevel, whoisRefreshMs: cfg.whoisRefresh * 1000, retryBaseMs: cfg.retryBase * 1000,
    retryMaxMs: cfg.retryMax * 1000, maxAttempts: cfg.maxAttempts, geoBatch: cfg.geoBatch,
    // enough sources in flight to keep every registry's limiter and the resolver busy, no more
    maxInFlight: deps.maxInFlight ?? Math.max(8, cfg.whoisConcurrency * 6 + cfg.rdnsConcurrency),
    mmdbCheckMs: cfg.mmdbCheckInterval * 1000, clock, log,
    registryBlockedUntil: (r) => providers.pacer?.blocked(r)?.until ?? null,
  });
  return {
    queue, state, search: new WhoisSearch(db), providers, worker,
    async stop() {
      await worker.stop();
      await providers.pacer?.stop();
      providers.geo?.close();
    },
  };
}
