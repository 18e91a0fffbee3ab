// Child process of bench/api.bench.ts: the real API stack (buildApp, auth, serve's profile reader) over a prepared store, on 127.0.0.1.
// It runs the compiled modules (dist/, as `probewatch serve` does), not the sources through tsx: tsx's transform adds
// per-closure work that the product does not have.
import type * as AppModule from '../src/api/app.ts';
import type * as BodyModule from '../src/api/profile-body.ts';
import type * as TokensModule from '../src/api/tokens.ts';
import type * as ApiSection from '../src/config/sections/api.ts';
import type * as EnrichSection from '../src/config/sections/enrich.ts';
import type * as ClockModule from '../src/domain/clock.ts';
import type * as DbModule from '../src/store/db.ts';
import type * as ServiceModule from '../src/service.ts';
import type * as QueriesModule from '../src/store/queries/index.ts';
import type * as ReaderModule from '../src/store/queries/profile-reader.ts';
import { dist } from './lib/dist.ts';

const [dir, token] = process.argv.slice(2);
if (!dir || !token) throw new Error('usage: api-bench-server.ts DATA_DIR TOKEN');
const { buildApp, DEFAULT_SPEC } = await dist<typeof AppModule>('api/app');
const { profileBodiesFromFile } = await dist<typeof BodyModule>('api/profile-body');
const { parseTokenSpecs, TokenStore } = await dist<typeof TokensModule>('api/tokens');
const { api: apiSection } = await dist<typeof ApiSection>('config/sections/api');
const { enrich: enrichSection } = await dist<typeof EnrichSection>('config/sections/enrich');
const { systemClock } = await dist<typeof ClockModule>('domain/clock');
const { openStore } = await dist<typeof DbModule>('store/db');
const { detectCore } = await dist<typeof ServiceModule>('service');
const { apiStore } = await dist<typeof QueriesModule>('store/queries/index');
const { StoreProfileReader } = await dist<typeof ReaderModule>('store/queries/profile-reader');

// as serve opens it: the page cache of api.storeCacheMb (PW_CACHE_MB overrides it, to compare)
const db = openStore(dir, { cacheMb: Number(process.env.PW_CACHE_MB ?? apiSection.defaults.storeCacheMb) });
const settings = { ...apiSection.defaults, rateLimitExemptLoopback: true };
// the bodies the store keeps (api.profileDocs) are read as serve reads them: same serializer, same shape
const bodies = profileBodiesFromFile(DEFAULT_SPEC, enrichSection.defaults);
const store = apiStore(db, new StoreProfileReader(db, detectCore(db), enrichSection.defaults), settings, systemClock, bodies);
const app = await buildApp({
  sources: store.sources, feed: store.feed, blocklist: store.blocklist, stats: store.stats,
  readiness: { checks: () => [] }, tokens: new TokenStore(parseTokenSpecs([`read:${token}`])), settings, clock: systemClock,
  logger: false, validateResponses: false, serializeProfile: bodies.serialize,
});
await app.listen({ host: '127.0.0.1', port: 0 });
const a = app.server.address();
process.stdout.write(`${typeof a === 'object' && a ? a.port : 0}\n`);
process.on('SIGTERM', () => { void app.close().then(() => { db.close(); process.exit(0); }); });
