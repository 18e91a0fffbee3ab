// Enrichment for offline reports (`probewatch analyze --mmdb FILE… --whois`): geo/ASN, whois and rDNS for a list of sources.
import type { DangerLevel, SourceProfile } from '../domain/profile.ts';
import { isoTime, systemClock } from '../domain/clock.ts';
import { belowLevelReason } from '../domain/enrichment.ts';
import type { ProviderState } from '../domain/profile.ts';
import type { Clock } from '../domain/clock.ts';
import type { EnrichSettings, ProviderDeps, Providers } from './providers.ts';
import { buildProviders } from './providers.ts';
import { MemoryWhoisCache } from './whois/memory-cache.ts';

/** The enrichment part of a profile, as `analyze --json` prints it. */
export type OfflineEnrichment = Pick<SourceProfile, 'geo' | 'as' | 'whois' | 'rdns' | 'enrichment'>;

/** One source to enrich. */
export interface OfflineSource {
  /** Address (any textual form). */
  ip: string;
  /** Danger level: whois and rDNS only from `settings.minDangerLevel` up. */
  dangerLevel: DangerLevel;
}

const st = (state: ProviderState['state'], reason: string | null, extra: Partial<ProviderState> = {}): ProviderState =>
  ({ state, reason, fetchedAt: null, source: null, build: null, ...extra });

// the states every source of a run shares when a provider is off or has no database: one frozen object each
const NO_GEO = Object.freeze(st('disabled', 'no geo database'));
const NO_ASN = Object.freeze(st('disabled', 'no ASN database'));
const WHOIS_OFF = Object.freeze(st('disabled', 'whois is switched off'));
const RDNS_OFF = Object.freeze(st('disabled', 'reverse DNS is switched off'));

/**
 * Enriches sources for a report, without a store: geo/ASN for every source, whois (paced per registry, one query per
 * netblock) and reverse DNS for sources at `settings.minDangerLevel` or above when `settings.whois` / `settings.rdns`
 * are on. Results are keyed by the canonical address; an input that is not an address is left out.
 *
 * For `analyze`: pass the loaded `config.enrich` with `mmdb` from `--mmdb` and `whois` set from `--whois` (off by default
 * for offline reports) and `rdns` likewise.
 */
export async function enrichOffline(sources: readonly OfflineSource[], settings: EnrichSettings, deps: ProviderDeps = {}): Promise<Map<string, OfflineEnrichment>> {
  const session = offlineEnricher(settings, deps);
  try {
    return await session.enrich(sources);
  } finally {
    await session.close();
  }
}

/** Providers opened once for many calls (a streamed `analyze --json` enriches page after page). */
export interface OfflineEnricher {
  /** Enriches one batch; whois netblocks found by earlier batches cost no query. */
  enrich(sources: readonly OfflineSource[]): Promise<Map<string, OfflineEnrichment>>;
  /** Stops the whois pacer. */
  close(): Promise<void>;
}

/** Opens the providers once: the databases are read and the whois cache and pacing are shared by every batch. */
export function offlineEnricher(settings: EnrichSettings, deps: ProviderDeps = {}): OfflineEnricher {
  const p = buildProviders(settings, { ...deps, whoisCache: deps.whoisCache ?? new MemoryWhoisCache() });
  return {
    enrich: (sources) => enrichWith(p, sources, settings, deps.clock ?? systemClock),
    close: async () => {
      await p.pacer?.stop();
      p.geo?.close();
    },
  };
}

async function enrichWith(p: Providers, sources: readonly OfflineSource[], settings: EnrichSettings, clock: Clock): Promise<Map<string, OfflineEnrichment>> {
  const out = new Map<string, OfflineEnrichment>();
  const jobs: Promise<void>[] = [];
  for (const s of sources) {
    const g = p.geo?.lookup(s.ip);
    if (p.geo && !g) continue;
    const ip = g?.ip ?? s.ip;
    if (out.has(ip)) continue;
    const e: OfflineEnrichment = {
      geo: g?.geo ?? null, as: g?.as ?? null, whois: null, rdns: null,
      enrichment: {
        geo: g?.geoState ?? NO_GEO, asn: g?.asnState ?? NO_ASN,
        whois: p.whois ? st('pending', null) : WHOIS_OFF,
        rdns: p.rdns ? st('pending', null) : RDNS_OFF,
      },
    };
    out.set(ip, e);
    const below = s.dangerLevel < settings.minDangerLevel;
    if (p.whois) {
      if (below) e.enrichment.whois = st('skipped', belowLevelReason(settings.minDangerLevel));
      else {
        const w = p.whois;
        jobs.push(w.lookup(ip).then((r) => {
          switch (r.kind) {
            case 'done':
              e.whois = r.info;
              e.enrichment.whois = st('done', r.reason, { source: r.server, fetchedAt: isoTime(r.block?.fetchedAt ?? clock.now()) });
              break;
            case 'skipped': e.enrichment.whois = st('skipped', r.reason); break;
            case 'denied': e.enrichment.whois = st('failed', `access denied: ${r.message}`, { source: r.server }); break;
            case 'blocked': e.enrichment.whois = st('failed', r.reason); break;
            case 'retry': e.enrichment.whois = st('failed', r.reason, { source: r.server }); break;
          }
        }));
      }
    }
    if (p.rdns) {
      if (below) e.enrichment.rdns = st('skipped', belowLevelReason(settings.minDangerLevel));
      else {
        jobs.push(p.rdns.lookup(ip).then((r) => {
          if (r.kind === 'done') {
            e.rdns = r.info;
            e.enrichment.rdns = st('done', r.info ? null : 'no PTR record', { source: 'dns', fetchedAt: isoTime(clock.now()) });
          } else {
            e.enrichment.rdns = st('failed', r.reason);
          }
        }));
      }
    }
  }
  await Promise.all(jobs);
  return out;
}
