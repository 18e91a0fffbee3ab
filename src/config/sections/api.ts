// REST API and `serve` settings: listen address, tokens, limits, pagination, change feed, SSE and shutdown.
import { section } from '../define.ts';

export const api = section('api', 'REST API and the serve daemon', {
  listen: '127.0.0.1:8080',
  tokenFile: '',
  tokens: [] as string[],
  autoToken: true,
  trustProxy: '',
  rateLimit: 600,
  rateLimitWindow: 60,
  rateLimitExemptLoopback: true,
  bodyLimit: 16_384,
  requestTimeout: 30,
  defaultLimit: 100,
  maxLimit: 10_000,
  cursorTtl: 3600,
  feedCompactAfter: 86_400,
  feedTombstoneRetention: 7 * 86_400,
  indexInterval: 1,
  indexBatch: 2000,
  indexMaxTerms: 64,
  sseHeartbeat: 15,
  ssePollInterval: 0.5,
  sseMaxClients: 64,
  statsCacheTtl: 5,
  profileCacheMb: 64,
  profileDocs: true,
  storeCacheMb: 256,
  blocklistMinDangerLevel: 3,
  validateResponses: false,
  shutdownTimeout: 10,
}, {
  listen: {
    kind: 'string', env: 'PROBEWATCH_LISTEN', flag: 'listen',
    doc: 'HOST:PORT the API listens on ([::1]:8080 for IPv6); anything but loopback exposes the API to the network, so configure tokens and a firewall first.',
  },
  tokenFile: {
    kind: 'path', env: 'PROBEWATCH_TOKEN_FILE', flag: 'token-file',
    doc: 'File with one bearer token per non-empty line (# starts a comment), each with admin rights; refused when other users can read it (chmod 600).',
  },
  tokens: {
    kind: 'list', env: 'PROBEWATCH_API_TOKENS',
    doc: 'Extra tokens as SCOPE:TOKEN or SCOPE:sha256:HEX (scope read or admin); hashes keep the secret out of the file, plain text is easier to rotate by hand.',
  },
  autoToken: {
    kind: 'bool', env: 'PROBEWATCH_AUTO_TOKEN',
    doc: 'When no token is configured, serve creates DATA_DIR/api.token (mode 0600) with a random admin token; off leaves every data endpoint closed until tokens are set.',
  },
  trustProxy: {
    kind: 'string', env: 'PROBEWATCH_TRUST_PROXY',
    doc: 'Addresses/CIDRs of reverse proxies whose X-Forwarded-For is believed (comma-separated, "" = none); needed for per-client rate limits behind a proxy, dangerous if too broad.',
  },
  rateLimit: {
    kind: 'int', min: 0, env: 'PROBEWATCH_RATE_LIMIT',
    doc: 'Requests per client per window (0 disables); higher suits busy pollers, lower limits a leaked token\'s damage.',
  },
  rateLimitWindow: {
    kind: 'duration', min: 1,
    doc: 'Window of the per-client rate limit.',
  },
  rateLimitExemptLoopback: {
    kind: 'bool',
    doc: 'Clients on 127.0.0.0/8 and ::1 are not rate limited (local dashboards, benchmarks); turn off when a local reverse proxy forwards remote clients.',
  },
  bodyLimit: {
    kind: 'int', min: 256, max: 10_485_760,
    doc: 'Largest request body in bytes (only admin requests carry one); larger bodies get 413.',
  },
  requestTimeout: {
    kind: 'duration', min: 1,
    doc: 'A request that has not finished in this time is aborted (SSE streams excepted); protects against slow clients holding sockets.',
  },
  defaultLimit: {
    kind: 'int', min: 1, max: 100_000,
    doc: 'Page size when a request gives no limit.',
  },
  maxLimit: {
    kind: 'int', min: 1, max: 100_000,
    doc: 'Largest accepted limit (larger gets 400); bigger pages mean fewer round trips for exports but more memory per request.',
  },
  cursorTtl: {
    kind: 'duration', min: 60,
    doc: 'How long a /sources paging cursor stays valid (its snapshot is kept that long); older cursors get 410. Longer costs index rows for changed sources.',
  },
  feedCompactAfter: {
    kind: 'duration', min: 60,
    doc: 'Change-feed rows older than this are dropped when a newer change of the same source exists (a poller still gets the latest state of every source).',
  },
  feedTombstoneRetention: {
    kind: 'duration', min: 3600,
    doc: 'How long the feed remembers deleted (pruned) sources; a cursor older than a forgotten deletion gets 410 and must restart.',
  },
  indexInterval: {
    kind: 'duration', min: 0.05,
    doc: 'How often serve brings the search index (filters, sorting, stats) up to date with the change outbox; shorter means fresher lists, more wake-ups.',
  },
  indexBatch: {
    kind: 'int', min: 10, max: 1_000_000,
    doc: 'Sources re-indexed per step; larger catches up faster after a flood but holds the event loop longer per step.',
  },
  indexMaxTerms: {
    kind: 'int', min: 1, max: 65_536,
    doc: 'Ports (and scan types, signatures, sensors) indexed per source for filtering; sources above it are findable by their busiest ones only.',
  },
  sseHeartbeat: {
    kind: 'duration', min: 1,
    doc: 'Interval of SSE heartbeat comments, which keep proxies from closing idle streams.',
  },
  ssePollInterval: {
    kind: 'duration', min: 0.05,
    doc: 'How often the SSE fan-out checks the change outbox; shorter is livelier, costs a query per tick.',
  },
  sseMaxClients: {
    kind: 'int', min: 1, max: 10_000,
    doc: 'Concurrent SSE streams; more are refused with 503 so streams cannot exhaust sockets and memory.',
  },
  statsCacheTtl: {
    kind: 'duration', min: 0,
    doc: 'GET /stats answers are cached this long; 0 computes every time.',
  },
  profileCacheMb: {
    kind: 'int', min: 0, max: 65_536,
    doc: 'Memory (MiB) for serialised GET /sources/{ip} bodies, checked against the stored version on every hit (never stale); 64 MiB holds ~20,000 profiles; a stored body is kept from its second request; 0 reads every profile from the store.',
  },
  profileDocs: {
    kind: 'bool',
    doc: 'Keep each profile\'s GET /sources/{ip} body in the store (written by the search indexer, about 3 KB per source): a request for a source not in the memory cache reads one row instead of composing the profile from seven queries (about 8x faster at a million sources); off saves the disk space.',
  },
  storeCacheMb: {
    kind: 'int', min: 2, max: 65_536,
    doc: 'SQLite page cache (MiB) of serve\'s store connection, taken only as pages are read: 256 MiB holds the inner and index pages of a store of a million sources, so a profile not in api.profileCacheMb costs about one page read from the OS (64 MiB: three to four); lower it on a small machine.',
  },
  blocklistMinDangerLevel: {
    kind: 'int', min: 1, max: 5,
    doc: 'Default minimum danger level of GET /blocklist when the request does not say.',
  },
  validateResponses: {
    kind: 'bool',
    doc: 'Check every JSON response against openapi.yaml (500 on a mismatch); on in tests, costs CPU in production.',
  },
  shutdownTimeout: {
    kind: 'duration', min: 1,
    doc: 'SIGTERM/SIGINT: time allowed to stop intake, flush state and close the store before the process exits anyway (with status 1).',
  },
});
