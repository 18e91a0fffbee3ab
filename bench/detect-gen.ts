// Deterministic synthetic firewall logs for the detection benchmarks: kernel LOG lines (traditional syslog) from a seeded
// mix of heavy port scanners, sweepers, signature-hitting probes, UDP, ICMP, IPv6 and single-packet noise.

/** xorshift32: small, fast, seeded. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** "Mon DD HH:MM:SS" of an epoch ms (UTC). */
export function stamp(ms: number): string {
  const d = new Date(ms);
  const day = d.getUTCDate();
  return `${MONTHS[d.getUTCMonth()]!} ${day < 10 ? ` ${day}` : day} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

const MAC = 'MAC=02:00:00:00:00:02:0e:79:ae:75:9c:85:08:00';
const SIG_PORTS = [1433, 3389, 23, 5900, 1080, 6000, 27374, 31337, 12345, 8080, 139, 445, 161, 5632, 2002];

/** The kernel's spelling of an IPv6 address: eight 4-digit groups. */
function fullV6(a: string): string {
  const [h = '', t = ''] = a.split('::');
  const head = h ? h.split(':') : [];
  const tail = t ? t.split(':') : [];
  const groups = a.includes('::') ? [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail] : a.split(':');
  return groups.map((g) => g.padStart(4, '0')).join(':');
}

/** One line of a given kind. */
export function line(ms: number, src: string, dst: string, kind: 'syn' | 'fin' | 'xmas' | 'null' | 'udp' | 'icmp', dport: number, id: number): string {
  const head = `${stamp(ms)} sensor kernel: DROP IN=eth0 OUT= ${MAC}`;
  const v6 = src.includes(':');
  const ip = v6 ? `SRC=${fullV6(src)} DST=${fullV6(dst)} LEN=${kind === 'udp' ? 48 : 60} TC=0 HOPLIMIT=${40 + (id % 20)} FLOWLBL=0`
    : `SRC=${src} DST=${dst} LEN=${kind === 'udp' ? 28 : 44} TOS=0x00 PREC=0x00 TTL=${40 + (id % 20)} ID=${id}`;
  switch (kind) {
    case 'udp': return `${head} ${ip} PROTO=UDP SPT=${33000 + (id % 2000)} DPT=${dport} LEN=8`;
    case 'icmp': return v6 ? `${head} ${ip} PROTO=ICMPv6 TYPE=128 CODE=0 ID=${id} SEQ=1` : `${head} ${ip} PROTO=ICMP TYPE=8 CODE=0 ID=${id} SEQ=1`;
    default: {
      const flags = kind === 'syn' ? 'SYN ' : kind === 'fin' ? 'FIN ' : kind === 'xmas' ? 'URG PSH FIN ' : '';
      return `${head} ${ip} PROTO=TCP SPT=${40000 + (id % 20000)} DPT=${dport} WINDOW=1024 RES=0x00 ${flags}URGP=0${kind === 'syn' ? ' OPT (020405B4)' : ''}`;
    }
  }
}

interface Actor {
  src: string;
  left: number;
  step: number;
  kind: 'scan' | 'sweep' | 'noise';
  flags: 'syn' | 'fin' | 'xmas' | 'null' | 'udp' | 'icmp';
  dst: string;
}

/**
 * Writes `total` lines from about `sources` sources to `emit` in time order over `spanMs` (default one day). Mix: 0.1% heavy
 * scanners (20% of lines), 1% medium scanners (20%), 10% sweepers (30%), the rest noise (30%, 1–20 packets, many to
 * signature ports); 5% of sources are IPv6.
 */
export function generate(total: number, sources: number, emit: (line: string) => void, opts: { seed?: number; start?: number; spanMs?: number } = {}): void {
  const r = rng(opts.seed ?? 42);
  const start = opts.start ?? Date.UTC(2026, 10, 25);
  const span = opts.spanMs ?? 86_400_000;
  const actors: Actor[] = [];
  const addr = (i: number): string => (i % 20 === 7 ? `2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::${(i % 250) + 1}`
    : `${[198, 203, 192][i % 3]!}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  const heavy = Math.max(1, Math.round(sources * 0.001));
  const medium = Math.max(1, Math.round(sources * 0.01));
  const sweep = Math.max(1, Math.round(sources * 0.1));
  const noise = Math.max(1, sources - heavy - medium - sweep);
  const add = (n: number, lines: number, kind: Actor['kind']): void => {
    const per = Math.max(1, Math.round(lines / n));
    for (let i = 0; i < n; i++) {
      const idx = actors.length;
      const src = addr(idx + 1);
      const v6 = src.includes(':');
      const f = r();
      const flags: Actor['flags'] = kind === 'noise' ? (f < 0.7 ? 'syn' : f < 0.85 ? 'udp' : 'icmp')
        : f < 0.6 ? 'syn' : f < 0.7 ? 'fin' : f < 0.8 ? 'xmas' : f < 0.85 ? 'null' : 'udp';
      const left = kind === 'noise' ? 1 + Math.floor(r() * (2 * per - 1)) : per;
      actors.push({ src, left, step: 0, kind, flags, dst: v6 ? '2001:db8:ffff::1' : `10.0.${idx % 4}.1` });
    }
  };
  add(heavy, total * 0.2, 'scan');
  add(medium, total * 0.2, 'scan');
  add(sweep, total * 0.3, 'sweep');
  add(noise, total * 0.3, 'noise');
  // a shuffled schedule: one entry per line, naming the actor that sends it
  const schedule = new Int32Array(total);
  let k = 0;
  for (let a = 0; a < actors.length && k < total; a++) for (let j = 0; j < actors[a]!.left && k < total; j++) schedule[k++] = a;
  while (k < total) schedule[k++] = Math.floor(r() * actors.length);
  for (let i = total - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = schedule[i]!;
    schedule[i] = schedule[j]!;
    schedule[j] = t;
  }
  for (let i = 0; i < total; i++) {
    const a = actors[schedule[i]!]!;
    const s = a.step++;
    const ms = start + Math.floor((i / total) * span);
    let dst = a.dst;
    let dport: number;
    if (a.kind === 'sweep') {
      dst = a.src.includes(':') ? `2001:db8:ffff::${((s % 250) + 1).toString(16)}` : `10.1.${(s >> 8) & 255}.${s & 255}`;
      dport = 22;
    } else if (a.kind === 'scan') {
      dport = 1 + (s % 65000);
    } else {
      dport = r() < 0.5 ? SIG_PORTS[Math.floor(r() * SIG_PORTS.length)]! : 1 + Math.floor(r() * 65000);
    }
    emit(line(ms, a.src, dst, a.flags, dport, (i * 2654435761) % 65536));
  }
}

/** Spoofed-source flood: `n` lines, each from a different source (SYN to one port), `perSecond` lines per second. */
export function flood(n: number, emit: (line: string) => void, opts: { start?: number; perSecond?: number; offset?: number } = {}): void {
  const start = opts.start ?? Date.UTC(2026, 10, 25);
  const per = opts.perSecond ?? 10_000;
  const off = opts.offset ?? 0;
  for (let i = off; i < off + n; i++) {
    const src = `${1 + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
    emit(line(start + Math.floor((i / per) * 1000), src, '203.0.113.1', 'syn', 443, i & 0xffff));
  }
}
