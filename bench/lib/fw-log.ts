// Seeded generator of a realistic firewall log (kernel LOG lines as rsyslog writes them) for benchmarks.
// Sources: IPv4 from 198.18.0.0/15 (RFC 2544 benchmarking range) and IPv6 from 2001:db8::/32, skewed so a few
// sources send much; protocol mix of nmap-style scans: TCP SYN with options, UDP, ICMP echo, IPv6 TCP.
import { createWriteStream } from 'node:fs';

/** Options of the generator. */
export interface FwLogOptions {
  /** Lines to write (default 1,000,000). */
  lines?: number;
  /** Distinct sources (default 50,000). */
  sources?: number;
  /** PRNG seed (default 1). */
  seed?: number;
}

/** A small deterministic PRNG (mulberry32). */
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

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const hex4 = (n: number) => n.toString(16).padStart(4, '0');

/** The n-th line of the log (pure function of n, the source count and the PRNG state). */
export function makeLine(r: () => number, n: number, sources: number, start: number): string {
  const t = new Date(start + Math.floor(n / 20) * 1000);
  const stamp = `${MON[t.getUTCMonth()]!} ${String(t.getUTCDate()).padStart(2, ' ')} ${String(t.getUTCHours()).padStart(2, '0')}:${String(t.getUTCMinutes()).padStart(2, '0')}:${String(t.getUTCSeconds()).padStart(2, '0')}`;
  const up = n % 2 === 0 ? `[${(3000 + n / 1000).toFixed(6).padStart(12, ' ')}] ` : '';
  const s = Math.floor(sources * r() ** 3); // skewed: low ids are heavy hitters
  const kind = r();
  const ttl = 30 + Math.floor(r() * 34);
  const id = Math.floor(r() * 65536);
  const dport = 1 + Math.floor(r() * 65535);
  const sport = 1024 + Math.floor(r() * 64000);
  const head = `${stamp} fw1 kernel: ${up}DROP IN=eth0 OUT= MAC=02:00:00:00:00:02:0e:79:ae:75:9c:85:`;
  if (kind < 0.1) {
    const src = `2001:0db8:${hex4(s >> 16)}:${hex4(s & 0xffff)}:0000:0000:0000:0007`;
    return `${head}86:dd SRC=${src} DST=2001:0db8:0001:0000:0000:0000:0000:0001 LEN=64 TC=0 HOPLIMIT=${ttl} FLOWLBL=0 PROTO=TCP SPT=${sport} DPT=${dport} WINDOW=1024 RES=0x00 SYN URGP=0 OPT (020405B4) `;
  }
  const src = `198.${18 + (s >> 16)}.${(s >> 8) & 255}.${s & 255}`;
  const ip = `${head}08:00 SRC=${src} DST=203.0.113.${1 + (s % 3)} LEN=44 TOS=0x00 PREC=0x00 TTL=${ttl} ID=${id} `;
  if (kind < 0.8) return `${ip}PROTO=TCP SPT=${sport} DPT=${dport} WINDOW=1024 RES=0x00 SYN URGP=0 ${kind < 0.75 ? 'OPT (020405B4) ' : ''}`;
  if (kind < 0.95) return `${ip}PROTO=UDP SPT=${sport} DPT=${dport} LEN=8 `;
  return `${ip}DF PROTO=ICMP TYPE=8 CODE=0 ID=${id} SEQ=${n & 65535} `;
}

/** Writes the log to `path`; resolves with its size in bytes. */
export async function writeFirewallLog(path: string, o: FwLogOptions = {}): Promise<number> {
  const lines = o.lines ?? 1_000_000;
  const sources = o.sources ?? 50_000;
  const r = rng(o.seed ?? 1);
  const start = Date.UTC(2026, 10, 20, 0, 0, 0);
  const out = createWriteStream(path);
  let bytes = 0;
  let buf = '';
  for (let n = 0; n < lines; n++) {
    buf += `${makeLine(r, n, sources, start)}\n`;
    if (buf.length > 1 << 20) {
      bytes += Buffer.byteLength(buf);
      if (!out.write(buf)) await new Promise<void>((res) => { out.once('drain', () => { res(); }); });
      buf = '';
    }
  }
  bytes += Buffer.byteLength(buf);
  out.end(buf);
  await new Promise<void>((res) => { out.on('finish', () => { res(); }); });
  return bytes;
}
