// Test fixtures for the API: a real SQLite store in a tmp dir, sources written as the detect stage would, and the app.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app.ts';
import type { ApiDeps } from '../../src/api/deps.ts';
import { TokenStore, parseTokenSpecs } from '../../src/api/tokens.ts';
import { api as apiSection } from '../../src/config/sections/api.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import type { SourceProfile } from '../../src/domain/profile.ts';
import { pwError } from '../../src/domain/errors.ts';
import type { ProfileReader, ReadinessCheck } from '../../src/domain/queries.ts';
import type { BlockAdmin, BlockOrigin, BlockRecord, BlockResult } from '../../src/domain/response.ts';
import { ChangeLog } from '../../src/store/changes.ts';
import { openStore } from '../../src/store/db.ts';
import type { Db } from '../../src/store/db.ts';
import { apiStore } from '../../src/store/queries/index.ts';
import type { ApiStore } from '../../src/store/queries/index.ts';
import { BaseProfileReader, baseProfile } from '../../src/store/queries/base-profile.ts';
import { StoreProfileReader } from '../../src/store/queries/profile-reader.ts';
import { EnrichStateRepo } from '../../src/store/enrich-state.ts';
import { SqliteWhoisCache } from '../../src/store/enrich-whois.ts';
import { SqliteDashboard } from '../../src/store/rollups-read.ts';
import { dashboard as dashboardSection } from '../../src/config/sections/dashboard.ts';
import { enrich as enrichSection } from '../../src/config/sections/enrich.ts';
import type { EnrichPolicy } from '../../src/domain/enrichment.ts';

export const READ_TOKEN = 'read-token-0123456789abcdef';
export const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
export const auth = (t = READ_TOKEN): Record<string, string> => ({ authorization: `Bearer ${t}` });

/** Parts of a profile a test sets beyond the core counters (what detect/fingerprint/enrich would write). */
export type Extra = Partial<Omit<SourceProfile, 'ip' | 'family' | 'packets' | 'dangerLevel' | 'firstSeen' | 'lastSeen'>>;

/** The store's profile reader (sources + enrichment + response) plus test-provided parts of stages not wired here. */
export class OverlayReader implements ProfileReader {
  readonly extra = new Map<string, Extra>();
  readonly #store: StoreProfileReader;
  constructor(db: Db, policy: EnrichPolicy = enrichSection.defaults) { this.#store = new StoreProfileReader(db, new BaseProfileReader(db), policy); }
  read(ip: string): SourceProfile | null {
    const p = this.#store.read(ip);
    return p ? { ...p, ...(this.extra.get(ip) ?? {}) } : null;
  }
}

/** A fake block admin recording calls (the respond service's BlockAdmin port). */
export class FakeBlocks implements BlockAdmin {
  readonly records = new Map<string, BlockRecord>();
  async block(ip: string, seconds: number, reason: string, origin: BlockOrigin): Promise<BlockResult> {
    await Promise.resolve();
    if (ip === '127.0.0.1') throw pwError('PW_ERR_BLOCK_REFUSED', [ip, 'loopback']);
    const rec: BlockRecord = { ip, family: ip.includes(':') ? 6 : 4, createdAt: T0, expiresAt: seconds === 0 ? null : T0 + seconds * 1000, level: 0, origin, reason };
    this.records.set(ip, rec);
    return { ip, block: rec, applied: false, backend: 'dry-run' };
  }
  async unblock(ip: string): Promise<BlockResult> {
    await Promise.resolve();
    if (!this.records.delete(ip)) throw pwError('PW_ERR_NOT_FOUND', [`a block of ${ip}`]);
    return { ip, block: null, applied: false, backend: 'dry-run' };
  }
  blocks(): BlockRecord[] { return [...this.records.values()]; }
}

export interface Fixture {
  dir: string;
  db: Db;
  clock: ManualClock;
  changes: ChangeLog;
  reader: OverlayReader;
  store: ApiStore;
  settings: ApiDeps['settings'];
  checks: ReadinessCheck[];
  blocks: FakeBlocks;
  /** Writes (or updates) a source and records the change, as detect would. */
  put(ip: string, o: { dl?: number; packets?: number; first?: number; last?: number; extra?: Extra; kind?: 'detect' | 'os' | 'enrich' | 'response' }): void;
  /** Stores a whois answer for `ip` as the enrichment worker does (netblock cache + provider state). */
  whois(ip: string, info: NonNullable<SourceProfile['whois']>): void;
  /** Deletes a source without a change record (as retention pruning does). */
  prune(ip: string): void;
  deps(over?: Partial<ApiDeps>): ApiDeps;
  app(over?: Partial<ApiDeps>): Promise<FastifyInstance>;
  close(): void;
}

export const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);

/** A fresh fixture; `settings` overrides api settings. */
export function fixture(settings: Partial<ApiDeps['settings']> = {}, dataDir?: string): Fixture {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'pw-api-'));
  const db = openStore(dir);
  const clock = new ManualClock(T0);
  const changes = new ChangeLog(db);
  const reader = new OverlayReader(db);
  const s: ApiDeps['settings'] = { ...apiSection.defaults, rateLimit: 0, ...settings };
  const store = apiStore(db, reader, s, clock);
  const checks: ReadinessCheck[] = [{ name: 'store', ready: true, detail: 'open' }];
  const blocks = new FakeBlocks();
  const upsert = db.prepare(`INSERT INTO sources (ip, family, first_seen, last_seen, packets, danger_level, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (ip) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen),
    packets = excluded.packets, danger_level = excluded.danger_level`);
  const f: Fixture = {
    dir, db, clock, changes, reader, store, settings: s, checks, blocks,
    put(ip, o) {
      db.transaction(() => {
        const last = o.last ?? clock.now();
        upsert.run(ip, ip.includes(':') ? 6 : 4, o.first ?? last, last, o.packets ?? 1, o.dl ?? 0, clock.now());
        if (o.extra) reader.extra.set(ip, { ...(reader.extra.get(ip) ?? {}), ...o.extra });
        changes.touch(ip, o.kind ?? 'detect', clock.now());
      })();
    },
    whois(ip, info) {
      const fam = ip.includes(':') ? 6 : 4;
      const block = new SqliteWhoisCache(db, 10_000).save({ family: fam, first: ip, last: ip, info, fetchedAt: clock.now() });
      new EnrichStateRepo(db).write(ip, [{ provider: 'whois', state: { state: 'done', fetchedAt: new Date(clock.now()).toISOString(), source: info.server }, data: null, blockId: block.id }], clock.now());
    },
    prune(ip) { db.prepare('DELETE FROM sources WHERE ip = ?').run(ip); },
    deps(over = {}) {
      return {
        sources: store.sources, feed: store.feed, blocklist: store.blocklist, stats: store.stats,
        readiness: { checks: () => checks }, blocks, clock, dashboard: new SqliteDashboard(db, dashboardSection.defaults, clock),
        tokens: new TokenStore(parseTokenSpecs([`read:${READ_TOKEN}`, `admin:${ADMIN_TOKEN}`])),
        settings: s, validateResponses: true, logger: false, ...over,
      };
    },
    app(over = {}) { return buildApp(f.deps(over)); },
    close() { db.close(); if (!dataDir) rmSync(dir, { recursive: true, force: true }); },
  };
  return f;
}

/** A profile's base for building extras. */
export { baseProfile };

/** An OS guess as the fingerprint stage would store it. */
export function osGuess(name: string, flavor: string | null, tool = false): NonNullable<SourceProfile['os']['current']> {
  return {
    label: `s:${tool ? '!' : 'unix'}:${name}:${flavor ?? ''}`, class: tool ? '!' : 'unix', name, flavor, quality: 'exact', tool, dist: 0,
    rawSig: '4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0', muonfp: '64240:2-4-8-1-3:1460:7', link: 'Ethernet or modem', mtu: 1500,
    via: 'log', mode: 'syn', firstSeen: new Date(T0).toISOString(), lastSeen: new Date(T0).toISOString(), count: 1,
  };
}

/** A parsed whois record. */
export function whoisRecord(netname: string, orgName: string, descr: string[] = [], raw = ''): NonNullable<SourceProfile['whois']> {
  return {
    registry: 'ripe', server: 'whois.ripe.net', range: '203.0.113.0 - 203.0.113.255', cidrs: ['203.0.113.0/24'], netname, orgName,
    orgId: 'ORG-X', country: 'NL', descr, abuse: 'abuse@example.net', status: 'ASSIGNED PA', created: null, updated: null, originAs: 64500,
    parsed: true, raw,
  };
}

/** Ports as the detect stage lists them. */
export function ports(...list: [string, number, number][]): SourceProfile['ports'] {
  return list.map(([proto, port, packets]) => ({ proto, port, packets }));
}
