// Generates a pcap of N SYNs from many sources with a realistic mix of stacks, deterministic from a seed (for benchmarks).
import { closeSync, openSync, writeSync } from 'node:fs';

interface Stack {
  weight: number;
  ttl: number;
  df: boolean;
  win: (mss: number) => number;
  opts: (mss: number) => number[];
  v6?: boolean;
}

const mssOpt = (m: number): number[] => [2, 4, m >> 8, m & 255];
const ts = [8, 10, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0];

/** Stacks seen on the Internet today, weighted roughly as a sensor sees them (scanners dominate). */
const STACKS: Stack[] = [
  { weight: 30, ttl: 64, df: false, win: () => 1024, opts: (m) => mssOpt(m) },                                              // nmap -sS
  { weight: 15, ttl: 64, df: true, win: (m) => Math.floor(65535 / m) * m, opts: (m) => [...mssOpt(m), 4, 2, ...ts, 1, 3, 3, 7] }, // Linux 4.19+
  { weight: 15, ttl: 128, df: true, win: () => 64240, opts: (m) => [...mssOpt(m), 1, 3, 3, 8, 1, 1, 4, 2] },                // Windows 10/11
  { weight: 8, ttl: 64, df: true, win: () => 65535, opts: (m) => [...mssOpt(m), 1, 3, 3, 6, 1, 1, ...ts, 4, 2, 0, 0] },     // macOS / iOS
  { weight: 7, ttl: 64, df: true, win: () => 65535, opts: (m) => [...mssOpt(m), 4, 2, ...ts, 1, 3, 3, 8] },                // Android
  { weight: 10, ttl: 64, df: true, win: (m) => m * 20, opts: (m) => [...mssOpt(m), 4, 2, ...ts, 1, 3, 3, 7] },              // Linux 3.x
  { weight: 10, ttl: 255, df: false, win: () => 65535, opts: () => [] },                                                    // masscan-like, no options
  { weight: 5, ttl: 64, df: true, win: (m) => Math.floor(65535 / m) * m, opts: (m) => [...mssOpt(m), 4, 2, ...ts, 1, 3, 3, 7], v6: true },
];

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Options of writeSynPcap. */
export interface SynPcapOptions {
  /** Distinct client addresses. */
  sources?: number;
  /** PRNG seed: the same seed gives the same file. */
  seed?: number;
  /** Fraction of SYNs (IPv4) answered by a SYN+ACK 1–`maxReplyDelay` packets later, so flows are tracked and pruned. */
  synAckShare?: number;
  /** Largest distance, in packets, between a SYN and its SYN+ACK. */
  maxReplyDelay?: number;
}

/**
 * Writes `count` Ethernet-framed SYNs to `path`: `sources` distinct client addresses (10.0.0.0/8 for IPv4,
 * 2001:db8::/32 for IPv6) to four servers, 20 µs apart, optionally with SYN+ACK answers. Returns the bytes written.
 */
export function writeSynPcap(path: string, count: number, opts: SynPcapOptions = {}): number {
  const sources = opts.sources ?? 200_000;
  const seed = opts.seed ?? 1;
  const share = opts.synAckShare ?? 0;
  const maxDelay = opts.maxReplyDelay ?? 2000;
  /** Pending SYN+ACKs: emit at packet index, client, client port, server, ack. */
  const pending: { at: number; cli: number; cport: number; srv: number; ack: number }[] = [];
  const rand = rng(seed);
  const total = STACKS.reduce((n, s) => n + s.weight, 0);
  const pick = (): Stack => {
    let r = rand() * total;
    for (const s of STACKS) if ((r -= s.weight) < 0) return s;
    return STACKS[0]!;
  };
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(1 << 20);
  let pos = 0;
  let written = 0;
  const flush = (): void => {
    writeSync(fd, chunk, 0, pos);
    written += pos;
    pos = 0;
  };
  pos = chunk.writeUInt32LE(0xa1b2c3d4, 0);
  pos = chunk.writeUInt16LE(2, pos);
  pos = chunk.writeUInt16LE(4, pos);
  pos = chunk.writeInt32LE(0, pos);
  pos = chunk.writeUInt32LE(0, pos);
  pos = chunk.writeUInt32LE(262144, pos);
  pos = chunk.writeUInt32LE(1, pos);
  const t0 = 1_700_000_000;
  let emitted = 0;
  const synAck = (p: (typeof pending)[number]): void => {
    const usec = emitted++ * 20;
    const opts = [2, 4, 5, 0xb4, 4, 2, ...ts, 1, 3, 3, 7];
    const tcpLen = 20 + opts.length;
    pos = chunk.writeUInt32LE(t0 + Math.floor(usec / 1e6), pos);
    pos = chunk.writeUInt32LE(usec % 1e6, pos);
    pos = chunk.writeUInt32LE(34 + tcpLen, pos);
    pos = chunk.writeUInt32LE(34 + tcpLen, pos);
    chunk.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0, 0x45, 0], pos);
    pos += 16;
    pos = chunk.writeUInt16BE(20 + tcpLen, pos);
    pos = chunk.writeUInt32BE(0x00004000, pos);
    chunk[pos++] = 64;
    chunk[pos++] = 6;
    pos = chunk.writeUInt16BE(0, pos);
    pos = chunk.writeUInt32BE(p.srv, pos);
    pos = chunk.writeUInt32BE(p.cli, pos);
    pos = chunk.writeUInt16BE(80, pos);
    pos = chunk.writeUInt16BE(p.cport, pos);
    pos = chunk.writeUInt32BE(0x77770000, pos);
    pos = chunk.writeUInt32BE(p.ack, pos);
    chunk[pos++] = (tcpLen / 4) << 4;
    chunk[pos++] = 0x12;
    pos = chunk.writeUInt16BE(65160, pos);
    pos = chunk.writeUInt32BE(0, pos);
    chunk.set(opts, pos);
    pos += opts.length;
  };
  for (let i = 0; i < count; i++) {
    if (pos > chunk.length - 512) flush();
    while (pending.length > 0 && pending[0]!.at <= i) {
      synAck(pending.shift()!);
      if (pos > chunk.length - 512) flush();
    }
    const s = pick();
    const mss = rand() < 0.8 ? 1460 : [1452, 1440, 1400, 1380, 1360][Math.floor(rand() * 5)]!;
    const m = s.v6 ? Math.min(mss, 1440) : mss;
    const opts = s.opts(m);
    const win = s.win(m);
    const src = Math.floor(rand() * sources);
    const hops = Math.floor(rand() * 25);
    const ttl = Math.max(1, s.ttl - hops);
    const tcpLen = 20 + opts.length;
    const ipLen = (s.v6 ? 40 : 20) + tcpLen;
    const usec = emitted++ * 20;
    pos = chunk.writeUInt32LE(t0 + Math.floor(usec / 1e6), pos);
    pos = chunk.writeUInt32LE(usec % 1e6, pos);
    pos = chunk.writeUInt32LE(14 + ipLen, pos);
    pos = chunk.writeUInt32LE(14 + ipLen, pos);
    // Ethernet
    chunk.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1], pos);
    pos += 12;
    pos = chunk.writeUInt16BE(s.v6 ? 0x86dd : 0x0800, pos);
    if (s.v6) {
      pos = chunk.writeUInt32BE((6 << 28) | (1 + (src & 0xfffff)), pos);
      pos = chunk.writeUInt16BE(tcpLen, pos);
      chunk[pos++] = 6;
      chunk[pos++] = ttl;
      pos = chunk.writeUInt32BE(0x20010db8, pos);
      pos = chunk.writeUInt32BE(src >>> 8, pos);
      pos = chunk.writeUInt32BE(0, pos);
      pos = chunk.writeUInt32BE((src & 255) + 1, pos);
      pos = chunk.writeUInt32BE(0x20010db8, pos);
      pos = chunk.writeUInt32BE(0xffff, pos);
      pos = chunk.writeUInt32BE(0, pos);
      pos = chunk.writeUInt32BE(1 + (i % 4), pos);
    } else {
      chunk[pos++] = 0x45;
      chunk[pos++] = 0;
      pos = chunk.writeUInt16BE(ipLen, pos);
      pos = chunk.writeUInt16BE(s.df ? 1 + (i & 0x7fff) : (i & 0xffff) | 1, pos);
      pos = chunk.writeUInt16BE(s.df ? 0x4000 : 0, pos);
      chunk[pos++] = ttl;
      chunk[pos++] = 6;
      pos = chunk.writeUInt16BE(0, pos);
      pos = chunk.writeUInt32BE((0x0a000000 + src) >>> 0, pos);
      pos = chunk.writeUInt32BE((0xcb007100 + 1 + (i % 4)) >>> 0, pos);
    }
    // TCP
    const cport = 1024 + (i % 60000);
    const dport = share > 0 && !s.v6 && rand() < share ? 80 : [22, 80, 443, 3389, 8080][i % 5]!;
    const seq = (0x10000000 + i * 7919) >>> 0;
    if (dport === 80 && share > 0 && !s.v6) {
      const at = i + 1 + Math.floor(rand() * maxDelay);
      const entry = { at, cli: (0x0a000000 + src) >>> 0, cport, srv: (0xcb007100 + 1 + (i % 4)) >>> 0, ack: (seq + 1) >>> 0 };
      let k = pending.length;
      while (k > 0 && pending[k - 1]!.at > at) k--;
      pending.splice(k, 0, entry);
    }
    pos = chunk.writeUInt16BE(cport, pos);
    pos = chunk.writeUInt16BE(dport, pos);
    pos = chunk.writeUInt32BE(seq, pos);
    pos = chunk.writeUInt32BE(0, pos);
    chunk[pos++] = (tcpLen / 4) << 4;
    chunk[pos++] = 0x02;
    pos = chunk.writeUInt16BE(win, pos);
    pos = chunk.writeUInt16BE(0, pos);
    pos = chunk.writeUInt16BE(0, pos);
    chunk.set(opts, pos);
    pos += opts.length;
  }
  for (const p of pending) {
    if (pos > chunk.length - 512) flush();
    synAck(p);
  }
  flush();
  closeSync(fd);
  return written;
}
