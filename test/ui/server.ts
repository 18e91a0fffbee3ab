// A real dashboard server for browser tests: SQLite store in a tmp dir filled by the simulator, rollups and search
// index caught up, buildApp listening on 127.0.0.1 with read and admin tokens.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app.ts';
import { TokenStore, parseTokenSpecs } from '../../src/api/tokens.ts';
import { api as apiSection } from '../../src/config/sections/api.ts';
import { dashboard as dashSection } from '../../src/config/sections/dashboard.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { hourOf } from '../../src/domain/dashboard.ts';
import type { WhoisInfo } from '../../src/domain/profile.ts';
import { openStore } from '../../src/store/db.ts';
import type { Db } from '../../src/store/db.ts';
import { apiStore } from '../../src/store/queries/index.ts';
import type { ApiStore } from '../../src/store/queries/index.ts';
import { RollupWriter } from '../../src/store/rollups.ts';
import { SqliteDashboard } from '../../src/store/rollups-read.ts';
import { FakeBlocks } from '../api/helpers.ts';
import { Sim, traffic } from './sim.ts';
import type { SimPacket } from './sim.ts';

export const READ = 'ui-read-token-0123456789abcdef';
export const ADMIN = 'ui-admin-token-0123456789abcdef';

/** A running server and the handles a test pokes at. */
export interface DashboardServer {
  url: string;
  app: FastifyInstance;
  db: Db;
  sim: Sim;
  blocks: FakeBlocks;
  store: ApiStore;
  writer: RollupWriter;
  /** Feeds packets as ingest would: store, rollups, index. */
  push(packets: SimPacket[]): void;
  close(): Promise<void>;
}

function whois(ip: string): WhoisInfo {
  return {
    registry: 'ripe', server: 'whois.ripe.net', range: '203.0.113.0 - 203.0.113.255', cidrs: ['203.0.113.0/24'], netname: 'EXAMPLE-NET',
    orgName: 'Example Scanning Ltd', orgId: 'ORG-EX1-RIPE', country: 'NL', descr: ['Example network for documentation'],
    abuse: 'abuse@example.net', status: 'ASSIGNED PA', created: '2020-01-01T00:00:00Z', updated: '2024-01-01T00:00:00Z', originAs: 64500,
    parsed: true, raw: `% This is a documentation whois record\ninetnum: 203.0.113.0 - 203.0.113.255\nnetname: EXAMPLE-NET\ndescr: ${ip} <script>alert(1)</script>\n`,
  };
}

/** Starts a server over `sources` simulated scanners active in the last `hours` hours; `uiDir` is the built page. */
export async function startDashboardServer(opts: { seed: number; sources: number; hours: number; uiDir: string }): Promise<DashboardServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pw-ui-srv-'));
  const db = openStore(dir);
  const sim = new Sim(db);
  const settings = { ...apiSection.defaults, rateLimit: 0, ssePollInterval: 0.2 };
  const store = apiStore(db, sim, settings, systemClock);
  const writer = new RollupWriter(db, sim, { ...dashSection.defaults, batch: dashSection.defaults.rollupBatch }, systemClock);
  const dashboard = new SqliteDashboard(db, dashSection.defaults, systemClock);
  const blocks = new FakeBlocks();
  const push = (packets: SimPacket[]): void => {
    let i = 0;
    while (i < packets.length) {
      const h = hourOf(packets[i]!.time);
      let j = i;
      while (j < packets.length && j - i < 500 && hourOf(packets[j]!.time) === h) j++;
      sim.apply(packets.slice(i, j));
      writer.step();
      i = j;
    }
    writer.catchUp();
    store.indexer.catchUp();
  };
  push(traffic(opts.seed, opts.sources, opts.hours, Date.now() - 60_000));
  // enrichment finished for most sources: whois for the loud ones, the rest pending
  let n = 0;
  for (const [ip, s] of sim.sources) {
    if (n++ % 4 === 3) continue;
    sim.enrich(ip);
    if (s.profile.dangerLevel >= 3) s.profile.whois = whois(ip);
  }
  writer.catchUp();
  store.indexer.catchUp();
  const app = await buildApp({
    sources: store.sources, feed: store.feed, blocklist: store.blocklist, stats: store.stats,
    readiness: { checks: () => [{ name: 'store', ready: true, detail: 'open' }] }, blocks, clock: systemClock,
    tokens: new TokenStore(parseTokenSpecs([`read:${READ}`, `admin:${ADMIN}`])),
    settings, validateResponses: true, logger: false, dashboard, uiDir: opts.uiDir,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`, app, db, sim, blocks, store, writer, push,
    async close() {
      await app.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
