// The enrichment `analyze --mmdb FILE… [--whois]` adds to its report: geo/ASN from the databases, whois and reverse DNS
// only with --whois (an offline report makes no network query unless asked), and each provider's state per source.
import type { SourceProfile } from '../domain/profile.ts';
import type { EnrichSettings } from '../enrich/providers.ts';
import { planDatabases } from '../enrich/geo/default-dbs.ts';
import { prefetchDatabases } from '../enrich/geo/mmdb-file.ts';
import type { Prefetch } from '../enrich/geo/mmdb-file.ts';
import { offlineEnricher } from '../enrich/offline.ts';
import type { OfflineEnricher } from '../enrich/offline.ts';
import type { AnalyzeEnricher, AnalyzeEnrichment } from './analyze.ts';

/** The analyze enricher over the loaded `enrich` settings; `close()` it when the report is written. */
export function analyzeEnricher(settings: EnrichSettings): {
  enrich: AnalyzeEnricher;
  /** Starts reading the databases `opts` will use while the logs are parsed (the first `enrich` waits for it). */
  prefetch: (opts: AnalyzeEnrichment) => void;
  close: () => Promise<void>;
} {
  let session: OfflineEnricher | null = null;
  let ahead: Prefetch | null = null;
  // --mmdb replaces the configured and bundled databases; --no-whois / --no-rdns (in settings) always win
  const effective = (opts: AnalyzeEnrichment): EnrichSettings => ({
    ...settings,
    mmdb: opts.mmdb.length > 0 ? opts.mmdb : settings.mmdb,
    whois: opts.whois && settings.whois,
    rdns: opts.rdns && settings.rdns,
  });
  return {
    prefetch(opts) {
      const s = effective(opts);
      const plan = planDatabases({ mmdb: s.mmdb, mmdbDirs: s.mmdbDirs, bundledGeo: s.bundledGeo });
      ahead ??= prefetchDatabases([...plan.files, ...plan.fallback]);
    },
    async enrich(profiles: SourceProfile[], opts: AnalyzeEnrichment): Promise<void> {
      if (profiles.length === 0) return;
      if (ahead) await ahead.done;
      session ??= offlineEnricher(effective(opts));
      const found = await session.enrich(profiles.map((p) => ({ ip: p.ip, dangerLevel: p.dangerLevel })));
      for (const p of profiles) {
        const e = found.get(p.ip);
        if (!e) continue;
        p.geo = e.geo;
        p.as = e.as;
        p.whois = e.whois;
        p.rdns = e.rdns;
        p.enrichment = e.enrichment;
      }
    },
    close: async () => {
      ahead?.release();
      await session?.close();
    },
  };
}
