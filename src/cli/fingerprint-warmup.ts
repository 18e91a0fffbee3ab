// Primes V8's type feedback for the fingerprint hot path with synthetic traffic, so a big capture is compiled once.
import { decodeFrame, Decode, P0F_COUNTED } from '../capture/decode.ts';
import { LinkType } from '../capture/link.ts';
import { emptyObservation } from '../domain/observation.ts';
import type { SignatureDb } from '../fingerprint/database.ts';
import { P0fEngine } from '../fingerprint/engine.ts';
import type { EngineSink, EngineStats } from '../fingerprint/engine.ts';

/*
 * Why: V8 optimizes the per-packet functions after the first few thousand packets, using only the branches and value
 * kinds seen so far. A large file then reaches paths those packets never took (host eviction once 10,000 hosts are
 * known, ports past 9999, a buffer flush between a SYN line and its MTU line, sequence numbers past 2^30, a SYN+ACK
 * after a run of SYNs …), and each one throws the optimized code away: the packets after it run unoptimized until
 * the function is compiled again, and the compiler (whose CPU time counts) compiles the biggest functions twice or
 * three times. ~170 synthetic segments that take those paths, through throwaway instances of the same
 * classes, cost a few milliseconds and leave the real run to compile each function once.
 *
 * Nothing here reaches the output: the engine, its match cache and the sink are separate instances, then dropped.
 */

/** Option bytes of the stacks sent: current stacks, nmap's, and odd ones for the quirk paths. */
const STACKS: readonly (readonly number[])[] = [
  [2, 4, 5, 0xb4],
  [2, 4, 5, 0xb4, 4, 2, 8, 10, 0x92, 0x34, 0x56, 0x78, 0, 0, 0, 0, 1, 3, 3, 7],
  [2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2],
  [2, 4, 5, 0xb4, 1, 3, 3, 6, 1, 1, 8, 10, 0x9a, 0xbc, 0xde, 0xf0, 0, 0, 0, 0, 4, 2, 0, 0],
  [],
  [2, 4, 5, 0x3c, 3, 3, 15, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1],
  [3, 3, 2, 0, 0, 0, 0, 7],
];

/** Writes an Ethernet frame holding an IPv4 or IPv6 TCP segment into `b`; returns its length. */
function frame(b: Uint8Array, v6: boolean, cli: number, srv: number, sport: number, dport: number, seq: number, ack: number, flags: number, win: number, opts: readonly number[], ttl: number, data = 0): number {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  b.fill(0, 0, 14);
  dv.setUint16(12, v6 ? 0x86dd : 0x0800);
  const tcpLen = 20 + ((opts.length + 3) & ~3);
  let t: number;
  if (v6) {
    dv.setUint32(14, 0x60000000 | (cli & 0xfffff));
    dv.setUint16(18, tcpLen + data);
    b[20] = 6;
    b[21] = ttl;
    b.fill(0, 22, 54);
    dv.setUint32(22, 0x20010db8);
    dv.setUint32(34, cli);
    dv.setUint32(38, 0x20010db8);
    dv.setUint32(50, srv);
    t = 54;
  } else {
    dv.setUint32(14, 0x45000000 | (20 + tcpLen + data));
    dv.setUint32(18, cli & 1 ? 0x4000 : (cli & 0xffff) << 16);
    b[22] = ttl;
    b[23] = 6;
    dv.setUint16(24, 0);
    dv.setUint32(26, cli);
    dv.setUint32(30, srv);
    t = 34;
  }
  dv.setUint16(t, sport);
  dv.setUint16(t + 2, dport);
  dv.setUint32(t + 4, seq >>> 0);
  dv.setUint32(t + 8, ack >>> 0);
  b[t + 12] = (tcpLen / 4) << 4;
  b[t + 13] = flags;
  dv.setUint16(t + 14, win);
  dv.setUint32(t + 16, 0);
  b.fill(0, t + 20, t + tcpLen);
  b.set(opts, t + 20);
  b.fill(0x41, t + tcpLen, t + tcpLen + data);
  return t + tcpLen + data;
}

/**
 * Runs ~170 synthetic segments (SYNs from more sources than the tiny host table holds, SYN+ACKs, ACKs with data,
 * FINs and RSTs, a duplicate, IPv4 and IPv6, sequence numbers on both sides of 2^31, ports on both sides of 10,000,
 * time jumps past the flow and host timeouts) through the decoder and a throwaway engine feeding `sink`, which must
 * be a fresh, discarding instance of the sink class the real run uses. Returns the throwaway engine's counters.
 */
export function warmUpFingerprinting(db: SignatureDb, sink: EngineSink): EngineStats {
  const engine = new P0fEngine(db, sink, { maxFlows: 6, maxHosts: 12, flowMaxAge: 30, hostIdleMinutes: 120 });
  const obs = emptyObservation('pcap');
  const b = new Uint8Array(256);
  let rnd = 0x9e3779b9;
  const next = (): number => {
    rnd = (Math.imul(rnd ^ (rnd >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
    return rnd >>> 0;
  };
  let sec = 1_700_000_000;
  let usec = 0;
  const feed = (len: number): void => {
    obs.time = sec * 1000 + Math.floor(usec / 1000);
    obs.timeMicros = usec % 1000;
    const r = decodeFrame(LinkType.EN10MB, b, len, len, obs, 0);
    if ((r & 0x7f) === Decode.OK) engine.process(obs, (r & P0F_COUNTED) !== 0);
    else if (r & P0F_COUNTED) engine.tick(obs.time);
  };
  const n = 100;
  for (let i = 0; i < n; i++) {
    usec += 50_000 + (next() % 300_000);
    if (i === 60) sec += 31;
    if (i === 80) sec += 7201;
    if (usec >= 1_000_000) {
      sec += Math.floor(usec / 1_000_000);
      usec %= 1_000_000;
    }
    const v6 = i % 7 === 3;
    const cli = 0x0a000000 | (next() % 30);
    const srv = 0xc0000200 | (i % 3);
    const sport = i & 1 ? 1024 + (next() % 8000) : 10_000 + (next() % 55_000);
    const dport = [80, 443, 22, 8080, 12345][i % 5]!;
    const seq = next();
    const stack = i % 25 === 17 ? [2, 4, 5, 0x33] : STACKS[i % STACKS.length]!;
    const win = i % 25 === 17 ? 1337 : [1024, 64240, 65535, 29200, 5840][i % 5]!;
    feed(frame(b, v6, cli, srv, sport, dport, seq, 0, 0x02, win, stack, 64 - (i % 3)));
    if (i % 20 === 0) feed(frame(b, v6, cli, srv, sport, dport, seq, 0, 0x02, win, stack, 64));
    if (i % 3 === 0) {
      const srvSeq = next();
      feed(frame(b, v6, srv, cli, dport, sport, srvSeq, seq + 1, 0x12, 65160, STACKS[1]!, 64));
      if (i % 6 === 0) {
        feed(frame(b, v6, cli, srv, sport, dport, seq + 1, srvSeq + 1, 0x10, win, [], 64, i % 12 === 0 ? 10 : 0));
        feed(frame(b, v6, cli, srv, sport, dport, seq + 1, srvSeq + 1, i % 4 === 0 ? 0x11 : 0x04, win, [], 64));
      }
    }
  }
  return engine.stats;
}
