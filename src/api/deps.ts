// What buildApp needs: the read interfaces, optional block admin and runtime rates, tokens, settings and a clock.
import type { ProfileJsonCache } from './profile-cache.ts';
import type { Registry } from 'prom-client';
import type { Clock } from '../domain/clock.ts';
import type { BlocklistQueries, ChangeFeed, ReadinessProbe, RuntimeRates, SourceQueries, StatsQueries } from '../domain/queries.ts';
import type { BlockAdmin } from '../domain/response.ts';
import type { Config } from '../config/schema.ts';
import type { DashboardQueries } from '../domain/dashboard.ts';
import type { SourceProfile } from '../domain/profile.ts';
import type { SseHub } from './sse.ts';
import type { ApiMetrics } from './metrics.ts';
import type { TokenStore } from './tokens.ts';
import type { SessionSettings, SessionStore } from './sessions.ts';

/** API settings: the `api` configuration section. */
export type ApiSettings = Config['api'];

/** Everything the API reads or calls. */
export interface ApiDeps {
  sources: SourceQueries;
  feed: ChangeFeed;
  blocklist: BlocklistQueries;
  stats: StatsQueries;
  readiness: ReadinessProbe;
  /** Manual blocking (the respond service); absent → the admin block operations answer 503. */
  blocks?: BlockAdmin;
  /** Block duration (s) when POST /blocks gives none: respond.autoBlockTimeout (0 = permanent). */
  blockDefaultSeconds?: number;
  /** Dashboard rollups (issue 7); absent → the /dashboard operations answer 503. */
  dashboard?: DashboardQueries;
  /** Dashboard cookie sessions: lifetime and cap (dashboard.sessionLifetime, dashboard.maxSessions); default 8 h, 1000. */
  sessions?: SessionSettings;
  /** Built dashboard files (default dist/ui); false serves no page at /ui/. */
  uiDir?: string | false;
  /** Live daemon rates for /stats. */
  runtime?: RuntimeRates;
  tokens: TokenStore;
  settings: ApiSettings;
  clock: Clock;
  /** Prometheus registry to add the API's metrics to (serve shares it with the other parts). */
  registry?: Registry;
  /** probewatch version, for CEF/ECS headers. */
  version?: string;
  /** This sensor's name, for ECS observer.hostname. */
  hostname?: string;
  /** fastify logger: false (tests), true, or pino options. */
  logger?: boolean | Record<string, unknown>;
  /** Validate JSON responses against openapi.yaml (overrides settings.validateResponses). */
  validateResponses?: boolean;
  /** Path of openapi.yaml (default: the repository's). */
  specPath?: string;
  /** The profile serializer (api/profile-body.ts) the store's kept bodies were written with; default: compiled from the spec. */
  serializeProfile?: (profile: SourceProfile) => string;
}

/** What handlers share. */
export interface ApiContext {
  deps: ApiDeps;
  settings: ApiSettings;
  /** Store epoch (cursor identity and ETag prefix). */
  epoch: string;
  version: string;
  /** openapi.yaml text. */
  spec: string;
  sse: SseHub;
  /** Serialised profiles by version (GET /sources/{ip}). */
  profiles: ProfileJsonCache;
  /** The GET /sources/{ip} body of a profile (one function for fresh answers and stored ones). */
  serializeProfile: (profile: SourceProfile) => string;
  metrics: ApiMetrics;
  /** Dashboard cookie sessions. */
  sessions: SessionStore;
}
