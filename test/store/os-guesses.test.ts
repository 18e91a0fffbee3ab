// OS guesses on source profiles: folding repeats, history and the current guess, tool tags, change records.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.ts';
import { OsGuessRepository } from '../../src/store/os-guesses.ts';
import type { OsGuessObservation } from '../../src/store/os-guesses.ts';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

function store() {
  const dir = mkdtempSync(join(tmpdir(), 'pw-osg-'));
  dirs.push(dir);
  return openStore(dir);
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

  it('keeps an existing source row (and its counters) when a guess arrives', () => {
    const db = store();
    db.prepare('INSERT INTO sources (ip, family, first_seen, last_seen, packets, danger_level, updated_at) VALUES (?, 6, ?, ?, 42, 3, 0)').run('2001:db8::5', T, T);
    new OsGuessRepository(db).record([{ ...linux, ip: '2001:db8::5', family: 6, time: T + 60_000 }], 5);
    expect(db.prepare('SELECT packets, danger_level, first_seen, last_seen FROM sources WHERE ip = ?').get('2001:db8::5')).toEqual({ packets: 42, danger_level: 3, first_seen: T, last_seen: T + 60_000 });
    db.close();
  });
});
