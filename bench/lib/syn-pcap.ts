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

/**
 * Writes `count` Ethernet-framed SYNs to `path`: `sources` distinct client addresses (198.51.100.0/24 … spread over
 * 10.0.0.0/8 for IPv4, 2001:db8::/32 for IPv6) to a handful of servers, 20 µs apart. Returns the bytes written.
 */
export function writeSynPcap(path: string, count: number, sources = 200_000, seed = 1): number {
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
  for (let i = 0; i < count; i++) {
    if (pos > chunk.length - 256) flush();
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
    const usec = i * 20;
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
    pos = chunk.writeUInt16BE(1024 + (i % 60000), pos);
    pos = chunk.writeUInt16BE([22, 80, 443, 3389, 8080][i % 5]!, pos);
    pos = chunk.writeUInt32BE((0x10000000 + i * 7919) >>> 0, pos);
    pos = chunk.writeUInt32BE(0, pos);
    chunk[pos++] = (tcpLen / 4) << 4;
    chunk[pos++] = 0x02;
    pos = chunk.writeUInt16BE(win, pos);
    pos = chunk.writeUInt16BE(0, pos);
    pos = chunk.writeUInt16BE(0, pos);
    chunk.set(opts, pos);
    pos += opts.length;
  }
  flush();
  closeSync(fd);
  return written;
}
