// The p0f engine: p0f's host and flow bookkeeping (process.c) around TCP and MTU fingerprinting, fed one segment at a time.
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../domain/observation.ts';
import { emptyObservation } from '../domain/observation.ts';
import type { SynObservation } from '../domain/observation.ts';
import type { SignatureDb } from './database.ts';
import { FlowTable } from './flow-table.ts';
import { hashAddr, HostTable } from './host-table.ts';
import { MatchCache } from './match-cache.ts';
import type { MatchEntry } from './match-cache.ts';
import { emptyPacketSig, sillyFlags, toPacketSig } from './packet-sig.ts';
import type { PacketSig } from './packet-sig.ts';
import { SPECIAL_MSS, SPECIAL_WIN } from './raw-sig.ts';
import type { TcpMatch } from './tcp-match.ts';

/** Caps and timeouts of the flow table; the defaults are p0f's, so output matches `p0f -r` exactly. */
export interface EngineLimits {
  /** Tracked connections before the oldest 10% are dropped (p0f -m first value, MAX_CONN). */
  maxFlows: number;
  /** Tracked hosts before pruning kicks in (p0f -m second value, MAX_HOSTS). */
  maxHosts: number;
  /** Seconds a connection is tracked waiting for its SYN+ACK (p0f -t first value, CONN_MAX_AGE). */
  flowMaxAge: number;
  /** Minutes an idle host is remembered (p0f -t second value, HOST_IDLE_LIMIT). */
  hostIdleMinutes: number;
}

/** p0f 3.09b's defaults. */
export const P0F_LIMITS: EngineLimits = { maxFlows: 1000, maxHosts: 10000, flowMaxAge: 30, hostIdleMinutes: 120 };

/** A SYN or SYN+ACK fingerprint. The object is reused: copy what you keep beyond the callback. */
export interface TcpEvent {
  /** 'syn' (subject: client) or 'syn+ack' (subject: server). */
  mode: 'syn' | 'syn+ack';
  /** A p0f-sendsyn probe or its answer (p0f prints "sendsyn probe" / "sendsyn response"). */
  sendsyn: boolean;
  /** The segment; for 'syn' its source is the client, for 'syn+ack' its destination is. */
  obs: SynObservation;
  /** p0f's view of the segment. */
  ps: PacketSig;
  /** The match (shared with the cache entry: never modify). */
  readonly match: TcpMatch;
  /** The cache entry the match came from. */
  readonly entry: MatchEntry;
  /**
   * The entry's number in its match cache, and that cache's numbering (MatchCache.epoch): a sink may keep its
   * rendering of an entry by number while the epoch stays the same. -1: an entry that is not cached (rendered once).
   */
  entryId: number;
  cacheEpoch: number;
  /** MSS of the flow's SYN (0 on SYNs): p0f also tries it as a window divisor on SYN+ACKs. */
  synMss: number;
}

/** An MTU observation (p0f's mod=mtu). Reused like TcpEvent; always follows the TcpEvent of the same segment. */
export interface MtuEvent {
  mode: 'syn' | 'syn+ack';
  obs: SynObservation;
  /** MSS + 40 (IPv4) or + 60 (IPv6). */
  mtu: number;
  /** Link name from [mtu], or null. */
  link: string | null;
  /** The match cache entry number and epoch of the TcpEvent before it (see TcpEvent). */
  entryId: number;
  cacheEpoch: number;
}

/** The engine's reusable TcpEvent: the entry and its match are looked up only by sinks that read them. */
class TcpEv implements TcpEvent {
  mode: 'syn' | 'syn+ack' = 'syn';
  sendsyn = false;
  obs: SynObservation;
  ps: PacketSig;
  entryId = -1;
  cacheEpoch = 0;
  synMss = 0;
  readonly #cache: MatchCache;

  constructor(cache: MatchCache, obs: SynObservation, ps: PacketSig) {
    this.#cache = cache;
    this.obs = obs;
    this.ps = ps;
  }

  get entry(): MatchEntry {
    return this.#cache.entry(this.entryId);
  }

  get match(): TcpMatch {
    return this.#cache.entry(this.entryId).match;
  }
}

/** Receives the engine's output, in packet order. */
export interface EngineSink {
  tcp(ev: TcpEvent): void;
  mtu(ev: MtuEvent): void;
}

/** Engine counters. */
export interface EngineStats {
  /** Segments p0f would have counted (its packet_cnt, which paces cache expiry). */
  packets: number;
  /** SYN and SYN+ACK fingerprints emitted. */
  syn: number;
  synAck: number;
  /** Retransmitted SYNs ignored (same sequence number in a tracked flow). */
  duplicateSyn: number;
  /** SYN+ACKs without a tracked SYN. */
  straySynAck: number;
  /** Flows dropped because maxFlows was reached (raise fingerprint.maxFlows). */
  flowsEvicted: number;
  /** Hosts dropped because maxHosts was reached (raise fingerprint.maxHosts). */
  hostsEvicted: number;
}

/**
 * Runs p0f's per-packet logic over a stream of segments. Pure: time comes from the segments. Memory is bounded by
 * the limits (p0f's own pruning) plus the match cache.
 */
export class P0fEngine {
  readonly stats: EngineStats = { packets: 0, syn: 0, synAck: 0, duplicateSyn: 0, straySynAck: 0, flowsEvicted: 0, hostsEvicted: 0 };
  readonly cache: MatchCache;
  readonly #sink: EngineSink;
  readonly #maxFlows: number;
  readonly #maxHosts: number;
  readonly #flowMaxAge: number;
  readonly #hostIdle: number;
  // hosts and flows are ids into typed arrays: nothing is allocated per packet, and the by-age lists are intrusive
  // (a Map's insertion order would do, but V8 leaves deleted entries in place until a rehash, so always removing from
  // the front turns every "oldest" lookup into a scan over the holes)
  readonly #hosts = new HostTable(1024);
  readonly #flows = new FlowTable(this.#hosts, 1024);
  /** The current segment's addresses as words: source 0–3, destination 4–7 (IPv4: one word, then zeros). */
  readonly #addr = new Int32Array(8);
  /** Their hashes (hashAddr): source, destination. */
  readonly #hash = new Int32Array(2);
  #lastExpire = 0;
  /** Counted packets until the next expiry check (p0f checks every 50th: a countdown, not a division per packet). */
  #untilExpire = 50;
  /** Whether #addr may hold IPv6 words from an earlier packet (an IPv4 packet then clears words 1–3 and 5–7). */
  #addrWide = false;
  readonly #ps = emptyPacketSig();
  readonly #tcpEv: TcpEv;
  readonly #mtuEv: MtuEvent;

  constructor(db: SignatureDb, sink: EngineSink, limits: EngineLimits = P0F_LIMITS) {
    this.#sink = sink;
    this.#maxFlows = limits.maxFlows;
    this.#maxHosts = limits.maxHosts;
    this.#flowMaxAge = limits.flowMaxAge;
    this.#hostIdle = limits.hostIdleMinutes * 60;
    this.cache = new MatchCache(db);
    this.#tcpEv = new TcpEv(this.cache, emptyObservation('pcap'), this.#ps);
    this.#mtuEv = { mode: 'syn', obs: this.#tcpEv.obs, mtu: 0, link: null, entryId: -1, cacheEpoch: 0 };
    // V8 tracks the shape of the objects a field has held: while that is a single shape, every store into the field
    // first loads the stored object's shape to check it (and log-line observations have another shape than captured
    // ones). A placeholder of another shape up front makes these plain stores.
    const other = Object.create(null) as never;
    this.#tcpEv.obs = other;
    this.#mtuEv.obs = other;
  }

  /** Flows currently tracked. */
  get flowCount(): number {
    return this.#flows.size;
  }

  /** Hosts currently tracked. */
  get hostCount(): number {
    return this.#hosts.size;
  }

  /**
   * Counts a packet that p0f's capture filter passes but its decoder drops (fragment, truncated, …): p0f's packet
   * counter, which paces cache expiry, counts those too.
   */
  tick(timeMs: number): void {
    this.stats.packets++;
    if (--this.#untilExpire === 0) {
      this.#untilExpire = 50;
      this.#expire(Math.floor(timeMs / 1000));
    }
  }

  /**
   * Feeds one TCP segment (any flags; the decoder has already dropped what p0f drops at the IP level). `counted` is
   * false for segments p0f's own filter would not have seen (IPv6 behind extension headers), so expiry stays in step.
   */
  process(o: SynObservation, counted = true): void {
    const st = this.stats;
    const now = Math.floor(o.time / 1000);
    if (counted) {
      st.packets++;
      if (--this.#untilExpire === 0) {
        this.#untilExpire = 50;
        this.#expire(now);
      }
    }
    const flags = o.flags;
    if (sillyFlags(flags)) return;
    const type = flags & (TCP_SYN | TCP_ACK | TCP_FIN | TCP_RST);

    // lookup_flow: the same 4-tuple in either direction
    const fam = o.family;
    const a = this.#addr;
    let hs: number, hd: number;
    if (fam === 4) {
      // the common case, without the general reader: one word per address
      const b = o.buf;
      const so = o.srcOff, dof = o.dstOff;
      const s0 = (b[so]! << 24) | (b[so + 1]! << 16) | (b[so + 2]! << 8) | b[so + 3]!;
      const d0 = (b[dof]! << 24) | (b[dof + 1]! << 16) | (b[dof + 2]! << 8) | b[dof + 3]!;
      a[0] = s0;
      a[4] = d0;
      if (this.#addrWide) {
        a[1] = a[2] = a[3] = a[5] = a[6] = a[7] = 0;
        this.#addrWide = false;
      }
      hs = hashAddr(4, s0, 0, 0, 0);
      hd = hashAddr(4, d0, 0, 0, 0);
    } else {
      readAddr(o.buf, o.srcOff, fam, a, 0);
      readAddr(o.buf, o.dstOff, fam, a, 4);
      this.#addrWide = true;
      hs = hashAddr(fam, a[0]!, a[1]!, a[2]!, a[3]!);
      hd = hashAddr(fam, a[4]!, a[5]!, a[6]!, a[7]!);
    }
    this.#hash[0] = hs;
    this.#hash[1] = hd;
    const hosts = this.#hosts;
    const flows = this.#flows;
    const srcHost = hosts.find(hs, fam, a[0]!, a[1]!, a[2]!, a[3]!);
    const dstHost = hosts.find(hd, fam, a[4]!, a[5]!, a[6]!, a[7]!);
    let toSrv = true;
    let f = -1;
    // a flow needs both hosts: a packet from or to an unknown address has none
    if (srcHost !== -1 && dstHost !== -1) {
      f = flows.find(srcHost, dstHost, o.sport, o.dport);
      if (f === -1) {
        f = flows.find(dstHost, srcHost, o.dport, o.sport);
        toSrv = false;
      }
    }

    switch (type) {
      case TCP_SYN: {
        if (f !== -1) {
          if (toSrv && o.seq !== null && ((flows.nextCliSeq[f]! - 1) >>> 0) === o.seq) {
            st.duplicateSyn++;
            return;
          }
          this.#destroyFlow(f);
        }
        const nf = this.#createFlow(o, srcHost, dstHost, now);
        const ps = toPacketSig(o, this.#ps);
        const os = this.#fingerprint(true, o, ps, nf);
        if (!os && flows.sendsyn[nf] === 0) {
          this.#destroyFlow(nf);
          return;
        }
        this.#fingerprintMtu(true, o, ps, nf);
        return;
      }
      case TCP_SYN | TCP_ACK: {
        if (f === -1) {
          st.straySynAck++;
          return;
        }
        if (flows.sendsyn[f] === 1) {
          this.#fingerprint(false, o, toPacketSig(o, this.#ps), f);
          this.#destroyFlow(f);
          return;
        }
        if (toSrv || flows.acked[f] === 1) return;
        flows.acked[f] = 1;
        const ps = toPacketSig(o, this.#ps);
        if (!this.#fingerprint(false, o, ps, f)) {
          this.#destroyFlow(f);
          return;
        }
        this.#fingerprintMtu(false, o, ps, f);
        flows.nextSrvSeq[f] = o.seq === null ? NaN : (o.seq + 1) >>> 0;
        return;
      }
      case TCP_RST | TCP_ACK:
      case TCP_RST:
      case TCP_FIN | TCP_ACK:
      case TCP_FIN:
        if (f !== -1) this.#destroyFlow(f);
        return;
      case TCP_ACK: {
        if (f === -1) return;
        if (flows.sendsyn[f] === 1 || flows.acked[f] === 0) {
          this.#destroyFlow(f);
          return;
        }
        if (toSrv) {
          if (flows.nextCliSeq[f] !== o.seq) return;
          flows.nextCliSeq[f] = (flows.nextCliSeq[f]! + o.payloadLen) >>> 0;
        } else {
          if (flows.nextSrvSeq[f] !== o.seq) return;
          flows.nextSrvSeq[f] = (flows.nextSrvSeq[f]! + o.payloadLen) >>> 0;
        }
        // p0f keeps a flow with data only while its HTTP module wants more; probewatch has no HTTP module, so the
        // handshake is over as far as it is concerned (docs/fingerprint.md: the one visible difference)
        if (o.payloadLen > 0) this.#destroyFlow(f);
        return;
      }
      default:
        return;
    }
  }

  /** fingerprint_tcp: match, emit, remember the SYN's MSS; returns false for tool signatures and sendsyn flows. */
  #fingerprint(toSrv: boolean, o: SynObservation, ps: PacketSig, f: number): boolean {
    const flows = this.#flows;
    if (toSrv && ps.win === SPECIAL_WIN && ps.mss === SPECIAL_MSS) flows.sendsyn[f] = 1;
    const sendsyn = flows.sendsyn[f] === 1;
    const synMss = flows.synMss[f]!;
    const cache = this.cache;
    const id = cache.get(ps, toSrv, synMss);
    const ev = this.#tcpEv;
    ev.mode = toSrv ? 'syn' : 'syn+ack';
    ev.sendsyn = sendsyn;
    ev.obs = o;
    ev.entryId = id;
    ev.cacheEpoch = cache.epoch;
    ev.synMss = synMss;
    if (toSrv) this.stats.syn++;
    else this.stats.synAck++;
    this.#sink.tcp(ev);
    if (ps.tcpType === TCP_SYN) flows.synMss[f] = ps.mss;
    if (cache.isTool(id)) return false;
    return !sendsyn;
  }

  /** fingerprint_mtu: only when the segment has an MSS and the flow is not p0f-sendsyn's. */
  #fingerprintMtu(toSrv: boolean, o: SynObservation, ps: PacketSig, f: number): void {
    if (ps.mss === 0 || this.#flows.sendsyn[f] === 1) return;
    const ev = this.#mtuEv;
    const tcp = this.#tcpEv;
    ev.mode = toSrv ? 'syn' : 'syn+ack';
    ev.obs = o;
    ev.entryId = tcp.entryId;
    ev.cacheEpoch = tcp.cacheEpoch;
    // the MTU depends only on the MSS and IP version, both part of the match cache key
    ev.mtu = ps.mss + (ps.ver === 4 ? 40 : 60);
    ev.link = this.cache.link(tcp.entryId, ev.mtu);
    this.#sink.mtu(ev);
  }

  #createFlow(o: SynObservation, cliKnown: number, srvKnown: number, now: number): number {
    // flow pruning never removes hosts, so the lookups made in process() still hold for the client
    if (this.#flows.size > this.#maxFlows) this.#nukeFlows();
    const hosts = this.#hosts;
    const before = hosts.destroyed;
    const fam = o.family;
    const a = this.#addr;
    const cli = this.#hostFor(fam, 0, cliKnown, false, now);
    const same = a[0] === a[4] && a[1] === a[5] && a[2] === a[6] && a[3] === a[7];
    // creating the client may have pruned a host (the server's record, if unused): look it up again then
    const srv = this.#hostFor(fam, 4, srvKnown, hosts.destroyed !== before || same, now);
    hosts.use(cli, 1);
    hosts.use(srv, 1);
    return this.#flows.create(cli, srv, o.sport, o.dport, now, o.seq === null ? NaN : (o.seq + 1) >>> 0);
  }

  /**
   * lookup_host + touch_host, or create_host (which may prune when over maxHosts), for the address at `at` in #addr.
   * `known` is the result of a lookup made before anything could have been pruned (-1: absent), so the table is only
   * searched again when pruning may have happened since.
   */
  #hostFor(fam: number, at: number, known: number, pruned: boolean, now: number): number {
    const hosts = this.#hosts;
    const a = this.#addr;
    const w0 = a[at]!, w1 = a[at + 1]!, w2 = a[at + 2]!, w3 = a[at + 3]!;
    const hash = this.#hash[at >> 2]!;
    // a pruned host id may already have been reused for another address: check it
    const h = !pruned ? known : hosts.is(known, fam, w0, w1, w2, w3) ? known : hosts.find(hash, fam, w0, w1, w2, w3);
    if (h !== -1) {
      hosts.touch(h, now);
      return h;
    }
    if (hosts.size > this.#maxHosts) this.#nukeHosts();
    return hosts.create(hash, fam, w0, w1, w2, w3, now);
  }

  #destroyFlow(f: number): void {
    if (this.#flows.live[f] === 1) this.#flows.destroy(f);
  }

  /** nuke_flows: drop the oldest 10% (+1) of the flows. */
  #nukeFlows(): void {
    const flows = this.#flows;
    let k = 1 + Math.floor((flows.size * 10) / 100);
    while (k-- > 0 && flows.oldest !== -1) {
      flows.destroy(flows.oldest);
      this.stats.flowsEvicted++;
    }
  }

  /** nuke_hosts: as p0f 3.09b does it — flows are pruned, then only the single oldest host is considered. */
  #nukeHosts(): void {
    this.#nukeFlows();
    const hosts = this.#hosts;
    const h = hosts.oldest;
    if (h !== -1 && hosts.useCount(h) === 0) {
      hosts.destroy(h);
      this.stats.hostsEvicted++;
    }
  }

  /** expire_cache: at most once per second of packet time, every 50th packet. */
  #expire(now: number): void {
    if (now === this.#lastExpire) return;
    this.#lastExpire = now;
    const flows = this.#flows;
    while (flows.oldest !== -1 && ((now - flows.created[flows.oldest]!) >>> 0) > this.#flowMaxAge) flows.destroy(flows.oldest);
    const hosts = this.#hosts;
    const idle = this.#hostIdle;
    let h = hosts.oldest;
    while (h !== -1 && ((now - hosts.lastSeen(h)) >>> 0) > idle) {
      const newer = hosts.newer(h);
      if (hosts.useCount(h) === 0) hosts.destroy(h);
      h = newer;
    }
  }
}

/** Reads an address as four words into `out` at `at` (IPv4: the address and three zeros). */
function readAddr(b: Uint8Array, off: number, fam: 4 | 6, out: Int32Array, at: number): void {
  out[at] = (b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!;
  if (fam === 4) {
    out[at + 1] = 0; out[at + 2] = 0; out[at + 3] = 0;
    return;
  }
  out[at + 1] = (b[off + 4]! << 24) | (b[off + 5]! << 16) | (b[off + 6]! << 8) | b[off + 7]!;
  out[at + 2] = (b[off + 8]! << 24) | (b[off + 9]! << 16) | (b[off + 10]! << 8) | b[off + 11]!;
  out[at + 3] = (b[off + 12]! << 24) | (b[off + 13]! << 16) | (b[off + 14]! << 8) | b[off + 15]!;
}
