// The API's Prometheus metrics: requests by operation and status class, latency, streams, and store gauges on scrape.
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { ProfileJsonCache } from './profile-cache.ts';
import type { ChangeFeed, StatsQueries } from '../domain/queries.ts';

/** The instruments the HTTP hooks update. */
export interface ApiMetrics {
  requests: Counter<'operation' | 'status'>;
  duration: Histogram<'operation'>;
}

/** Registers the API metrics on `registry`; store gauges are read when Prometheus scrapes. */
export function apiMetrics(registry: Registry, feed: ChangeFeed, stats: StatsQueries, sseClients: () => number, profiles?: ProfileJsonCache): ApiMetrics {
  const requests = new Counter({
    name: 'probewatch_http_requests_total',
    help: 'HTTP requests by operation id and status class.',
    labelNames: ['operation', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'probewatch_http_request_duration_seconds',
    help: 'HTTP request duration by operation id.',
    labelNames: ['operation'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  new Gauge({
    name: 'probewatch_sources',
    help: 'Sources known, by current danger level (as indexed).',
    labelNames: ['danger_level'] as const,
    registers: [registry],
    collect() {
      const s = stats.stats(1);
      s.byDangerLevel.forEach((n, level) => { this.set({ danger_level: String(level) }, n); });
    },
  });
  new Gauge({
    name: 'probewatch_feed_sequence',
    help: 'Highest change-feed sequence assigned.',
    registers: [registry],
    collect() { this.set(feed.position().latestSeq); },
  });
  new Gauge({
    name: 'probewatch_index_lag_changes',
    help: 'Profile changes not yet reflected in lists, stats and blocklists.',
    registers: [registry],
    collect() { this.set(stats.stats(1).index.lag); },
  });
  new Gauge({
    name: 'probewatch_sse_clients',
    help: 'Connected server-sent-event streams.',
    registers: [registry],
    collect() { this.set(sseClients()); },
  });
  if (profiles) {
    new Gauge({
      name: 'probewatch_profile_cache_lookups',
      help: 'GET /sources/{ip} body cache lookups since start, by result (a miss composes the profile from the store).',
      labelNames: ['result'] as const,
      registers: [registry],
      collect() { this.set({ result: 'hit' }, profiles.hits); this.set({ result: 'miss' }, profiles.misses); },
    });
    new Gauge({
      name: 'probewatch_profile_cache_bytes',
      help: 'Memory held by cached GET /sources/{ip} bodies (bounded by api.profileCacheMb).',
      registers: [registry],
      collect() { this.set(profiles.size.bytes); },
    });
  }
  return { requests, duration };
}
