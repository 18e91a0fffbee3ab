// Builds the enrichment providers (geo/ASN, whois with pacing, reverse DNS) from the `enrich` settings.
import type { Clock } from '../domain/clock.ts';
import { systemClock } from '../domain/clock.ts';
import { pwError } from '../domain/errors.ts';
import type { RegistryStateStore, WhoisCache } from '../domain/enrichment.ts';
import type { Config } from '../config/schema.ts';
import { planDatabases } from './geo/default-dbs.ts';
import type { DbPlan } from './geo/default-dbs.ts';
import { GeoProvider } from './geo/geo-provider.ts';
import type { EnrichLog } from './log.ts';
import { silentLog } from './log.ts';
import type { DnsResolver } from './rdns/rdns.ts';
import { ReverseDns, systemResolver } from './rdns/rdns.ts';
import type { Server } from './whois/servers.ts';
import { serverMap } from './whois/servers.ts';
import type { WhoisTransport } from './whois/transport.ts';
import { WhoisClient } from './whois/whois-client.ts';
import { MemoryRegistryState, RegistryPacer, perRegistry } from './worker/pacer.ts';

/** The `enrich` settings section. */
export type EnrichSettings = Config['enrich'];

/** What the providers are built with beyond the settings (stores, fakes for tests). */
export interface ProviderDeps {
  clock?: Clock;
  log?: EnrichLog;
  /** Netblock cache (SQLite in the service; null: none). */
  whoisCache?: WhoisCache | null;
  /** Pacing state (SQLite in the service; in memory otherwise). */
  registryState?: RegistryStateStore;
  /** DNS resolver (tests pass a fake). */
  resolver?: DnsResolver;
  /** whois transport (whoiser by default). */
  transport?: WhoisTransport;
  /** Ask only this server (`--whois-server`). */
  forceServer?: Server | null;
}

/** The built providers; null where switched off or unavailable. */
export interface Providers {
  geo: GeoProvider | null;
  plan: DbPlan;
  whois: WhoisClient | null;
  pacer: RegistryPacer | null;
  rdns: ReverseDns | null;
}

/** Builds the providers; a malformed per-registry setting is a configuration error. */
export function buildProviders(cfg: EnrichSettings, deps: ProviderDeps = {}): Providers {
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? silentLog;
  const plan = planDatabases({ mmdb: cfg.mmdb, mmdbDirs: cfg.mmdbDirs, bundledGeo: cfg.bundledGeo });
  const geo = plan.files.length + plan.fallback.length > 0 ? new GeoProvider(plan, { clock, log }) : null;
  let whois: WhoisClient | null = null;
  let pacer: RegistryPacer | null = null;
  if (cfg.whois) {
    const { map, errors } = serverMap(cfg.whoisServers);
    if (errors.length > 0) throw pwError('PW_ERR_CONFIG_VALUE', ['enrich.whoisServers', `bad entries ${errors.join(', ')} (want REGISTRY=HOST[:PORT])`]);
    let qps;
    let caps;
    try {
      qps = perRegistry(cfg.whoisQps, 1, 'enrich.whoisQps');
      caps = perRegistry(cfg.whoisDailyCap, 1000, 'enrich.whoisDailyCap');
    } catch (e) {
      throw pwError('PW_ERR_CONFIG_VALUE', ['enrich', (e as Error).message]);
    }
    pacer = new RegistryPacer({
      qps, concurrency: cfg.whoisConcurrency, dailyCap: caps, cooldownMs: cfg.whoisCooldown * 1000,
      state: deps.registryState ?? new MemoryRegistryState(), clock, log,
    });
    const p = pacer;
    whois = new WhoisClient({
      servers: map, forceServer: deps.forceServer ?? null, transport: deps.transport, deadlineMs: cfg.whoisDeadline * 1000,
      idleMs: cfg.whoisIdleTimeout * 1000, maxBytes: cfg.whoisMaxBytes, maxReferrals: cfg.whoisMaxReferrals,
      cache: deps.whoisCache ?? null, refreshMs: cfg.whoisRefresh * 1000, pacer: p.run, onDenied: (r, m) => { p.denied(r, m); }, clock,
    });
  }
  const rdns = cfg.rdns
    ? new ReverseDns({
      resolver: deps.resolver ?? systemResolver(cfg.rdnsTimeout * 1000), timeoutMs: cfg.rdnsTimeout * 1000,
      minTtl: cfg.rdnsMinTtl, maxTtl: cfg.rdnsMaxTtl, negativeTtl: cfg.rdnsNegativeTtl, clock,
    })
    : null;
  return { geo, plan, whois, pacer, rdns };
}
