// Child process of bench/api.bench.ts: the real API stack (buildApp, auth, serve's profile reader) over a prepared store, on 127.0.0.1.
import { buildApp } from '../src/api/app.ts';
import { parseTokenSpecs, TokenStore } from '../src/api/tokens.ts';
import { api as apiSection } from '../src/config/sections/api.ts';
import { enrich as enrichSection } from '../src/config/sections/enrich.ts';
import { systemClock } from '../src/domain/clock.ts';
import { openStore } from '../src/store/db.ts';
import { detectCore } from '../src/service.ts';
import { apiStore } from '../src/store/queries/index.ts';
import { StoreProfileReader } from '../src/store/queries/profile-reader.ts';

const [dir, token] = process.argv.slice(2);
if (!dir || !token) throw new Error('usage: api-bench-server.ts DATA_DIR TOKEN');
const db = openStore(dir);
const settings = { ...apiSection.defaults, rateLimitExemptLoopback: true };
const store = apiStore(db, new StoreProfileReader(db, detectCore(db), enrichSection.defaults), settings, systemClock);
const app = await buildApp({
  sources: store.sources, feed: store.feed, blocklist: store.blocklist, stats: store.stats,
  readiness: { checks: () => [] }, tokens: new TokenStore(parseTokenSpecs([`read:${token}`])), settings, clock: systemClock,
  logger: false, validateResponses: false,
});
await app.listen({ host: '127.0.0.1', port: 0 });
const a = app.server.address();
process.stdout.write(`${typeof a === 'object' && a ? a.port : 0}\n`);
process.on('SIGTERM', () => { void app.close().then(() => { db.close(); process.exit(0); }); });
