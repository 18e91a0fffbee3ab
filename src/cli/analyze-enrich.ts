// The enrichment `analyze --mmdb FILE… [--whois]` adds to its report: geo/ASN, whois and rDNS onto finished profiles.
import type { Config } from '../config/schema.ts';
import type { SourceProfile } from '../domain/profile.ts';
import { enrichOffline } from '../enrich/offline.ts';
import type { AnalyzeEnricher } from './analyze.ts';

/**
 * Enriches profiles in place from the loaded settings: `--mmdb` files replace the configured and bundled databases,
 * whois (and rDNS, unless --no-rdns or enrich.rdns is off) only with --whois, since an offline report should not reach
 * out to registries unasked; whois and rDNS still only from enrich.minDangerLevel up.
 */
export function analyzeEnricher(config: Config): AnalyzeEnricher {
  return async (profiles: SourceProfile[], opts) => {
    const settings = {
      ...config.enrich,
      mmdb: opts.mmdb.length > 0 ? opts.mmdb : config.enrich.mmdb,
      bundledGeo: opts.mmdb.length > 0 ? false : config.enrich.bundledGeo,
      whois: opts.whois && config.enrich.whois,
      rdns: opts.whois && opts.rdns && config.enrich.rdns,
    };
    const found = await enrichOffline(profiles.map((p) => ({ ip: p.ip, dangerLevel: p.dangerLevel })), settings);
    for (const p of profiles) {
      const e = found.get(p.ip);
      if (!e) continue;
      p.geo = e.geo;
      p.as = e.as;
      p.whois = e.whois;
      p.rdns = e.rdns;
      p.enrichment = e.enrichment;
    }
  };
}
