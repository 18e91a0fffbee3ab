// OS guesses on source profiles: folding repeats, history and the current guess, tool tags, change records.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { STORE_FILE, openStore } from '../../src/store/db.ts';
import { MIGRATIONS } from '../../src/store/migrations/index.ts';
import { api as apiSection } from '../../src/config/sections/api.ts';
import { enrich as enrichSection } from '../../src/config/sections/enrich.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { BaseProfileReader } from '../../src/store/queries/base-profile.ts';
import { apiStore } from '../../src/store/queries/index.ts';
import { StoreProfileReader } from '../../src/store/queries/profile-reader.ts';
import { OsGuessRepository } from '../../src/store/os-guesses.ts';
import type { OsGuessObservation } from '../../src/store/os-guesses.ts';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

function store() {
  const dir = mkdtempSync(join(tmpdir(), 'pw-osg-'));
  dirs.push(dir);
  return openStore(dir);
}

/** A store written by an older version: every migration but `skip` applied (the test adds rows, then reopens it). */
function olderStore(skip: number[]): { dir: string; old: Database.Database } {
  const dir = mkdtempSync(join(tmpdir(), 'pw-osg-'));
  dirs.push(dir);
  const old = new Database(join(dir, STORE_FILE));
  old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  for (const m of MIGRATIONS) {
    if (skip.includes(m.version)) continue;
    m.up(old);
    old.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
  }
  return { dir, old };
}

const T = Date.UTC(2026, 0, 2, 3, 4, 5);
const linux: OsGuessObservation = {
  ip: '192.0.2.7', family: 4, time: T, label: 's:unix:Linux:4.19 and newer', class: 'unix', name: 'Linux', flavor: '4.19 and newer',
  quality: 'exact', tool: false, dist: 2, rawSig: '4:62+2:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0', muonfp: '64240:2-4-8-1-3:1460:7',
  link: 'Ethernet or modem', mtu: 1500, via: 'pcap', mode: 'syn',
};
const nmap: OsGuessObservation = {
  ...linux, label: 's:!:NMap:SYN scan', class: '!', name: 'NMap', flavor: 'SYN scan', tool: true, dist: 10,
  rawSig: '4:54+10:0:1460:1024,0:mss::0', muonfp: '1024:2:1460:', link: null, mtu: 1500,
};

describe('OsGuessRepository', () => {
  it('creates the source, folds repeated guesses into counts and records one change per source and batch', () => {
    const db = store();
    const repo = new OsGuessRepository(db);
    repo.record([linux, { ...linux, time: T + 1000 }, { ...linux, time: T - 5000 }], 111);
    const src = db.prepare('SELECT * FROM sources WHERE ip = ?').get('192.0.2.7') as Record<string, number>;
    expect(src).toMatchObject({ family: 4, first_seen: T - 5000, last_seen: T + 1000, version: 2, packets: 0 });
    const { current, history } = repo.forSource('192.0.2.7');
    expect(history).toHaveLength(1);
    expect(current).toMatchObject({ label: linux.label, count: 3, firstSeen: new Date(T - 5000).toISOString(), lastSeen: new Date(T + 1000).toISOString(), via: 'pcap', mode: 'syn', mtu: 1500, muonfp: linux.muonfp });
    expect(db.prepare("SELECT count(*) FROM profile_changes WHERE ip = ? AND kind = 'os'").pluck().get('192.0.2.7')).toBe(1);
    repo.record([{ ...linux, time: T + 2000 }], 222);
    expect(repo.forSource('192.0.2.7').current?.count).toBe(4);
    expect(db.prepare('SELECT version FROM sources WHERE ip = ?').pluck().get('192.0.2.7')).toBe(3);
    db.close();
  });

  it('keeps every guess, tags tool matches, and prefers the latest OS match as current', () => {
    const db = store();
    const repo = new OsGuessRepository(db);
    repo.record([linux, { ...nmap, time: T + 10_000 }, { ...nmap, time: T + 11_000 }], 1);
    repo.record([{ ...linux, label: null, class: null, name: null, flavor: null, quality: 'none', rawSig: '4:62+2:0:1460:8192,0:mss::0', via: 'log', time: T + 12_000 }], 2);
    const { current, history } = repo.forSource('192.0.2.7');
    expect(history.map((g) => [g.name, g.count, g.via])).toEqual([[null, 1, 'log'], ['NMap', 2, 'pcap'], ['Linux', 1, 'pcap']]);
    expect(current?.name).toBe('Linux');
    expect(repo.tags('192.0.2.7')).toEqual(['NMap SYN scan']);
    const tag = db.prepare('SELECT count, first_seen, last_seen FROM os_tags WHERE ip = ?').get('192.0.2.7');
    expect(tag).toEqual({ count: 2, first_seen: T + 10_000, last_seen: T + 11_000 });
    db.close();
  });

  it('keeps one history row per guess across batches although nmap varies TTL and window per probe', () => {
    const db = store();
    const repo = new OsGuessRepository(db);
    // three ingest batches of one nmap SYN scan: each probe has its own TTL (distance) and window, hence its own raw_sig
    const probe = (i: number): OsGuessObservation => {
      const ttl = 40 + (i * 7) % 24;
      const win = 1024 * (1 + (i % 4));
      return { ...nmap, time: T + i * 1000, dist: 64 - ttl, rawSig: `4:${ttl}+${64 - ttl}:0:1460:${win},0:mss::0`, muonfp: `${win}:2:1460:` };
    };
    for (let b = 0; b < 3; b++) repo.record(Array.from({ length: 10 }, (_, i) => probe(b * 10 + i)), 100 + b);
    // an older observation replayed later counts, but does not overwrite the latest packet's details
    repo.record([{ ...probe(0), time: T - 60_000, rawSig: '4:99+0:0:1460:1,0:mss::0' }], 200);
    const { history } = repo.forSource('192.0.2.7');
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      label: 's:!:NMap:SYN scan', count: 31, firstSeen: new Date(T - 60_000).toISOString(), lastSeen: new Date(T + 29_000).toISOString(),
      rawSig: probe(29).rawSig, dist: probe(29).dist, muonfp: probe(29).muonfp,
    });
    expect(db.prepare('SELECT count(*) FROM os_guesses').pluck().get()).toBe(1);
    // a guess without a match is told apart by its signature: two distinct unknown signatures stay two rows
    const unknown = { ...linux, label: null, class: null, name: null, flavor: null, quality: 'none' as const };
    repo.record([{ ...unknown, rawSig: '4:64+0:0:1460:8192,0:mss::0' }, { ...unknown, rawSig: '4:64+0:0:1460:8192,0:mss::0', time: T + 5 }], 300);
    repo.record([{ ...unknown, rawSig: '4:64+0:0:1460:16384,0:mss::0' }], 301);
    expect(repo.history('192.0.2.7').filter((g) => g.label === null).map((g) => g.count).sort()).toEqual([1, 2]);
    db.close();
  });

  it('migration 11 merges the per-packet rows an older store holds and records the profile change', () => {
    // a store as version 10 left it: every migration but 11 (41 counts as applied: it touches tool sources, tested below)
    const { dir, old } = olderStore([11]);
    old.prepare('INSERT INTO sources (ip, family, first_seen, last_seen, updated_at, version) VALUES (?, 4, ?, ?, 0, 5)').run('192.0.2.7', T, T);
    old.prepare('INSERT INTO sources (ip, family, first_seen, last_seen, updated_at, version) VALUES (?, 4, ?, ?, 0, 5)').run('192.0.2.8', T, T);
    const ins = old.prepare(`INSERT INTO os_guesses (ip, mode, via, raw_sig, label, class, name, flavor, quality, tool, dist, muonfp, link, mtu, first_seen, last_seen, count)
      VALUES (?, 'syn', 'log', ?, ?, '!', 'NMap', 'SYN scan', 'exact', 1, ?, '1024:2:1460:', NULL, 1500, ?, ?, ?)`);
    ins.run('192.0.2.7', '4:55+9:0:1460:1024,0:mss::0', 's:!:NMap:SYN scan', 9, T, T + 10, 3);
    ins.run('192.0.2.7', '4:47+17:0:1460:4096,0:mss::0', 's:!:NMap:SYN scan', 17, T - 50, T + 90, 4);
    ins.run('192.0.2.7', '4:53+11:0:1460:2048,0:mss::0', 's:!:NMap:SYN scan', 11, T + 5, T + 20, 2);
    ins.run('192.0.2.7', '4:64+0:0:1460:8192,0:mss::0', '', 0, T, T, 1);
    ins.run('192.0.2.7', '4:64+0:0:1460:16384,0:mss::0', '', 0, T, T, 1);
    ins.run('192.0.2.8', '4:55+9:0:1460:1024,0:mss::0', 's:!:NMap:SYN scan', 9, T, T, 1);
    old.close();

    const db = openStore(dir);
    const repo = new OsGuessRepository(db);
    const h = repo.history('192.0.2.7');
    expect(h.filter((g) => g.label !== null)).toEqual([expect.objectContaining({
      count: 9, firstSeen: new Date(T - 50).toISOString(), lastSeen: new Date(T + 90).toISOString(), rawSig: '4:47+17:0:1460:4096,0:mss::0', dist: 17,
    })]);
    expect(h.filter((g) => g.label === null)).toHaveLength(2);
    expect(repo.history('192.0.2.8')).toHaveLength(1);
    // the merged source's profile changed (version bumped, outbox row); the untouched one did not
    expect(db.prepare("SELECT ip, version, kind FROM profile_changes").all()).toEqual([{ ip: '192.0.2.7', version: 6, kind: 'os' }]);
    expect(db.prepare('SELECT version FROM sources WHERE ip = ?').pluck().get('192.0.2.8')).toBe(5);
    // new observations fold into the merged row
    repo.record([{ ...nmap, via: 'log', time: T + 100 }], 1);
    expect(repo.history('192.0.2.7').find((g) => g.label !== null)?.count).toBe(10);
    db.close();
  });

  it('migration 41 re-indexes sources with a tool guess, so os=NMap finds them beside their OS guess', () => {
    const { dir, old } = olderStore([41]);
    old.prepare('INSERT INTO sources (ip, family, first_seen, last_seen, updated_at, version) VALUES (?, 4, ?, ?, 0, 5)').run('192.0.2.7', T, T);
    old.prepare('INSERT INTO sources (ip, family, first_seen, last_seen, updated_at, version) VALUES (?, 4, ?, ?, 0, 5)').run('192.0.2.8', T, T);
    const ins = old.prepare(`INSERT INTO os_guesses (ip, mode, via, label, sig_key, raw_sig, class, name, flavor, quality, tool, dist, muonfp, link, mtu, first_seen, last_seen, count)
      VALUES (?, 'syn', 'log', ?, '', '4:55+9:0:1460:1024,0:mss::0', ?, ?, ?, 'exact', ?, 9, '', NULL, 1500, ?, ?, 1)`);
    ins.run('192.0.2.7', 's:!:NMap:SYN scan', '!', 'NMap', 'SYN scan', 1, T, T);
    ins.run('192.0.2.7', 's:unix:Linux:3.11 and newer', 'unix', 'Linux', '3.11 and newer', 0, T + 5, T + 5);
    ins.run('192.0.2.8', 's:unix:Linux:3.11 and newer', 'unix', 'Linux', '3.11 and newer', 0, T, T);
    old.close();
    const db = openStore(dir);
    expect(db.prepare('SELECT ip, version, kind FROM profile_changes').all()).toEqual([{ ip: '192.0.2.7', version: 6, kind: 'os' }]);
    const store = apiStore(db, new StoreProfileReader(db, new BaseProfileReader(db), enrichSection.defaults), apiSection.defaults, new ManualClock(T));
    store.indexer.catchUp();
    expect(store.sources.list({ os: ['nmap'] }, 'ip', 10).items.map((x) => [x.ip, x.os])).toEqual([['192.0.2.7', 'Linux 3.11 and newer']]);
    db.close();
  });

  it('keeps an existing source row (and its counters) when a guess arrives', () => {
    const db = store();
    db.prepare('INSERT INTO sources (ip, family, first_seen, last_seen, packets, danger_level, updated_at) VALUES (?, 6, ?, ?, 42, 3, 0)').run('2001:db8::5', T, T);
    new OsGuessRepository(db).record([{ ...linux, ip: '2001:db8::5', family: 6, time: T + 60_000 }], 5);
    expect(db.prepare('SELECT packets, danger_level, first_seen, last_seen FROM sources WHERE ip = ?').get('2001:db8::5')).toEqual({ packets: 42, danger_level: 3, first_seen: T, last_seen: T + 60_000 });
    db.close();
  });
});
