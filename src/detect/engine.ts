// The detector: psad's check_scan per packet and its interval processing (danger levels, labels, timeouts), driven by
// event time only. Pure: state lives in the scan table of a SourceDirectory the caller provides.
import { parseIp } from '../domain/address.ts';
import type { ParsedIp } from '../domain/address.ts';
import { FLAG_TEXTS, TcpFlag } from '../domain/events.ts';
import type { PacketEvent } from '../domain/events.ts';
import { MARK_MASSCAN, MARK_MIRAI, MARK_TOPERA } from '../domain/scan-state.ts';
import type { DangerChange, SourceDirectory } from '../domain/scan-state.ts';
import {
  P_BITS, P_DST, P_INTERVAL, P_SRC, PB_LIVE, PF_FIRST, PF_LAST, PF_START, PREFETCH_MAX, PROTO_ICMP, PROTO_ICMP6, PROTO_TCP, PROTO_UDP, PROTO_UDPLITE, PW,
  S_CURSID, S_CURSIG, S_DL, S_FLAGS, S_IHEAD, S_INTERVAL, SB_DIRTY, SB_TCPOPTS, SF_FIRST, SF_LAST, SW,
} from '../domain/scan-table.ts';
import type { ScanTable } from '../domain/scan-table.ts';
import { assignDanger, raise } from './danger.ts';
import { checkIcmp } from './data/icmp-types.ts';
import { labelPair } from './labels.ts';
import { countPacket, icmpInvalid, sigHit } from './pair-counts.ts';
import type { Packet } from './pair-counts.ts';
import type { DetectRules } from './rules.ts';
import { newSigPacket } from './signatures/match.ts';
import type { SigMatch, SigPacket } from './signatures/match.ts';
import { Totals } from './totals.ts';
import type { Outcome } from './totals.ts';

/**
 * 'single': the whole input is one check interval without timeouts (psad -A). 'timed': CHECK_INTERVAL intervals by event
 * time with SCAN_TIMEOUT expiry (the psad daemon; also probewatch's own analyze, so analyze and follow agree).
 */
export type IntervalMode = 'single' | 'timed';

/** Engine state that outlives a process (saved by `follow` with its offsets). */
export interface EngineMeta {
  /** Current interval id (floor(event ms / interval ms) in timed mode). */
  interval: number;
  /** psad's global "a TCP options field was seen" bit (Masscan test, compatibility mode). */
  foundTcpOptions: boolean;
  /** Live (source, destination) windows, for MAX_SCAN_IP_PAIRS. */
  pairCount: number;
  /** Latest event time seen. */
  lastTime: number;
}

/** Danger-level changes of one closed interval. */
export interface IntervalResult {
  /** Interval id. */
  interval: number;
  /** Every change, in order, with the source (empty for a detector made with `changes: false`). */
  changes: { ip: string; change: DangerChange }[];
  /** Windows that timed out after the interval. */
  expired: number;
}

const SIG_BUF: SigMatch[] = [];

/** psad's protocol name for an event ("tcp", "udp", "udplite", "icmp", "icmp6" or the number). */
export function psadProto(ev: PacketEvent): string {
  switch (ev.proto) {
    case 6: return 'tcp';
    case 17: return 'udp';
    case 136: return 'udplite';
    case 1: return ev.family === 4 ? 'icmp' : '1';
    case 58: return ev.family === 6 ? 'icmp6' : '58';
    default: return String(ev.proto);
  }
}

/** The PROTO_* bit of psad's protocol name for an event (0 for the numbered ones). */
function psadProtoBit(ev: PacketEvent): number {
  switch (ev.proto) {
    case 6: return PROTO_TCP;
    case 17: return PROTO_UDP;
    case 136: return PROTO_UDPLITE;
    case 1: return ev.family === 4 ? PROTO_ICMP : 0;
    case 58: return ev.family === 6 ? PROTO_ICMP6 : 0;
    default: return 0;
  }
}

/**
 * psad's Mirai test for a SYN to tcp/23 or tcp/2323 from source `s`: a SYN to tcp/23 adds one to %mirai_scan{src}
 * {dst}{23} (false); a SYN to tcp/2323 completes the pattern when ten or more came before (true).
 *
 * One module function with one call in ingest's counting path, for V8. Such SYNs are rare, and a branch of ingest
 * first taken after ingest was optimized (the benchmark log's first SYN to tcp/23 from a known source is its 3,405th
 * line, the first to tcp/2323 its 564,048th) threw the optimized code away at the first operation that had never run,
 * and ingest then ran unoptimized for up to ~0.1 s before it was compiled again: twice a run, ~3 % of analyze's CPU
 * time. The one call runs early (a new source's first SYN to tcp/23 comes through it too), and what it does inside is
 * its own code's business.
 */
function miraiSyn(t: ScanTable, s: number, ev: PacketEvent, dp: number): boolean {
  const dst = ev.dst;
  if (dp === 23) {
    const m = (t.mirai[s] ??= new Map<string, number>());
    m.set(dst, (m.get(dst) ?? 0) + 1);
    return false;
  }
  return (t.mirai[s]?.get(dst) ?? 0) >= 10;
}


/** The detector. Feed events in order with `ingest`; `closeInterval` (timed) or `finish` assign danger levels. */
export class Detector {
  readonly rules: DetectRules;
  readonly totals = new Totals();
  readonly #dir: SourceDirectory;
  readonly #t: ScanTable;
  readonly #mode: IntervalMode;
  readonly #ciMs: number;
  #meta: EngineMeta;
  /**
   * Pair ids that may time out, by expiry bucket; only in timed mode without persistence, while the directory keeps
   * no store. Each live window has one entry (its ScanTable.pexp), in a bucket no later than its due one: a window that got
   * packets since it was scheduled is moved to its due bucket when its entry comes up, instead of being moved with
   * every packet. Ids are only good while the directory's generation stays the same: when it changes, the schedule
   * is dropped, the directory checks every window once and the live ones are scheduled again.
   */
  readonly #schedule = new Map<number, number[]>();
  /**
   * The packet's time for the raises ingest() makes now and then (auto_dl, invalid ICMP), read from here where each is
   * made. The time in ms is no small integer: passed to a call V8 does not inline it is boxed in a fresh heap number,
   * and one value shared by every such call was boxed for every packet, raise or not (12 MB on the benchmark log).
   */
  readonly #time = new Float64Array(1);
  /** A number made of what prefetch() read: kept (public, so no compiler can prove it unread) so that its reads are made. */
  prefetched = 0;
  #scheduleGen = -1;
  /**
   * Width of an expiry bucket: CHECK_INTERVAL. Timeout runs happen at whole check intervals, so with a window filed
   * under the last bucket it is not yet due in (#bucketOf) every bucket before the run's is wholly due: each entry is
   * looked at once, when its window is due or has moved on.
   */
  readonly #bucketMs: number;
  /** No bucket below this holds entries. */
  #minBucket = Number.POSITIVE_INFINITY;
  /** Sources whose level changed during packets of the open interval (auto_dl, invalid ICMP). */
  #pending: { ip: string; change: DangerChange }[] = [];
  /** What the per-pair counting needs of the packet, reused. */
  readonly #pk: Packet = {
    time: 0, proto: '', pbit: 0, dp: 0, isTcp: false, fText: '', flagId: 0, chain: 0, prefix: 0, host: -1, hostText: '', marks: 0,
    compat: false, interval: 0, track: false,
  };

  /** Whether interval results list the changes (the sources' histories record them either way). */
  readonly #changes: boolean;

  /**
   * `opts.changes: false` leaves IntervalResult.changes empty, for a caller that reads the histories instead (analyze:
   * a list of ~80,000 changes at the end of the benchmark log, made only to be dropped, cost its young-generation
   * collections the copying).
   */
  constructor(rules: DetectRules, dir: SourceDirectory, mode: IntervalMode, meta?: EngineMeta, opts: { changes?: boolean } = {}) {
    this.#changes = opts.changes ?? true;
    this.rules = rules;
    this.#dir = dir;
    this.#t = dir.table;
    this.#mode = mode;
    this.#ciMs = Math.max(1, rules.opts.checkInterval) * 1000;
    this.#bucketMs = this.#ciMs;
    this.#meta = meta ? { ...meta } : { interval: mode === 'single' ? 0 : -1, foundTcpOptions: false, pairCount: 0, lastTime: 0 };
  }

  /** Engine state to persist beside the store's state. */
  get meta(): EngineMeta {
    return { ...this.#meta };
  }

  /** The open interval id (-1 before the first event in timed mode). */
  get interval(): number {
    return this.#meta.interval;
  }

  /** Reads ahead what ingesting packets from the IPv4 sources src[0..n) to dst[0..n) will read (ScanTable.prefetch). */
  prefetch(src: Int32Array, dst: Int32Array, n: number): void {
    this.prefetched ^= this.#t.prefetch(src, dst, n);
  }

  /**
   * Processes one packet. `line` is the raw log line, needed only for FW_MSG_SEARCH (FW_SEARCH_ALL N); without it the
   * patterns are matched against the log prefix. In timed mode a packet of a later interval first closes the open one
   * (its result is returned through `onInterval`). The event is not kept.
   */
  ingest(ev: PacketEvent, line?: string, onInterval?: (r: IntervalResult) => void): Outcome {
    const r = this.rules;
    const o = r.opts;
    const compat = o.compat;
    const t = this.totals;
    t.events++;
    if (this.#mode === 'timed') {
      const id = Math.floor(ev.time / this.#ciMs);
      if (id > this.#meta.interval) {
        const res = this.#advance(id);
        if (res && onInterval) onInterval(res);
      }
    }
    if (ev.time > this.#meta.lastTime) this.#meta.lastTime = ev.time;

    // ---- psad's parse_NF_pkt_str filters, in its order
    const prefix = ev.prefix;
    // the parser hands out the same string while the prefix repeats (nearly always): its tests run once per change
    if (prefix !== this.#pfx) this.#newPrefix(prefix);
    const hasPrefix = this.#pfxHas;
    if (hasPrefix) {
      if (this.#pfxIgnored) return this.#skip('log-prefix', ev);
      t.prefix(prefix);
    }
    const intf = ev.chain === 'OUTPUT' ? ev.outIf : ev.inIf;
    if (compat && intf === '') return this.#skip('psad-no-interface', ev);
    if (r.ignoreInterfaces.size > 0 && r.ignoreInterfaces.has(intf)) return this.#skip('interface', ev);
    const sid = this.#pfxSid;
    if (r.fwSearch && sid === 0) {
      const text = line ?? prefix;
      if (!anyMatches(r.fwSearch, text)) return this.#skip('fw-search', ev);
    }
    if (ev.family === 6 && !o.enableIpv6Detection) return this.#skip('ipv6-disabled', ev);
    const proto = psadProto(ev);
    if (r.ignoreProtocols.size > 0 && (r.ignoreProtocols.has(proto) || r.ignoreProtocols.has(String(ev.proto)) && !compat)) {
      return this.#skip('protocol', ev);
    }
    const dp = ev.dport ?? (proto === 'icmp' || proto === 'icmp6' ? 0 : -1);
    const sp = ev.sport ?? (proto === 'icmp' || proto === 'icmp6' ? 0 : -1);
    let flags = 0;
    let fText = '';
    let masscan = false;
    const isTcp = proto === 'tcp';
    if (isTcp) {
      flags = ev.flags ?? 0;
      if (sid === 0 && o.ignoreConntrackBugPkts && (flags & (TcpFlag.ACK | TcpFlag.RST)) !== 0) return this.#skip('conntrack', ev);
      // psad requires one of ACK SYN RST URG PSH FIN, or none at all ("NULL")
      if (compat && flags !== 0 && (flags & 0x3f) === 0) return this.#skip('psad-tcp-flags', ev);
      // internalized, as the signatures' flag strings are: psad compares them as text for every candidate (see interned)
      fText = FLAG_TEXTS[flags & 0xff]!;
      if (ev.tcpOptions && o.expectTcpOptions) this.#meta.foundTcpOptions = true;
      if (compat) masscan = fText === 'SYN' && this.#meta.foundTcpOptions && !ev.tcpOptions;
      if (r.ignorePorts.size > 0 && r.ignorePorts.get('tcp')?.has(dp)) return this.#skip('port', ev);
    } else if (proto === 'udp' || proto === 'udplite') {
      if (r.ignorePorts.size > 0 && r.ignorePorts.get(proto)?.has(dp)) return this.#skip('port', ev);
    } else if (proto === 'icmp' && compat && (ev.icmpType === 8 || ev.icmpType === 0) && (ev.icmpId === undefined || ev.icmpSeq === undefined)) {
      return this.#skip('psad-icmp-echo-fields', ev);
    }

    // ---- psad's check_scan
    // IPv4 addresses go by number: their text is only read for a new source or destination (or Mirai's counters). The
    // numbers go as signed 32 bits (`| 0`): an unsigned one of 2^31 or more is boxed when passed to a call that is not
    // inlined (find is not): 14 MB of heap numbers on the benchmark log
    const tb = this.#t;
    const sv4 = ev.srcV4 ?? -1;
    const dv4 = ev.dstV4 ?? -1;
    let s = this.#dir.find(sv4 >= 0 ? '' : ev.src, sv4 | 0);
    const isNew = s < 0;
    const d = tb.dstId(dv4 >= 0 ? '' : ev.dst, dv4 | 0);
    if (o.maxScanIpPairs > 0 && this.#meta.pairCount >= o.maxScanIpPairs) {
      const p = isNew ? -1 : tb.findPair(s, d);
      if (p < 0 || (tb.pi[p * PW + P_BITS]! & PB_LIVE) === 0) return this.#skip('max-pairs', ev);
    }
    const interval = this.#meta.interval;
    if (!isNew) {
      const so = s * SW;
      const si = tb.si;
      if (si[so + S_INTERVAL] !== interval) {
        si[so + S_INTERVAL] = interval;
        si[so + S_CURSIG] = 0;
        si[so + S_CURSID] = 0;
        si[so + S_IHEAD] = -1;
        this.#dir.touch(s);
        si[so + S_FLAGS]! |= SB_DIRTY;
      }
    }
    // Mirai (psad:1050): ten SYNs to tcp/23 then one to tcp/2323, same source and destination. psad counts the SYN to
    // tcp/23 of a known source before anything below can skip the packet; the count is taken once, further down (see
    // miraiSyn), and by the skips below when they skip such a packet.
    const syn = isTcp && (flags & TcpFlag.SYN) !== 0;
    const miraiPort = syn && (dp === 23 || dp === 2323);
    let auto = -1;
    if (r.autoDl.size > 0) {
      const src = ev.src;
      const ip: ParsedIp = parseIp(src) ?? { family: ev.family, text: src, bytes: new Uint8Array(ev.family === 4 ? 4 : 16) };
      auto = r.autoDl.lookup(ip, proto, dp, isNew ? 0 : tb.si[s * SW + S_DL]!);
    }
    if (auto === 0) {
      if (miraiPort && !isNew) miraiSyn(tb, s, ev, dp);
      return this.#skip('auto-dl', ev);
    }

    // signatures (psad:1206-1240): a fwsnort SID in the prefix, else psad's own signatures
    let sigDl = 0;
    let sidDl = 0;
    const matches: SigMatch[] = SIG_BUF;
    let nm = 0;
    let fwRule: { msg: string; proto: string } | undefined;
    if (sid !== 0) {
      fwRule = r.fwsnort.get(sid);
      if (fwRule || !compat) {
        sidDl = r.signatures.levelOf(sid, 2);
        if (sidDl === 0) {
          if (miraiPort && !isNew) miraiSyn(tb, s, ev, dp);
          return this.#skip('signature-dl0', ev);
        }
      }
    } else if (r.signatures.size > 0) {
      const pkt = this.#sigPacket(ev, proto, sp, dp, flags, fText, intf);
      nm = r.signatures.match(pkt, matches);
      for (let i = 0; i < nm; i++) if (matches[i]!.dl > sigDl) sigDl = matches[i]!.dl;
      if (nm > 0 && sigDl === 0) {
        if (miraiPort && !isNew) miraiSyn(tb, s, ev, dp);
        return this.#skip('signature-dl0', ev);
      }
      if (nm > 0) {
        // keep the matches that assign a level, in place (the buffer is reused)
        let j = 0;
        for (let i = 0; i < nm; i++) if (matches[i]!.dl > 0) matches[j++] = matches[i]!;
        nm = j;
      }
    }

    // ---- the packet counts
    const time = ev.time;
    this.#time[0] = time;
    if (isNew) {
      // not addSource(…, time, …), nor time to any call below that V8 may not inline: see ScanTable.newSource
      s = tb.newSource(ev.src, ev.family, sv4);
      tb.sf[(s * SW) / 2 + SF_FIRST] = time;
      tb.sf[(s * SW) / 2 + SF_LAST] = time;
      const so = s * SW;
      tb.si[so + S_INTERVAL] = interval;
      tb.si[so + S_FLAGS]! |= SB_DIRTY;
      this.#dir.added(s);
      this.#dir.touch(s);
      t.sources++;
    }
    // one call for both ports, known and new sources alike: see miraiSyn
    const mirai = miraiPort && miraiSyn(tb, s, ev, dp);
    t.counted++;
    tb.si[s * SW + S_FLAGS]! |= SB_DIRTY;
    if (auto > 0) this.#note(s, raise(tb, s, auto, 'auto_dl', this.#time[0]));
    const track = this.#dir.tracksChanges;
    let p = tb.findPair(s, d);
    if (p < 0) {
      p = tb.newPair(s, d);
      // the times written here, not by a call (see ScanTable.newSource)
      const o = (p * PW) / 2;
      tb.pf[o + PF_START] = time;
      tb.pf[o + PF_LAST] = time;
      tb.pf[o + PF_FIRST] = time;
    }
    const po = p * PW;
    const bits = tb.pi[po + P_BITS]!;
    if ((bits & PB_LIVE) === 0) {
      tb.pi[po + P_BITS] = bits | PB_LIVE;
      tb.pf[po / 2 + PF_START] = time;
      tb.slive[s]!++;
      this.#meta.pairCount++;
    }
    if (time > tb.pf[po / 2 + PF_LAST]!) tb.pf[po / 2 + PF_LAST] = time;
    if (this.#mode === 'timed' && !o.persistence && !track) {
      // schedule the pair's timeout check (psad times pairs out from their first packet, own mode from the last); a
      // store-backed directory expires by query instead, so a flood of evicted sources leaves no schedule behind
      if (tb.pexp[p]! < 0) {
        if (this.#scheduleGen !== this.#dir.generation) this.#dropSchedule();
        // #bucketOf written out: a time passed to a call V8 may not inline is boxed (see ScanTable.newSource)
        this.#schedulePair(p, Math.floor((tb.pf[po / 2 + (compat ? PF_START : PF_LAST)]! + o.scanTimeout * 1000 - 1) / this.#bucketMs));
      }
    }
    if (track) (tb.marksOf(s).pairs ??= new Set()).add(tb.dsts.text[d]!);
    // invalid ICMP type/code (psad:1131-1204) files the packet under the pair's icmp slot and raises the source to 2
    if (proto === 'icmp' || proto === 'icmp6') {
      const check = checkIcmp(proto === 'icmp' ? r.icmp : r.icmp6, ev.icmpType ?? -1, ev.icmpCode ?? -1);
      if (check !== 'ok') {
        icmpInvalid(tb, p, `${proto}\t${ev.icmpType ?? -1}\t${check === 'bad-code' ? String(ev.icmpCode ?? -1) : ''}\t${ev.chain}`, proto);
        this.#note(s, raise(tb, s, 2, 'icmp', this.#time[0]));
      }
    }
    if (sid !== 0 && sidDl > 0) {
      sigHit(tb, s, p, ev, proto, sid, fwRule?.msg ?? `fwsnort SID ${sid}`, fwRule?.proto ?? proto, sidDl, true, dp, flags & 0xff, this.totals, track);
      const so = s * SW + S_CURSID;
      tb.si[so] = compat ? sidDl : Math.max(tb.si[so]!, sidDl);
    }
    for (let i = 0; i < nm; i++) {
      const m = matches[i]!;
      const slot = m.proto === 'ip' ? 'ip' : m.proto;
      sigHit(tb, s, p, ev, slot, m.sid, m.msg, m.proto, m.dl, false, dp, flags & 0xff, this.totals, track);
    }
    // QUIRK (psad:1231): psad keeps the level of the last matching packet of the interval, not the highest
    if (sigDl > 0) {
      const so = s * SW + S_CURSIG;
      tb.si[so] = compat ? sigDl : Math.max(tb.si[so]!, sigDl);
    }

    // counters (psad:1260-1376)
    const topera = isTcp && ev.family === 6 && ev.ipOptGroups >= 7;
    const sawOpts = (tb.si[s * SW + S_FLAGS]! & SB_TCPOPTS) !== 0;
    if (!compat) masscan = isTcp && o.expectTcpOptions && fText === 'SYN' && sawOpts && !ev.tcpOptions;
    if (isTcp && ev.tcpOptions) tb.si[s * SW + S_FLAGS]! |= SB_TCPOPTS;
    const pk = this.#pk;
    pk.time = time;
    const pbit = psadProtoBit(ev);
    pk.proto = proto;
    pk.pbit = pbit;
    pk.dp = dp;
    pk.isTcp = isTcp;
    pk.fText = fText;
    pk.flagId = flags & 0xff;
    pk.chain = this.#chainId(ev.chain, intf, proto, pbit);
    pk.prefix = this.#prefixId(hasPrefix ? prefix : '*noprfx*');
    const host = ev.host;
    pk.host = host ? this.#hostId(host) : -1;
    pk.hostText = host;
    pk.marks = (topera ? MARK_TOPERA : 0) | (masscan ? MARK_MASSCAN : 0) | (mirai ? MARK_MIRAI : 0);
    pk.compat = compat;
    pk.interval = interval;
    pk.track = track;
    countPacket(tb, s, p, pk);
    t.protocol(proto, pbit === 0 ? -1 : 31 - Math.clz32(pbit));
    return 'counted';
  }


  /**
   * Closes the open interval now (timed mode: `follow` calls it when its input has been idle for a check interval) and
   * opens the next one; packets stamped earlier than that go into the new interval, as time never runs backwards here.
   */
  closeInterval(): IntervalResult | null {
    if (this.#mode === 'single' || this.#meta.interval < 0) return null;
    const id = this.#meta.interval;
    const res = this.#close(id, (id + 1) * this.#ciMs);
    this.#meta.interval = id + 1;
    return res;
  }

  /** End of input: closes the open interval (psad -A assigns levels once, here). */
  finish(): IntervalResult | null {
    if (this.#mode === 'single') return this.#close(this.#meta.interval, this.#meta.lastTime);
    return this.closeInterval();
  }

  #advance(id: number): IntervalResult | null {
    const prev = this.#meta.interval;
    this.#meta.interval = id;
    if (prev < 0) return null;
    const res = this.#close(prev, (prev + 1) * this.#ciMs, false);
    // psad runs its housekeeping every CHECK_INTERVAL even when no packets came and times scans out on every
    // PERSISTENCE_CTR_THRESHOLD-th one (psad:6008): run the latest such run that fell in [prev, id)
    const pct = this.rules.opts.persistenceCtrThreshold;
    const due = pct === 0 ? id - 1 : Math.floor((id - 1) / pct) * pct;
    if (due >= prev) res.expired += this.#expire((due + 1) * this.#ciMs);
    return res;
  }

  #close(interval: number, now: number, expire = true): IntervalResult {
    const o = this.rules.opts;
    const changes = this.#pending;
    this.#pending = [];
    const hostsOff = !o.compat && o.uniqueHosts[0] === 0;
    const hint = { minDl: Math.max(1, o.minDangerLevel), minPackets: o.dangerLevels[0] ?? 5, minDsts: hostsOff ? 0 : Math.max(1, o.uniqueHosts[0] ?? 10) };
    const track = this.#dir.tracksChanges;
    const tb = this.#t;
    const collect = this.#changes;
    // psad -A's one close lists the pairs of nearly every source: from an index made in one pass over the rows
    const indexed = this.#mode === 'single' && this.#dir.allHot;
    if (indexed) tb.indexPairsBySource();
    try {
      this.#dir.forEachTouched(interval, (s) => {
        // this interval's pairs, listed once for the level assignment and the labels
        const n = tb.intervalPairs(s);
        // an indexed loop: for…of made an iterator per source and interval (a million of them in own mode's analyze)
        const cs = assignDanger(tb, s, interval, o, track, n, collect);
        if (collect) for (let i = 0; i < cs.length; i++) changes.push({ ip: tb.ip[s]!, change: cs[i]! });
        if (tb.si[s * SW + S_DL]! >= Math.max(1, o.minDangerLevel)) {
          const pairs = tb.ibuf;
          for (let i = 0; i < n; i++) {
            const p = pairs[i]!;
            if (tb.pi[p * PW + P_INTERVAL] !== interval) continue;
            // only a store written incrementally needs to know which pairs changed
            if (labelPair(tb, s, p, o) && track) tb.marksOf(s).pairs = (tb.marksOf(s).pairs ?? new Set()).add(tb.dsts.text[tb.pi[p * PW + P_DST]!]!);
          }
        }
      }, hint);
    } finally {
      if (indexed) tb.dropPairIndex();
    }
    let expired = 0;
    const pct = o.persistenceCtrThreshold;
    if (expire && this.#mode === 'timed' && (pct === 0 || interval % pct === 0)) expired = this.#expire(now);
    return { interval, changes, expired };
  }

  /** The last bucket a window started (psad) or last used (own mode) at `time` is not yet due in: due in any later one. */
  #bucketOf(time: number): number {
    return Math.floor((time + this.rules.opts.scanTimeout * 1000 - 1) / this.#bucketMs);
  }

  /**
   * The bucket last scheduled into and its list (null: none, or dropped since). Windows open in time order, so nearly
   * every new one goes to the bucket the one before went to: the Map's lookup (~110 instructions a line in own mode's
   * analyze) is made only when the bucket changes. Cleared wherever the schedule drops a bucket.
   */
  #lastBucket = 0;
  #lastList: number[] | null = null;

  /** Puts pair `p` into bucket `b`'s list. */
  #schedulePair(p: number, b: number): void {
    this.#t.pexp[p] = b;
    if (b < this.#minBucket) this.#minBucket = b;
    if (this.#lastList !== null && b === this.#lastBucket) {
      this.#lastList.push(p);
      return;
    }
    let list = this.#schedule.get(b);
    if (list) list.push(p);
    else this.#schedule.set(b, list = [p]);
    this.#lastBucket = b;
    this.#lastList = list;
  }

  /** Forgets the scheduled ids (the directory's ids changed meaning): the next expiry checks every window. */
  #dropSchedule(): void {
    this.#schedule.clear();
    this.#lastList = null;
    this.#minBucket = Number.POSITIVE_INFINITY;
    this.#scheduleGen = this.#dir.generation;
    this.#checkAll = true;
  }

  #checkAll = false;

  #expire(now: number): number {
    const o = this.rules.opts;
    if (this.#mode !== 'timed' || o.persistence) return 0;
    const cutoff = now - o.scanTimeout * 1000;
    // every bucket before the run's is due (a run's time is a whole number of buckets; a partial one is checked
    // again at the next run); entries of windows that ended or moved on since are dropped
    const last = Math.floor(now / this.#bucketMs);
    const partial = now % this.#bucketMs !== 0;
    const by = o.compat ? 'start' : 'last';
    // once the directory writes a store, the store's query finds what is due: the schedule is no longer kept
    if (this.#dir.tracksChanges) {
      this.#schedule.clear();
      this.#lastList = null;
      this.#minBucket = Number.POSITIVE_INFINITY;
    }
    if (this.#scheduleGen !== this.#dir.generation) this.#dropSchedule();
    const tb = this.#t;
    const k = by === 'start' ? PF_START : PF_LAST;
    let n = 0;
    const end = partial ? last : last - 1;
    // the due buckets in order, or (after a long gap in the log) by going through those that exist
    const due: number[] = [];
    if (end - this.#minBucket < this.#schedule.size) {
      for (let b = this.#minBucket; b <= end; b++) if (this.#schedule.has(b)) due.push(b);
    } else {
      for (const b of this.#schedule.keys()) if (b <= end) due.push(b);
    }
    if (end >= this.#minBucket) this.#minBucket = last;
    for (const b of due) {
      const list = this.#schedule.get(b)!;
      // a partly due bucket is checked now and again at the next run
      const current = partial && b === last;
      if (!current) {
        this.#schedule.delete(b);
        if (b === this.#lastBucket) this.#lastList = null;
      }
      const pi = tb.pi;
      const pf = tb.pf;
      const pexp = tb.pexp;
      for (let i = 0; i < list.length; i++) {
        // the next PREFETCH_MAX pairs' expiry entries and times read first, in a loop whose cache misses overlap (their rows
        // are scattered over the pair table: one miss after another in the loop below; see ScanTable.prefetch)
        if (i % PREFETCH_MAX === 0) this.prefetched ^= touchPairs(list, i, Math.min(list.length, i + PREFETCH_MAX), tb, 2 * k);
        const p = list[i]!;
        const po = p * PW;
        // an entry left behind in the current bucket (moved or ended since): nothing to do here
        if (pexp[p] !== b) continue;
        if ((pi[po + P_BITS]! & PB_LIVE) === 0) {
          pexp[p] = -1;
          continue;
        }
        const time = pf[po / 2 + k]!;
        if (time <= cutoff) {
          tb.expire(p);
          pexp[p] = -1;
          n++;
        } else if (!current) {
          // packets since it was scheduled: on to the bucket it is due after now (never one already checked)
          this.#schedulePair(p, Math.max(last, this.#bucketOf(time)));
        }
      }
    }
    const all = this.#checkAll;
    this.#checkAll = false;
    n += this.#dir.expirePairs(cutoff, by, all);
    if (all && !this.#dir.tracksChanges) {
      // the live windows the check left, scheduled again under the ids they have now
      const pi = tb.pi;
      const pf = tb.pf;
      for (let p = 0; p < tb.pairRows; p++) {
        const po = p * PW;
        if (pi[po + P_SRC]! >= 0 && (pi[po + P_BITS]! & PB_LIVE) !== 0) this.#schedulePair(p, this.#bucketOf(pf[po / 2 + k]!));
        else tb.pexp[p] = -1;
      }
    }
    this.#meta.pairCount = Math.max(0, this.#meta.pairCount - n);
    return n;
  }

  #note(s: number, c: DangerChange | null): void {
    if (c && this.#changes) this.#pending.push({ ip: this.#t.ip[s]!, change: c });
  }

  #skip(reason: Exclude<Outcome, 'counted'>, ev: PacketEvent): Outcome {
    this.totals.note(reason, ev.line);
    return reason;
  }

  #pfx = '';
  #pfxHas = false;
  #pfxIgnored = false;
  #pfxSid = 0;

  /** Caches what the filters say about a log prefix (psad's IGNORE_LOG_PREFIXES and fwsnort SID tests). */
  #newPrefix(prefix: string): void {
    const r = this.rules;
    this.#pfx = prefix;
    this.#pfxHas = prefix.length > 0 && /\S/.test(prefix);
    this.#pfxIgnored = this.#pfxHas && (r.ignorePrefix?.test(prefix) ?? false);
    let sid = 0;
    if (this.#pfxHas && (r.sidLiteral === null || prefix.includes(r.sidLiteral))) {
      const m = r.sidRe.exec(prefix);
      if (m) sid = Number(m[1]);
    }
    this.#pfxSid = sid;
  }

  // ids of the strings the table keeps per pair, for the last value seen (they nearly always repeat)
  readonly #ckChain: string[] = Array<string>(8).fill('\0');
  readonly #ckIntf: string[] = Array<string>(8).fill('');
  readonly #ckProto: string[] = Array<string>(8).fill('');
  readonly #ckId = new Int32Array(8);
  #pxText = '';
  #pxId = 0;
  #hText = '';
  #hId = 0;

  /** Id of "chain\tinterface\tprotocol", remembered per protocol bit (protocols alternate from packet to packet). */
  #chainId(chain: string, intf: string, proto: string, pbit: number): number {
    const k = pbit === 0 ? 7 : 31 - Math.clz32(pbit);
    if (chain !== this.#ckChain[k] || intf !== this.#ckIntf[k] || proto !== this.#ckProto[k]) {
      this.#ckChain[k] = chain;
      this.#ckIntf[k] = intf;
      this.#ckProto[k] = proto;
      this.#ckId[k] = this.#t.chains.id(`${chain}\t${intf}\t${proto}`);
    }
    return this.#ckId[k]!;
  }

  #prefixId(p: string): number {
    if (p !== this.#pxText || this.#pxId === 0) {
      this.#pxText = p;
      this.#pxId = this.#t.prefixes.id(p) + 1;
    }
    return this.#pxId - 1;
  }

  #hostId(h: string): number {
    if (h !== this.#hText || this.#hId === 0) {
      this.#hText = h;
      this.#hId = this.#t.hosts.id(h) + 1;
    }
    return this.#hId - 1;
  }

  readonly #pkt: SigPacket = newSigPacket();

  #sigPacket(ev: PacketEvent, proto: string, sp: number, dp: number, flags: number, fText: string, intf: string): SigPacket {
    const compat = this.rules.opts.compat;
    const echo = proto === 'icmp' && (ev.icmpType === 8 || ev.icmpType === 0);
    const p = this.#pkt;
    p.family = ev.family;
    // IPv4 signatures compare addresses as numbers: the text is not built for them
    const sv4 = ev.srcV4 ?? -1;
    const dv4 = ev.dstV4 ?? -1;
    p.src = sv4 >= 0 ? '' : ev.src;
    p.dst = dv4 >= 0 ? '' : ev.dst;
    p.proto = proto;
    p.sp = sp;
    p.dp = dp;
    p.flags = flags;
    p.flagsText = fText;
    p.ipLen = ev.len;
    p.ttl = ev.ttl;
    p.ipId = ev.ipId;
    p.intf = intf;
    p.ipOpts = ev.ipOptions ?? '';
    p.tcpOptsLen = ev.tcpOptions !== undefined ? ev.tcpOptions.length / 2 : -1;
    p.tcpSeq = ev.seq ?? 0;
    p.tcpAck = ev.ack ?? 0;
    p.window = ev.window ?? 0;
    p.udpLen = ev.udpLen ?? -1;
    p.itype = ev.icmpType ?? 0;
    p.icode = ev.icmpCode ?? 0;
    // QUIRK (psad:1971): psad's regex /CODE=(\d+)\s+ID=(\d+)\s+SEQ=(\d+)/ stores CODE as icmp_id and ID as icmp_seq
    p.icmpId = compat ? (echo ? ev.icmpCode ?? 0 : 0) : ev.icmpId ?? 0;
    p.icmpSeq = compat ? (echo ? ev.icmpId ?? 0 : 0) : ev.icmpSeq ?? 0;
    p._src4 = sv4 >= 0 ? sv4 : -2;
    p._dst4 = dv4 >= 0 ? dv4 : -2;
    p._src6 = null;
    p._dst6 = null;
    return p;
  }
}

/**
 * Whether any of the patterns matches `text`. Not `list.some((re) => re.test(text))` inside ingest(): a closure there made
 * V8 allocate ingest's captured variables in a context object for every packet, FW_MSG_SEARCH or not.
 */
function anyMatches(list: readonly RegExp[], text: string): boolean {
  for (let i = 0; i < list.length; i++) if (list[i]!.test(text)) return true;
  return false;
}

/**
 * Reads what expiring pairs list[a,b) reads: their expiry entries, the int at `at` of their rows (the time checked), and
 * then their sources' live-pair counts; returns a number made of them (see Detector.prefetched).
 */
function touchPairs(list: readonly number[], a: number, b: number, tb: ScanTable, at: number): number {
  const pi = tb.pi;
  const pexp = tb.pexp;
  let acc = 0;
  for (let i = a; i < b; i++) {
    const p = list[i]!;
    acc ^= pexp[p]! ^ pi[p * PW + at]!;
  }
  const live = tb.slive;
  for (let i = a; i < b; i++) {
    const s = pi[list[i]! * PW + P_SRC]!;
    if (s >= 0) acc ^= live[s]!;
  }
  return acc;
}
