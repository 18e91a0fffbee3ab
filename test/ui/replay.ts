// A replayable firewall log for the real-serve browser test: the committed c1 corpus (real kernel LOG lines from real
// nmap scans and crafted SYNs with TCP options) with its sources spread over the last two days and some moved into
// the ranges the MaxMind test databases know, so the map, the timeline and the previous-window figures have data.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** The corpus: fixtures/cases/c1-nmap-stock/input.log.gz (made by /work/shared/tools/gen-corpus.sh, see its SOURCE.md). */
export const CORPUS = resolve('fixtures/cases/c1-nmap-stock/input.log.gz');

/**
 * Sources moved into ranges of /work/shared/data/mmdb's test databases (GeoLite2-City-Test): the log lines are data
 * only, nothing is sent to these addresses. Everything else keeps its documentation-range address (no country).
 */
export const GEO_MOVES: Readonly<Record<string, { ip: string; country: string }>> = {
  '203.0.113.17': { ip: '81.2.69.142', country: 'GB' },
  '203.0.113.10': { ip: '89.160.20.115', country: 'SE' },
  '203.0.113.11': { ip: '175.16.199.7', country: 'CN' },
  '203.0.113.13': { ip: '216.160.83.57', country: 'US' },
  '198.51.100.50': { ip: '2.125.160.217', country: 'GB' },
};

/** Hours before now at which each moved or loud source's activity starts; the rest share the last half hour. */
const HOURS_AGO: Readonly<Record<string, number>> = {
  '203.0.113.17': 0.3, '203.0.113.10': 3.5, '203.0.113.11': 7.2, '203.0.113.13': 30.5, '198.51.100.50': 12.4,
  '203.0.113.16': 1.6, '203.0.113.14': 18.5, '203.0.113.20': 26.2, '203.0.113.12': 5.1,
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const STAMP = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) /;

/** A classic syslog stamp in UTC ("Nov  6 09:05:01"), as rsyslog writes with the machine in UTC. */
export function syslogStamp(ms: number): string {
  const d = new Date(ms);
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const hms = [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  return `${MONTHS[d.getUTCMonth()]!} ${day} ${hms}`;
}

function corpusSeconds(line: string): number {
  const m = STAMP.exec(line);
  if (!m) throw new Error(`corpus line without a syslog stamp: ${line.slice(0, 60)}`);
  return Date.UTC(2026, MONTHS.indexOf(m[1]!), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])) / 1000;
}

const SRC = /SRC=(\S+)/;
const ACK_ONLY = / RES=0x00 ACK URGP=/;

/** The corpus lines, stamps rewritten so the replay ends a little before `now`, sorted by time; `sources` and `packets` are what the profiles will count. */
export function replayLog(now: number): { text: string; sources: Set<string>; packets: number; last: number } {
  const lines = gunzipSync(readFileSync(CORPUS)).toString('utf8').split('\n').filter((l) => l.length > 0);
  const first = new Map<string, number>();
  for (const l of lines) {
    const src = SRC.exec(l)?.[1] ?? '';
    if (!first.has(src)) first.set(src, corpusSeconds(l));
  }
  const out: { t: number; line: string }[] = [];
  const sources = new Set<string>();
  let packets = 0;
  for (const l of lines) {
    const src = SRC.exec(l)?.[1] ?? '';
    const ago = HOURS_AGO[src] ?? 0.4;
    const t = now - ago * 3_600_000 + (corpusSeconds(l) - first.get(src)!) * 1000;
    const move = GEO_MOVES[src];
    const ip = move ? move.ip : src;
    // psad (and probewatch in its default mode) ignores bare ACKs: an ACK-scan-only source never becomes a profile
    if (!ACK_ONLY.test(l)) {
      sources.add(canonical(ip));
      packets++;
    }
    const body = l.replace(STAMP, '').replace(`SRC=${src} `, `SRC=${ip} `);
    out.push({ t, line: `${syslogStamp(t)} ${body}` });
  }
  out.sort((a, b) => a.t - b.t);
  return { text: `${out.map((o) => o.line).join('\n')}\n`, sources, packets, last: out[out.length - 1]!.t };
}

/** `n` SYN-scan lines from `ip` to ports 1..n at `at`, shaped like the corpus' nmap lines (MSS option, window 1024). */
export function synScan(ip: string, n: number, at: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(`${syslogStamp(at + Math.floor(i / 200) * 1000)} sensor kernel: DROP IN=eth0 OUT= MAC=02:00:00:00:00:02:0e:79:ae:75:9c:85:08:00 `
      + `SRC=${ip} DST=203.0.113.1 LEN=44 TOS=0x00 PREC=0x00 TTL=52 ID=${(i * 7919) % 65536} PROTO=TCP SPT=40001 DPT=${i + 1} `
      + 'WINDOW=1024 RES=0x00 SYN URGP=0 OPT (020405B4)');
  }
  return `${out.join('\n')}\n`;
}

/**
 * Danger level per (moved) source that the real psad 2.4.6 gave the corpus (fixtures/cases/c1-nmap-stock/psad.dl), with
 * probewatch's documented deviations (case.json "own"); sources psad did not list are at level 0.
 */
export function expectedLevels(): Map<string, number> {
  const dir = resolve('fixtures/cases/c1-nmap-stock');
  const own = (JSON.parse(readFileSync(resolve(dir, 'case.json'), 'utf8')) as { own?: Record<string, { dl: number }> }).own ?? {};
  const out = new Map<string, number>();
  for (const line of readFileSync(resolve(dir, 'psad.dl'), 'utf8').split('\n')) {
    const [src, dl] = line.trim().split(/\s+/);
    if (!src || dl === undefined) continue;
    out.set(canonical(GEO_MOVES[src]?.ip ?? src), own[src]?.dl ?? Number(dl));
  }
  return out;
}

/** RFC 5952 text of the corpus' fully written IPv6 addresses (what the API answers). */
function canonical(ip: string): string {
  if (!ip.includes(':')) return ip;
  const groups = ip.split(':').map((g) => g.replace(/^0+(?=.)/, ''));
  let best = -1;
  let len = 0;
  for (let i = 0; i < groups.length; i++) {
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > len && j - i > 1) { best = i; len = j - i; }
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + len).join(':')}`;
}
