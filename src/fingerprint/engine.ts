// The p0f engine: p0f's host and flow bookkeeping (process.c) around TCP and MTU fingerprinting, fed one segment at a time.
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../domain/observation.ts';
import type { SynObservation } from '../domain/observation.ts';
import type { SignatureDb } from './database.ts';
import { IntMap } from './int-map.ts';
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
  match: TcpMatch;
  /** The cache entry the match came from; sinks may memoise their rendering in `entry.ext`. */
  entry: MatchEntry;
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

interface Host {
  key: number | string;
  /** False once destroyed (the object may then be reused from the pool). */
  live: boolean;
  useCnt: number;
  lastSeen: number;
  /** By-age list (p0f's host_by_age), oldest to newest. */
  older: Host | null;
  newer: Host | null;
  /** Flows in which this host is the client (usually zero or one). */
  flows: Flow[];
}

interface Flow {
  /** By-creation list (p0f's flow_by_age). */
  older: Flow | null;
  newer: Flow | null;
  client: Host;
  server: Host;
  cliPort: number;
  srvPort: number;
  created: number;
  nextCliSeq: number;
  nextSrvSeq: number;
  acked: boolean;
  sendsyn: boolean;
  synMss: number;
  live: boolean;
}

const HEX = '0123456789abcdef';

/** Host key: IPv4 as a signed 32-bit integer (a V8 small integer), IPv6 as hex text; the two never collide. */
function hostKey(b: Uint8Array, off: number, family: 4 | 6): number | string {
  if (family === 4) return (b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!;
  let s = '';
  for (let i = off; i < off + 16; i++) s += HEX[b[i]! >> 4]! + HEX[b[i]! & 15]!;
  return s;
}

/** The flow with this client, server and ports, searched among the client's flows. */
function findFlow(client: Host | undefined, server: number | string, cliPort: number, srvPort: number): Flow | null {
  if (!client) return null;
  const fl = client.flows;
  for (let i = 0; i < fl.length; i++) {
    const f = fl[i]!;
    if (f.cliPort === cliPort && f.srvPort === srvPort && f.server.key === server) return f;
  }
  return null;
}

/**
 * Runs p0f's per-packet logic over a stream of segments. Pure: time comes from the segments. Memory is bounded by
 * the limits (p0f's own pruning) plus the match cache.
 */
export class P0fEngine {
  readonly stats: EngineStats = { packets: 0, syn: 0, synAck: 0, duplicateSyn: 0, straySynAck: 0, flowsEvicted: 0, hostsEvicted: 0 };
  readonly cache: MatchCache;
  readonly #db: SignatureDb;
  readonly #sink: EngineSink;
  readonly #limits: EngineLimits;
  readonly #hosts4 = new IntMap<Host>(1024);
  readonly #hosts6 = new Map<string, Host>();
  #flowCount = 0;
  // intrusive oldest→newest lists, as in p0f: a Map's insertion order would do, but V8 leaves deleted entries in place
  // until a rehash, so always removing from the front turns every "oldest" lookup into a scan over the holes
  #oldestHost: Host | null = null;
  #newestHost: Host | null = null;
  #oldestFlow: Flow | null = null;
  #newestFlow: Flow | null = null;
  #lastExpire = 0;
  /** Hosts destroyed so far (pruning or expiry): tells whether an earlier lookup may be stale. */
  #hostEvictions = 0;
  /** Destroyed flows and hosts, reused so a SYN flood does not allocate (and collect) objects per packet. */
  readonly #freeFlows: Flow[] = [];
  readonly #freeHosts: Host[] = [];
  readonly #ps = emptyPacketSig();
  readonly #tcpEv: TcpEvent;
  readonly #mtuEv: MtuEvent;

  constructor(db: SignatureDb, sink: EngineSink, limits: EngineLimits = P0F_LIMITS) {
    this.#db = db;
    this.#sink = sink;
    this.#limits = limits;
    this.cache = new MatchCache(db);
    this.#tcpEv = {
      mode: 'syn', sendsyn: false, obs: undefined as unknown as SynObservation, ps: this.#ps, match: { record: null, fuzzy: false, dist: 0 },
      entry: undefined as unknown as MatchEntry, synMss: 0,
    };
    this.#mtuEv = { mode: 'syn', obs: undefined as unknown as SynObservation, mtu: 0, link: null };
  }

  /** Flows currently tracked. */
  get flowCount(): number {
    return this.#flowCount;
  }

  /** Hosts currently tracked. */
  get hostCount(): number {
    return this.#hosts4.size + this.#hosts6.size;
  }

  #getHost(key: number | string): Host | undefined {
    return typeof key === 'number' ? this.#hosts4.get(key) : this.#hosts6.get(key);
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
    const srcKey = hostKey(o.buf, o.srcOff, o.family);
    const dstKey = hostKey(o.buf, o.dstOff, o.family);
    const srcHost = this.#getHost(srcKey);
    const dstHost = this.#getHost(dstKey);
    let toSrv = true;
    let f = findFlow(srcHost, dstKey, o.sport, o.dport);
    if (!f) {
      f = findFlow(dstHost, srcKey, o.dport, o.sport);
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
        const nf = this.#createFlow(o, srcKey, dstKey, srcHost, dstHost, now);
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
        // handshake is over as far as it is concerned (docs/fingerprint.md: the one visible difference)
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
    const entry = this.cache.get(ps, toSrv, f.synMss);
    const ev = this.#tcpEv;
    ev.mode = toSrv ? 'syn' : 'syn+ack';
    ev.sendsyn = f.sendsyn;
    ev.obs = o;
    ev.match = entry.match;
    ev.entry = entry;
    ev.synMss = f.synMss;
    if (toSrv) this.stats.syn++;
    else this.stats.synAck++;
    this.#sink.tcp(ev);
    if (ps.tcpType === TCP_SYN) f.synMss = ps.mss;
    if (entry.match.record?.tool) return false;
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

  #createFlow(o: SynObservation, cliKey: number | string, srvKey: number | string, cliHost: Host | undefined, srvHost: Host | undefined, now: number): Flow {
    // flow pruning never removes hosts, so the lookups made in process() still hold for the client
    if (this.#flowCount > this.#limits.maxFlows) this.#nukeFlows();
    const hostsBefore = this.#hostEvictions;
    const client = this.#hostFor(cliKey, cliHost, false, now);
    // creating the client may have pruned a host (the server's record, if unused): look it up again then
    const server = this.#hostFor(srvKey, srvHost, this.#hostEvictions !== hostsBefore || cliKey === srvKey, now);
    client.useCnt++;
    server.useCnt++;
    const seq = o.seq === null ? NaN : (o.seq + 1) >>> 0;
    let f = this.#freeFlows.pop();
    if (f) {
      f.older = this.#newestFlow; f.newer = null; f.client = client; f.server = server; f.cliPort = o.sport; f.srvPort = o.dport;
      f.created = now; f.nextCliSeq = seq; f.nextSrvSeq = 0; f.acked = false; f.sendsyn = false; f.synMss = 0; f.live = true;
    } else {
      f = {
        older: this.#newestFlow, newer: null, client, server, cliPort: o.sport, srvPort: o.dport, created: now,
        nextCliSeq: seq, nextSrvSeq: 0, acked: false, sendsyn: false, synMss: 0, live: true,
      };
    }
    if (this.#newestFlow) this.#newestFlow.newer = f;
    else this.#oldestFlow = f;
    this.#newestFlow = f;
    client.flows.push(f);
    this.#flowCount++;
    return f;
  }

  /**
   * lookup_host + touch_host, or create_host (which may prune when over maxHosts). `known` is the result of a lookup
   * made before anything could have been pruned (undefined: absent), so the table is only searched again when pruning
   * may have happened since.
   */
  #hostFor(key: number | string, known: Host | undefined, pruned: boolean, now: number): Host {
    // a pruned host may already have been reused from the pool for another address: check both
    const h = !pruned ? known : known?.live && known.key === key ? known : this.#getHost(key);
    if (h) {
      // touch_host: move to the newest end of the by-age list
      if (h !== this.#newestHost) {
        this.#unlinkHost(h);
        this.#appendHost(h);
      }
      h.lastSeen = now;
      return h;
    }
    if (this.#hosts4.size + this.#hosts6.size > this.#limits.maxHosts) this.#nukeHosts();
    let nh = this.#freeHosts.pop();
    if (nh) {
      nh.key = key; nh.live = true; nh.useCnt = 0; nh.lastSeen = now;
    } else {
      nh = { key, live: true, useCnt: 0, lastSeen: now, older: null, newer: null, flows: [] };
    }
    this.#appendHost(nh);
    if (typeof key === 'number') this.#hosts4.set(key, nh);
    else this.#hosts6.set(key, nh);
    return nh;
  }

  #appendHost(h: Host): void {
    h.older = this.#newestHost;
    h.newer = null;
    if (this.#newestHost) this.#newestHost.newer = h;
    else this.#oldestHost = h;
    this.#newestHost = h;
  }

  #unlinkHost(h: Host): void {
    if (h.newer) h.newer.older = h.older;
    else this.#newestHost = h.older;
    if (h.older) h.older.newer = h.newer;
    else this.#oldestHost = h.newer;
    h.older = h.newer = null;
  }

  #destroyHost(h: Host): void {
    this.#hostEvictions++;
    this.#unlinkHost(h);
    if (typeof h.key === 'number') this.#hosts4.delete(h.key);
    else this.#hosts6.delete(h.key);
    h.live = false;
    // a host is destroyed only when no flow uses it, so its flow list is empty and the object can be reused
    if (this.#freeHosts.length < 4096) this.#freeHosts.push(h);
  }

  #destroyFlow(f: Flow): void {
    if (!f.live) return;
    f.live = false;
    if (f.newer) f.newer.older = f.older;
    else this.#newestFlow = f.older;
    if (f.older) f.older.newer = f.newer;
    else this.#oldestFlow = f.newer;
    const fl = f.client.flows;
    const i = fl.indexOf(f);
    if (i !== -1) {
      fl[i] = fl[fl.length - 1]!;
      fl.pop();
    }
    f.client.useCnt--;
    f.server.useCnt--;
    this.#flowCount--;
    f.older = f.newer = null;
    if (this.#freeFlows.length < 4096) this.#freeFlows.push(f);
  }

  /** nuke_flows: drop the oldest 10% (+1) of the flows. */
  #nukeFlows(): void {
    let k = 1 + Math.floor((this.#flowCount * 10) / 100);
    while (k-- > 0 && this.#oldestFlow) {
      this.#destroyFlow(this.#oldestFlow);
      this.stats.flowsEvicted++;
    }
  }

  /** nuke_hosts: as p0f 3.09b does it — flows are pruned, then only the single oldest host is considered. */
  #nukeHosts(): void {
    this.#nukeFlows();
    const h = this.#oldestHost;
    if (h && h.useCnt === 0) {
      this.#destroyHost(h);
      this.stats.hostsEvicted++;
    }
  }

  /** expire_cache: at most once per second of packet time, every 50th packet. */
  #expire(now: number): void {
    if (now === this.#lastExpire) return;
    this.#lastExpire = now;
    while (this.#oldestFlow && ((now - this.#oldestFlow.created) >>> 0) > this.#limits.flowMaxAge) this.#destroyFlow(this.#oldestFlow);
    const idle = this.#limits.hostIdleMinutes * 60;
    let h = this.#oldestHost;
    while (h && ((now - h.lastSeen) >>> 0) > idle) {
      const newer: Host | null = h.newer;
      if (h.useCnt === 0) this.#destroyHost(h);
      h = newer;
    }
  }
}
