// A seeded scan simulator for dashboard tests and the benchmark: writes sources and profile parts as detect, fingerprint
// and enrich would (sources row, ChangeLog.touch per batch) and keeps the brute-force truth the rollups must match.
import type { Database } from 'better-sqlite3';
import { hourOf } from '../../src/domain/dashboard.ts';
import type { DangerStep, OsGuess, SourceProfile } from '../../src/domain/profile.ts';
import { toDangerLevel } from '../../src/domain/profile.ts';
import type { ProfileReader } from '../../src/domain/queries.ts';
import { ChangeLog } from '../../src/store/changes.ts';
import { baseProfile } from '../../src/store/queries/base-profile.ts';

/** psad's default DANGER_LEVEL1..5 packet thresholds. */
const THRESHOLDS = [5, 15, 150, 1500, 10_000];

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One simulated packet. */
export interface SimPacket {
  ip: string;
  time: number;
  proto: 'tcp' | 'udp';
  port: number;
}

interface SimSource {
  profile: SourceProfile;
  ports: Map<string, number>;
  protos: Map<string, number>;
}

const SIGNATURES = [
  { sid: 100_200, msg: 'SCAN FIN' }, { sid: 100_201, msg: 'SCAN XMAS' }, { sid: 100_196, msg: 'SCAN Proxy Port 8080 attempt' },
  { sid: 101_409, msg: 'MISC Microsoft Terminal Server request attempt' },
];

const COUNTRIES = ['US', 'CN', 'RU', 'DE', 'BR', 'NL', 'IN', 'FR', 'KR', 'VN', ''];

function nmap(time: string): OsGuess {
  return {
    label: 's:!:NMap:SYN scan', class: '!', name: 'NMap', flavor: 'SYN scan', quality: 'exact', tool: true, dist: 0,
    rawSig: '4:64+0:0:1460:1024,0:mss::0', muonfp: '1024:2:1460:', link: 'Ethernet or modem', mtu: 1500, via: 'log', mode: 'syn',
    firstSeen: time, lastSeen: time, count: 1,
  };
}

function linux(time: string): OsGuess {
  return { ...nmap(time), label: 's:unix:Linux:3.11 and newer', class: 'unix', name: 'Linux', flavor: '3.11 and newer', tool: false, rawSig: '4:64+0:0:1460:mss*20,7:mss,sok,ts,nop,ws:df,id+:0' };
}

/** Profiles kept in memory, written to `sources` as detect would; a ProfileReader over them. */
export class Sim implements ProfileReader {
  readonly sources = new Map<string, SimSource>();
  readonly #db: Database;
  readonly #changes: ChangeLog;
  readonly #upsert;
  readonly #del;
  /** Truth: packets per hour, new sources per hour, rises to DL 4+ per hour, active ips per hour. */
  readonly packetsByHour = new Map<number, number>();
  readonly newByHour = new Map<number, number>();
  readonly dl4ByHour = new Map<number, number>();
  readonly activeByHour = new Map<number, Set<string>>();
  readonly portByHour = new Map<string, number>();

  constructor(db: Database) {
    this.#db = db;
    this.#changes = new ChangeLog(db);
    this.#upsert = db.prepare(`INSERT INTO sources (ip, family, first_seen, last_seen, packets, danger_level, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (ip) DO UPDATE SET last_seen = excluded.last_seen, packets = excluded.packets, danger_level = excluded.danger_level`);
    this.#del = db.prepare('DELETE FROM sources WHERE ip = ?');
  }

  read(ip: string): SourceProfile | null {
    return this.sources.get(ip)?.profile ?? null;
  }

  /** Applies packets (time-ordered) in one transaction, like one detect batch; `country` picks a source's location. */
  apply(packets: SimPacket[], country: (ip: string) => string = (ip) => COUNTRIES[hash(ip) % COUNTRIES.length]!): void {
    const touched = new Set<string>();
    for (const pk of packets) {
      const iso = new Date(pk.time).toISOString();
      let s = this.sources.get(pk.ip);
      const h = hourOf(pk.time);
      if (!s) {
        const p = baseProfile({ ip: pk.ip, family: pk.ip.includes(':') ? 6 : 4, first_seen: pk.time, last_seen: pk.time, packets: 0, danger_level: 0 });
        const cc = country(pk.ip);
        p.geo = cc ? { country: cc, city: null } : null;
        p.as = { number: 64_500 + (hash(pk.ip) % 7), organization: `Example Net ${hash(pk.ip) % 7}` };
        const guess = hash(pk.ip) % 3 === 0 ? nmap(iso) : hash(pk.ip) % 3 === 1 ? linux(iso) : null;
        p.os = { current: guess, history: guess ? [guess] : [] };
        p.scanTypes = [pk.proto === 'tcp' ? 'TCP SYN scan' : 'UDP scan'];
        s = { profile: p, ports: new Map(), protos: new Map() };
        this.sources.set(pk.ip, s);
        inc(this.newByHour, h, 1);
      }
      const p = s.profile;
      p.packets++;
      p.lastSeen = iso;
      inc(this.packetsByHour, h, 1);
      let set = this.activeByHour.get(h);
      if (!set) this.activeByHour.set(h, (set = new Set()));
      set.add(pk.ip);
      const key = `${pk.proto}/${pk.port}`;
      s.ports.set(key, (s.ports.get(key) ?? 0) + 1);
      s.protos.set(pk.proto, (s.protos.get(pk.proto) ?? 0) + 1);
      inc(this.portByHour, `${h}\t${key}`, 1);
      let level = 0;
      for (const t of THRESHOLDS) if (p.packets >= t) level++;
      if (level !== p.dangerLevel) {
        if (p.dangerLevel < 4 && level >= 4) inc(this.dl4ByHour, h, 1);
        p.dangerLevel = toDangerLevel(level);
        const step: DangerStep = { time: iso, level: p.dangerLevel, reason: 'packets' };
        p.dangerHistory = [...p.dangerHistory, step];
        if (level === 3) {
          // loud scanners trip psad-style signatures on their way up
          const sig = SIGNATURES[hash(pk.ip) % SIGNATURES.length]!;
          p.signatures = [{ ...sig, dl: 2, count: 1 + (hash(pk.ip) % 40), proto: pk.proto, dports: [pk.port], fwsnort: false, firstSeen: iso, lastSeen: iso }];
        }
      }
      touched.add(pk.ip);
    }
    this.#db.transaction(() => {
      for (const ip of touched) {
        const s = this.sources.get(ip)!;
        const p = s.profile;
        p.ports = [...s.ports].map(([k, n]) => ({ proto: k.split('/')[0]!, port: Number(k.split('/')[1]), packets: n }));
        p.protocols = [...s.protos].map(([proto, n]) => ({ proto, packets: n }));
        this.#upsert.run(ip, p.family, Date.parse(p.firstSeen), Date.parse(p.lastSeen), p.packets, p.dangerLevel, Date.now());
        this.#changes.touch(ip, 'detect', Date.now());
      }
    })();
  }

  /** Marks enrichment done for `ip` (geo/asn/whois/rdns) as the enrich worker would. */
  enrich(ip: string): void {
    const s = this.sources.get(ip);
    if (!s) return;
    const done = { state: 'done' as const, fetchedAt: new Date().toISOString() };
    s.profile.enrichment = { geo: done, asn: done, whois: done, rdns: done };
    s.profile.rdns = { name: `scanner-${hash(ip) % 100}.example.net`, confirmed: true };
    this.#db.transaction(() => { this.#changes.touch(ip, 'enrich', Date.now()); })();
  }

  /** Deletes a source as retention pruning does (no change record). */
  prune(ip: string): void {
    this.sources.delete(ip);
    this.#del.run(ip);
  }

  /** Distinct sources with packets in hours [from, to]. */
  activeIn(from: number, to: number): number {
    const all = new Set<string>();
    for (let h = from; h <= to; h++) for (const ip of this.activeByHour.get(h) ?? []) all.add(ip);
    return all.size;
  }
}

function inc<K>(m: Map<K, number>, k: K, by: number): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

/** Small stable hash of a string. */
export function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Documentation-range addresses (TEST-NET-1/2/3, 2001:db8::/32). */
export function testAddress(i: number): string {
  const nets = ['192.0.2', '198.51.100', '203.0.113'];
  if (i % 10 === 9 || i >= 762) {
    // canonical (RFC 5952) text, as the store keys sources
    const hi = Math.floor(i / 65536);
    const lo = i % 65536;
    return hi === 0 ? `2001:db8::${lo.toString(16)}` : lo === 0 ? `2001:db8:${hi.toString(16)}::` : `2001:db8:${hi.toString(16)}::${lo.toString(16)}`;
  }
  return `${nets[i % 3]!}.${1 + Math.floor(i / 3)}`;
}

/** Seeded traffic: `n` sources over `hours` hours ending at `endMs`, a few heavy scanners among many light ones. */
export function traffic(seed: number, n: number, hours: number, endMs: number, ports = [22, 23, 80, 443, 445, 3389, 8080, 53, 123, 5060]): SimPacket[] {
  const r = rng(seed);
  const out: SimPacket[] = [];
  const start = endMs - hours * 3_600_000;
  for (let i = 0; i < n; i++) {
    const ip = testAddress(i);
    const heavy = r() < 0.1;
    const count = heavy ? 1500 + Math.floor(r() * 1200) : 1 + Math.floor(r() * 40);
    const t0 = start + Math.floor(r() * (hours * 3_600_000 - 3_600_000));
    const span = heavy ? Math.floor(r() * 6 * 3_600_000) : Math.floor(r() * 3 * 3_600_000);
    for (let k = 0; k < count; k++) {
      const port = heavy && r() < 0.5 ? 1 + Math.floor(r() * 1024) : ports[Math.floor(r() * ports.length)]!;
      const time = Math.min(endMs - 1, t0 + Math.floor((span * k) / count));
      out.push({ ip, time, proto: port === 53 || port === 123 || port === 5060 ? 'udp' : 'tcp', port });
    }
  }
  return out.sort((a, b) => a.time - b.time);
}
