// The p0f engine: p0f's host and flow bookkeeping (process.c) around TCP and MTU fingerprinting, fed one segment at a time.
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../domain/observation.ts';
import type { SynObservation } from '../domain/observation.ts';
import type { SignatureDb } from './database.ts';
import { emptyPacketSig, sillyFlags, toPacketSig } from './packet-sig.ts';
import type { PacketSig } from './packet-sig.ts';
import { SPECIAL_MSS, SPECIAL_WIN } from './raw-sig.ts';
import { findMatch } from './tcp-match.ts';
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
  /** The match. */
  match: TcpMatch;
  /** MSS of the flow's SYN (0 on SYNs): p0f also tries it as a window divisor on SYN+ACKs. */
  synMss: number;
}

/** An MTU observation (p0f's mod=mtu). Reused like TcpEvent. */
export interface MtuEvent {
  mode: 'syn' | 'syn+ack';
  obs: SynObservation;
  /** MSS + 40 (IPv4) or + 60 (IPv6). */
  mtu: number;
  /** Link name from [mtu], or null. */
  link: string | null;
}

/** Receives the engine's output, in packet order. */
export interface EngineSink {
  tcp(ev: TcpEvent): void;
  mtu(ev: MtuEvent): void;
}

/** Engine counters. */
export interface EngineStats {
  /** Segments fed (p0f's packet_cnt). */
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

interface Host {
  useCnt: number;
  lastSeen: number;
}

interface Flow {
  key: string;
  client: Host;
  server: Host;
  clientKey: number | string;
  serverKey: number | string;
  created: number;
  nextCliSeq: number;
  nextSrvSeq: number;
  acked: boolean;
  sendsyn: boolean;
  synMss: number;
}

const HEX = '0123456789abcdef';

/** Host key: the IPv4 address as a number, IPv6 as hex text (the two never collide). */
function hostKey(b: Uint8Array): number | string {
  if (b.length === 4) return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  let s = '';
  for (let i = 0; i < 16; i++) s += HEX[b[i]! >> 4]! + HEX[b[i]! & 15]!;
  return s;
}

/** Runs p0f's per-packet logic over a stream of segments. Pure: time comes from the segments. */
export class P0fEngine {
  readonly stats: EngineStats = { packets: 0, syn: 0, synAck: 0, duplicateSyn: 0, straySynAck: 0, flowsEvicted: 0, hostsEvicted: 0 };
  readonly #db: SignatureDb;
  readonly #sink: EngineSink;
  readonly #limits: EngineLimits;
  readonly #hosts = new Map<number | string, Host>();
  /** Flows in creation order (p0f's flow_by_age). */
  readonly #flows = new Map<string, Flow>();
  #lastExpire = 0;
  readonly #ps = emptyPacketSig();
  readonly #tcpEv: TcpEvent;
  readonly #mtuEv: MtuEvent;

  constructor(db: SignatureDb, sink: EngineSink, limits: EngineLimits = P0F_LIMITS) {
    this.#db = db;
    this.#sink = sink;
    this.#limits = limits;
    this.#tcpEv = { mode: 'syn', sendsyn: false, obs: undefined as unknown as SynObservation, ps: this.#ps, match: { record: null, fuzzy: false, dist: 0 }, synMss: 0 };
    this.#mtuEv = { mode: 'syn', obs: undefined as unknown as SynObservation, mtu: 0, link: null };
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
    if (++this.stats.packets % 50 === 0) this.#expire(Math.floor(timeMs / 1000));
  }

  /**
   * Feeds one TCP segment (any flags; the decoder has already dropped what p0f drops at the IP level). `counted` is
   * false for segments p0f's own filter would not have seen (IPv6 behind extension headers), so expiry stays in step.
   */
  process(o: SynObservation, counted = true): void {
    const st = this.stats;
    const now = Math.floor(o.time / 1000);
    if (counted && ++st.packets % 50 === 0) this.#expire(now);
    const flags = o.flags;
    if (sillyFlags(flags)) return;
    const type = flags & (TCP_SYN | TCP_ACK | TCP_FIN | TCP_RST);

    // lookup_flow: the same 4-tuple in either direction
    const srcKey = hostKey(o.src);
    const dstKey = hostKey(o.dst);
    let toSrv = true;
    let f = this.#flows.get(`${srcKey}|${dstKey}|${o.sport}|${o.dport}`);
    if (!f) {
      f = this.#flows.get(`${dstKey}|${srcKey}|${o.dport}|${o.sport}`);
      toSrv = false;
    }

    switch (type) {
      case TCP_SYN: {
        if (f) {
          if (toSrv && o.seq !== null && ((f.nextCliSeq - 1) >>> 0) === o.seq) {
            st.duplicateSyn++;
            return;
          }
          this.#destroyFlow(f);
        }
        const nf = this.#createFlow(o, srcKey, dstKey, now);
        const ps = toPacketSig(o, this.#ps);
        const os = this.#fingerprint(true, o, ps, nf);
        if (!os && !nf.sendsyn) {
          this.#destroyFlow(nf);
          return;
        }
        this.#fingerprintMtu(true, o, ps, nf);
        return;
      }
      case TCP_SYN | TCP_ACK: {
        if (!f) {
          st.straySynAck++;
          return;
        }
        if (f.sendsyn) {
          this.#fingerprint(false, o, toPacketSig(o, this.#ps), f);
          this.#destroyFlow(f);
          return;
        }
        if (toSrv || f.acked) return;
        f.acked = true;
        const ps = toPacketSig(o, this.#ps);
        if (!this.#fingerprint(false, o, ps, f)) {
          this.#destroyFlow(f);
          return;
        }
        this.#fingerprintMtu(false, o, ps, f);
        f.nextSrvSeq = o.seq === null ? NaN : (o.seq + 1) >>> 0;
        return;
      }
      case TCP_RST | TCP_ACK:
      case TCP_RST:
      case TCP_FIN | TCP_ACK:
      case TCP_FIN:
        if (f) this.#destroyFlow(f);
        return;
      case TCP_ACK: {
        if (!f) return;
        if (f.sendsyn || !f.acked) {
          this.#destroyFlow(f);
          return;
        }
        if (toSrv) {
          if (f.nextCliSeq !== o.seq) return;
          f.nextCliSeq = (f.nextCliSeq + o.payloadLen) >>> 0;
        } else {
          if (f.nextSrvSeq !== o.seq) return;
          f.nextSrvSeq = (f.nextSrvSeq + o.payloadLen) >>> 0;
        }
        // p0f keeps a flow with data only while its HTTP module wants more; probewatch has no HTTP module, so the
        // handshake is over as far as it is concerned (see docs/fingerprint.md for the one visible difference)
        if (o.payloadLen > 0) this.#destroyFlow(f);
        return;
      }
      default:
        return;
    }
  }

  /** fingerprint_tcp: match, emit, remember the SYN's MSS; returns false for tool signatures and sendsyn flows. */
  #fingerprint(toSrv: boolean, o: SynObservation, ps: PacketSig, f: Flow): boolean {
    if (toSrv && ps.win === SPECIAL_WIN && ps.mss === SPECIAL_MSS) f.sendsyn = true;
    const m = findMatch(this.#db.group(toSrv, ps.layoutKey), ps, f.synMss);
    const ev = this.#tcpEv;
    ev.mode = toSrv ? 'syn' : 'syn+ack';
    ev.sendsyn = f.sendsyn;
    ev.obs = o;
    ev.match = m;
    ev.synMss = f.synMss;
    if (toSrv) this.stats.syn++;
    else this.stats.synAck++;
    this.#sink.tcp(ev);
    if (ps.tcpType === TCP_SYN) f.synMss = ps.mss;
    if (m.record?.tool) return false;
    return !f.sendsyn;
  }

  /** fingerprint_mtu: only when the segment has an MSS and the flow is not p0f-sendsyn's. */
  #fingerprintMtu(toSrv: boolean, o: SynObservation, ps: PacketSig, f: Flow): void {
    if (ps.mss === 0 || f.sendsyn) return;
    const ev = this.#mtuEv;
    ev.mode = toSrv ? 'syn' : 'syn+ack';
    ev.obs = o;
    ev.mtu = ps.mss + (ps.ver === 4 ? 40 : 60);
    ev.link = this.#db.link(ev.mtu);
    this.#sink.mtu(ev);
  }

  #createFlow(o: SynObservation, cliKey: number | string, srvKey: number | string, now: number): Flow {
    if (this.#flows.size > this.#limits.maxFlows) this.#nukeFlows();
    const client = this.#hostFor(cliKey, now);
    const server = this.#hostFor(srvKey, now);
    client.useCnt++;
    server.useCnt++;
    const key = `${cliKey}|${srvKey}|${o.sport}|${o.dport}`;
    const f: Flow = {
      key, client, server, clientKey: cliKey, serverKey: srvKey, created: now,
      nextCliSeq: o.seq === null ? NaN : (o.seq + 1) >>> 0, nextSrvSeq: 0, acked: false, sendsyn: false, synMss: 0,
    };
    this.#flows.set(key, f);
    return f;
  }

  /** lookup_host + touch_host, or create_host (which may prune when over maxHosts). */
  #hostFor(key: number | string, now: number): Host {
    const h = this.#hosts.get(key);
    if (h) {
      // touch: move to the newest end of the by-age order
      this.#hosts.delete(key);
      this.#hosts.set(key, h);
      h.lastSeen = now;
      return h;
    }
    if (this.#hosts.size > this.#limits.maxHosts) this.#nukeHosts();
    const nh: Host = { useCnt: 0, lastSeen: now };
    this.#hosts.set(key, nh);
    return nh;
  }

  #destroyFlow(f: Flow): void {
    if (!this.#flows.delete(f.key)) return;
    f.client.useCnt--;
    f.server.useCnt--;
  }

  /** nuke_flows: drop the oldest 10% (+1) of the flows. */
  #nukeFlows(): void {
    let k = 1 + Math.floor((this.#flows.size * 10) / 100);
    for (const f of this.#flows.values()) {
      if (k-- <= 0) break;
      this.#destroyFlow(f);
      this.stats.flowsEvicted++;
    }
  }

  /** nuke_hosts: as p0f 3.09b does it — flows are pruned, then only the single oldest host is considered. */
  #nukeHosts(): void {
    this.#nukeFlows();
    for (const [key, h] of this.#hosts) {
      if (h.useCnt === 0) {
        this.#hosts.delete(key);
        this.stats.hostsEvicted++;
      }
      break;
    }
  }

  /** expire_cache: at most once per second of packet time, every 50th packet. */
  #expire(now: number): void {
    if (now === this.#lastExpire) return;
    this.#lastExpire = now;
    for (const f of this.#flows.values()) {
      if (((now - f.created) >>> 0) <= this.#limits.flowMaxAge) break;
      this.#destroyFlow(f);
    }
    const idle = this.#limits.hostIdleMinutes * 60;
    for (const [key, h] of this.#hosts) {
      if (((now - h.lastSeen) >>> 0) <= idle) break;
      if (h.useCnt === 0) this.#hosts.delete(key);
    }
  }
}
