// The detector: psad's check_scan per packet and its interval processing (danger levels, labels, timeouts), driven by
// event time only. Pure: state lives behind a SourceDirectory the caller provides.
import { parseIp } from '../domain/address.ts';
import { IntPairMap, ipv4Key } from '../domain/int-table.ts';
import type { ParsedIp } from '../domain/address.ts';
import { TcpFlag, flagsText } from '../domain/events.ts';
import type { PacketEvent } from '../domain/events.ts';
import {
  EMPTY_COUNTS, EMPTY_LIST, EMPTY_SIGS, expirePair, MARK_MASSCAN, MARK_MIRAI, MARK_TOPERA, markPair, markPort, markSig, newPairState, newSourceState,
} from '../domain/scan-state.ts';
import type { DangerChange, PairSigHit, PairState, SourceDirectory, SourceState } from '../domain/scan-state.ts';
import { assignDanger, raise } from './danger.ts';
import { checkIcmp } from './data/icmp-types.ts';
import { labelPair } from './labels.ts';
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
  /** Every change, in order, with the source. */
  changes: { ip: string; change: DangerChange }[];
  /** Windows that timed out after the interval. */
  expired: number;
}

const SIG_BUF: SigMatch[] = [];
/** psad's flag string for every mask, computed once (hot path). */
const FLAG_TEXT: readonly string[] = Array.from({ length: 256 }, (_, m) => flagsText(m));
const MAX_PAIR_HOSTS = 8;
const MAX_SIG_DPORTS = 8;

function bump(rec: Record<string, number>, key: string, n = 1): void {
  rec[key] = (rec[key] ?? 0) + n;
}

/**
 * `list` with `v` added once. Lists start as the shared frozen EMPTY_LIST and get an exact-size literal on their first
 * value (an array grown by push reserves room for 17): most pairs only ever hold one protocol, flag string or host.
 */
function withUnique(list: string[], v: string): string[] {
  if (list.length === 0) return [v];
  if (!list.includes(v)) list.push(v);
  return list;
}

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

/** The detector. Feed events in order with `ingest`; `closeInterval` (timed) or `finish` assign danger levels. */
export class Detector {
  readonly rules: DetectRules;
  readonly totals = new Totals();
  readonly #dir: SourceDirectory;
  readonly #mode: IntervalMode;
  readonly #ciMs: number;
  #meta: EngineMeta;
  /**
   * Pairs that may time out, by expiry bucket; only in timed mode without persistence. Objects, not addresses: an entry
   * whose pair was rescheduled to a later bucket since is dropped by one field test instead of two map lookups (a pair
   * with packets spread over hours is rescheduled with nearly every packet).
   */
  readonly #schedule = new Map<number, { srcs: SourceState[]; pairs: PairState[]; gens: number[] }>();
  /** Width of an expiry bucket: the spacing of timeout runs (CHECK_INTERVAL × PERSISTENCE_CTR_THRESHOLD). */
  readonly #bucketMs: number;
  /** Destination counts at each source's last level assignment (see assignDanger). */
  readonly #dangerMemo = new WeakMap<SourceState, number>();
  /** Sources whose level changed during packets of the open interval (auto_dl, invalid ICMP). */
  #pending: { ip: string; change: DangerChange }[] = [];

  constructor(rules: DetectRules, dir: SourceDirectory, mode: IntervalMode, meta?: EngineMeta) {
    this.rules = rules;
    this.#dir = dir;
    this.#mode = mode;
    this.#ciMs = Math.max(1, rules.opts.checkInterval) * 1000;
    this.#bucketMs = this.#ciMs * Math.max(1, rules.opts.persistenceCtrThreshold);
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

  /**
   * Processes one packet. `line` is the raw log line, needed only for FW_MSG_SEARCH (FW_SEARCH_ALL N); without it the
   * patterns are matched against the log prefix. In timed mode a packet of a later interval first closes the open one
   * (its result is returned through `onInterval`).
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
      if (!r.fwSearch.some((re) => re.test(text))) return this.#skip('fw-search', ev);
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
      fText = FLAG_TEXT[flags & 0xff]!;
      if (ev.tcpOptions && o.expectTcpOptions) this.#meta.foundTcpOptions = true;
      if (compat) masscan = fText === 'SYN' && this.#meta.foundTcpOptions && !ev.tcpOptions;
      if (r.ignorePorts.get('tcp')?.has(dp)) return this.#skip('port', ev);
    } else if (proto === 'udp' || proto === 'udplite') {
      if (r.ignorePorts.get(proto)?.has(dp)) return this.#skip('port', ev);
    } else if (proto === 'icmp' && compat && (ev.icmpType === 8 || ev.icmpType === 0) && (ev.icmpId === undefined || ev.icmpSeq === undefined)) {
      return this.#skip('psad-icmp-echo-fields', ev);
    }

    // ---- psad's check_scan
    const src = ev.src;
    const dst = ev.dst;
    const srcKey = ev.family === 4 ? ipv4Key(src) : -1;
    let s = this.#dir.get(src, srcKey);
    const isNew = s === undefined;
    if (o.maxScanIpPairs > 0 && this.#meta.pairCount >= o.maxScanIpPairs && !(s?.pairs.get(dst)?.live ?? false)) {
      return this.#skip('max-pairs', ev);
    }
    s ??= newSourceState(src, ev.family, ev.time);
    const interval = this.#meta.interval;
    if (s.interval !== interval) {
      s.interval = interval;
      s.curSigDl = 0;
      s.curSidDl = 0;
      if (!isNew) this.#dir.touch(s);
      s.dirty.source = true;
    }
    // Mirai (psad:1050): ten SYNs to tcp/23 then one to tcp/2323, same source and destination
    let mirai = false;
    if (isTcp && (flags & TcpFlag.SYN) !== 0) {
      if (dp === 23) {
        if (s.mirai === EMPTY_COUNTS) s.mirai = {};
        bump(s.mirai, dst);
      }
      else if (dp === 2323 && (s.mirai[dst] ?? 0) >= 10) mirai = true;
    }
    let auto = -1;
    if (r.autoDl.size > 0) {
      const ip: ParsedIp = parseIp(src) ?? { family: ev.family, text: src, bytes: new Uint8Array(ev.family === 4 ? 4 : 16) };
      auto = r.autoDl.lookup(ip, proto, dp, s.dl);
    }
    if (auto === 0) return this.#skip('auto-dl', ev);

    // signatures (psad:1206-1240): a fwsnort SID in the prefix, else psad's own signatures
    let sigDl = 0;
    let sidDl = 0;
    const matches: SigMatch[] = SIG_BUF;
    matches.length = 0;
    let fwRule: { msg: string; proto: string } | undefined;
    if (sid !== 0) {
      fwRule = r.fwsnort.get(sid);
      if (fwRule || !compat) {
        sidDl = r.signatures.levelOf(sid, 2);
        if (sidDl === 0) return this.#skip('signature-dl0', ev);
      }
    } else if (r.signatures.size > 0) {
      const pkt = this.#sigPacket(ev, proto, sp, dp, flags, fText, intf);
      r.signatures.match(pkt, matches);
      for (const m of matches) if (m.dl > sigDl) sigDl = m.dl;
      if (matches.length > 0 && sigDl === 0) return this.#skip('signature-dl0', ev);
      if (matches.length > 0) {
        // keep the matches that assign a level, in place (the buffer is reused)
        let j = 0;
        for (const m of matches) if (m.dl > 0) matches[j++] = m;
        matches.length = j;
      }
    }

    // ---- the packet counts
    if (isNew) {
      this.#dir.add(s);
      this.#dir.touch(s);
      t.sources++;
    }
    t.counted++;
    s.dirty.source = true;
    const time = ev.time;
    if (auto > 0) this.#note(s, raise(s, auto, 'auto_dl', time));
    const track = this.#dir.tracksChanges;
    const pair = this.#pair(s, srcKey, dst, time, track);
    if (!pair.live) {
      pair.live = true;
      pair.start = time;
      this.#meta.pairCount++;
    }
    if (time > pair.last) pair.last = time;
    if (this.#mode === 'timed' && !o.persistence && !track) {
      // schedule the pair's timeout check (psad times pairs out from their first packet, own mode from the last); a
      // store-backed directory expires by query instead, so a flood of evicted sources leaves no schedule behind
      const bucket = Math.floor(((compat ? pair.start : pair.last) + o.scanTimeout * 1000) / this.#bucketMs);
      if (pair.expBucket !== bucket) {
        pair.expBucket = bucket;
        const list = this.#schedule.get(bucket);
        const gen = this.#dir.generation;
        if (list) {
          list.srcs.push(s);
          list.pairs.push(pair);
          list.gens.push(gen);
        } else {
          this.#schedule.set(bucket, { srcs: [s], pairs: [pair], gens: [gen] });
        }
      }
    }
    if (track) markPair(s, dst);
    // invalid ICMP type/code (psad:1131-1204) files the packet under the pair's icmp slot and raises the source to 2
    if (proto === 'icmp' || proto === 'icmp6') {
      const check = checkIcmp(proto === 'icmp' ? r.icmp : r.icmp6, ev.icmpType ?? -1, ev.icmpCode ?? -1);
      if (check !== 'ok') {
        if (pair.icmpInvalid === EMPTY_COUNTS) pair.icmpInvalid = {};
        bump(pair.icmpInvalid, `${proto}\t${ev.icmpType ?? -1}\t${check === 'bad-code' ? String(ev.icmpCode ?? -1) : ''}\t${ev.chain}`);
        pair.slots = withUnique(pair.slots, proto);
        this.#note(s, raise(s, 2, 'icmp', time));
      }
    }
    if (sid !== 0 && sidDl > 0) {
      this.#hit(s, pair, ev, proto, sid, fwRule?.msg ?? `fwsnort SID ${sid}`, fwRule?.proto ?? proto, sidDl, true, dp, fText);
      s.curSidDl = compat ? sidDl : Math.max(s.curSidDl, sidDl);
    }
    for (const m of matches) {
      const slot = m.sig.proto === 'ip' ? 'ip' : m.sig.proto;
      this.#hit(s, pair, ev, slot, m.sig.sid, m.sig.msg, m.sig.proto, m.dl, false, dp, fText);
    }
    // QUIRK (psad:1231): psad keeps the level of the last matching packet of the interval, not the highest
    if (sigDl > 0) s.curSigDl = compat ? sigDl : Math.max(s.curSigDl, sigDl);

    // counters (psad:1260-1376)
    pair.absnum++;
    pair.packets++;
    // QUIRK (psad:1281): psad adds one protocol whenever the pair's slot for it is undefined; only tcp/udp/udplite port
    // tracking, signature hits and invalid ICMP define slots, so ICMP without such hits counts once per packet
    if (!pair.slots.includes(proto)) pair.totProtocols++;
    pair.wprotos = withUnique(pair.wprotos, proto);
    const ck = this.#chainKey(ev.chain, intf, proto);
    if (pair.chain === ck) pair.chainN++;
    else if (pair.chain === '') { pair.chain = ck; pair.chainN = 1; }
    else bump(pair.chainMore ??= {}, ck);
    // per-interval data only matters for psad's labels (compatibility); own mode labels from the cumulative fields
    if (pair.interval !== interval) {
      pair.interval = interval;
      pair.cur = compat;
      pair.curFlags = EMPTY_LIST as string[];
      pair.curProtos = EMPTY_LIST as string[];
      pair.curMarks = 0;
    }
    if (compat) pair.curProtos = withUnique(pair.curProtos, proto);
    if (isTcp) {
      if (compat) pair.curFlags = withUnique(pair.curFlags, fText);
      if (pair.flag === fText) pair.flagN++;
      else if (pair.flag === '') { pair.flag = fText; pair.flagN = 1; }
      else bump(pair.flagMore ??= {}, fText);
    }
    const topera = isTcp && ev.family === 6 && ev.ipOptGroups >= 7;
    if (!compat) masscan = isTcp && o.expectTcpOptions && fText === 'SYN' && s.sawTcpOptions && !ev.tcpOptions;
    const marks = (topera ? MARK_TOPERA : 0) | (masscan ? MARK_MASSCAN : 0) | (mirai ? MARK_MIRAI : 0);
    if (compat) pair.curMarks = marks;
    pair.marks |= marks;
    if (isTcp && ev.tcpOptions) s.sawTcpOptions = true;
    const host = ev.host;
    if (host) {
      if (pair.hosts.length < MAX_PAIR_HOSTS) pair.hosts = withUnique(pair.hosts, host);
      bump(s.sensors, host);
    }
    const pfx = hasPrefix ? prefix : '*noprfx*';
    if (pair.prefix === pfx) pair.prefixN++;
    else if (pair.prefix === '') { pair.prefix = pfx; pair.prefixN = 1; }
    else bump(pair.prefixMore ??= {}, pfx);
    if (isTcp) {
      pair.slots = withUnique(pair.slots, proto);
      if (pair.wTcpLo < 0) { pair.wTcpLo = dp; pair.wTcpHi = dp; }
      else if (dp < pair.wTcpLo) pair.wTcpLo = dp;
      else if (dp > pair.wTcpHi) pair.wTcpHi = dp;
      if (pair.tcpLo < 0) { pair.tcpLo = dp; pair.tcpHi = dp; }
      else if (dp < pair.tcpLo) pair.tcpLo = dp;
      else if (dp > pair.tcpHi) pair.tcpHi = dp;
      this.#port(s, 0, dp, track);
    } else if (proto === 'udp') {
      pair.slots = withUnique(pair.slots, proto);
      if (pair.wUdpLo < 0) { pair.wUdpLo = dp; pair.wUdpHi = dp; }
      else if (dp < pair.wUdpLo) pair.wUdpLo = dp;
      else if (dp > pair.wUdpHi) pair.wUdpHi = dp;
      if (pair.udpLo < 0) { pair.udpLo = dp; pair.udpHi = dp; }
      else if (dp < pair.udpLo) pair.udpLo = dp;
      else if (dp > pair.udpHi) pair.udpHi = dp;
      this.#port(s, 1, dp, track);
    } else if (proto === 'udplite') {
      pair.slots = withUnique(pair.slots, proto);
      if (pair.wLiteLo < 0) { pair.wLiteLo = dp; pair.wLiteHi = dp; }
      else if (dp < pair.wLiteLo) pair.wLiteLo = dp;
      else if (dp > pair.wLiteHi) pair.wLiteHi = dp;
      if (pair.liteLo < 0) { pair.liteLo = dp; pair.liteHi = dp; }
      else if (dp < pair.liteLo) pair.liteLo = dp;
      else if (dp > pair.liteHi) pair.liteHi = dp;
      this.#port(s, 2, dp, track);
    }
    s.packets++;
    if (time > s.lastSeen) s.lastSeen = time;
    if (time < s.firstSeen) s.firstSeen = time;
    t.protocols.set(proto, (t.protocols.get(proto) ?? 0) + 1);
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
    this.#dir.forEachTouched(interval, (s) => {
      for (const c of assignDanger(s, interval, o, s.lastSeen, this.#dangerMemo)) changes.push({ ip: s.ip, change: c });
      if (s.dl >= Math.max(1, o.minDangerLevel)) {
        for (const p of s.pairs.values()) {
          if (p.interval !== interval) continue;
          // only a store written incrementally needs to know which pairs changed
          if (labelPair(s, p, o) && track) markPair(s, p.dst);
        }
      }
    }, hint);
    let expired = 0;
    const pct = o.persistenceCtrThreshold;
    if (expire && this.#mode === 'timed' && (pct === 0 || interval % pct === 0)) expired = this.#expire(now);
    return { interval, changes, expired };
  }

  #expire(now: number): number {
    const o = this.rules.opts;
    if (this.#mode !== 'timed' || o.persistence) return 0;
    const cutoff = now - o.scanTimeout * 1000;
    // every scheduled bucket whose time has come; entries of a pair touched again since are checked and dropped
    const last = Math.floor(now / this.#bucketMs);
    const due: string[] = [];
    const by = o.compat ? 'start' : 'last';
    // once the directory writes a store, the store's query finds what is due: the schedule is no longer kept
    if (this.#dir.tracksChanges) this.#schedule.clear();
    const gen = this.#dir.generation;
    let n = 0;
    for (const [b, list] of this.#schedule) {
      if (b > last) continue;
      // the current bucket is only partly due: check it now and again at the next run
      if (b < last) this.#schedule.delete(b);
      const { srcs, pairs, gens } = list;
      for (let i = 0; i < pairs.length; i++) {
        const p = pairs[i]!;
        // rescheduled to a later bucket (checked there) or already ended: nothing to do here
        if (p.expBucket !== b || !p.live) continue;
        if (gens[i] === gen) {
          // the directory still hands out these very objects (and keeps no store, or there would be no schedule):
          // end the window in place, as its candidate walk would after two lookups by address
          if ((by === 'start' ? p.start : p.last) <= cutoff) {
            expirePair(p);
            n++;
          }
        } else {
          due.push(srcs[i]!.ip, p.dst);
        }
      }
    }
    n += this.#dir.expirePairs(cutoff, by, due);
    this.#meta.pairCount = Math.max(0, this.#meta.pairCount - n);
    return n;
  }

  /**
   * The source's pair for `dst`, created when new. IPv4 pairs are found through an index by (source, destination)
   * number while the directory keeps no store (one cache miss instead of a Map walk); the index is dropped whenever the
   * directory may have replaced a state object, and for good once it tracks changes (a store-backed cache evicts).
   */
  #pair(s: SourceState, srcKey: number, dst: string, time: number, track: boolean): PairState {
    const gen = this.#dir.generation;
    if (gen !== this.#pairGen || track) {
      this.#pairGen = gen;
      this.#pairIndex.clear();
    }
    const dstKey = srcKey >= 0 && !track ? ipv4Key(dst) : -1;
    let pair = dstKey >= 0 ? this.#pairIndex.get(srcKey, dstKey) : undefined;
    if (pair !== undefined) return pair;
    pair = s.pairs.size === 0 ? undefined : s.pairs.get(dst);
    if (!pair) {
      pair = newPairState(dst, time);
      s.pairs.set(dst, pair);
    }
    if (dstKey >= 0) this.#pairIndex.set(srcKey, dstKey, pair);
    return pair;
  }

  readonly #pairIndex = new IntPairMap<PairState>();
  #pairGen = 0;

  /** Counts a packet to (protocol code, port) of the source. */
  #port(s: SourceState, code: number, dp: number, track: boolean): void {
    const k = code * 65536 + dp;
    s.ports.set(k, (s.ports.get(k) ?? 0) + 1);
    if (track) markPort(s, k);
  }

  #note(s: SourceState, c: DangerChange | null): void {
    if (c) this.#pending.push({ ip: s.ip, change: c });
  }

  #skip(reason: Exclude<Outcome, 'counted'>, ev: PacketEvent): Outcome {
    this.totals.note(reason, ev.line);
    return reason;
  }

  #hit(s: SourceState, pair: PairState, ev: PacketEvent, slot: string, sid: number, msg: string, proto: string, dl: number,
    fwsnort: boolean, dp: number, fText: string): void {
    const chain = ev.chain;
    let h: PairSigHit | undefined;
    for (const x of pair.sigs) {
      if (x.sid === sid && x.proto === slot && x.chain === chain) {
        h = x;
        break;
      }
    }
    if (!h) {
      h = { proto: slot, sid, chain, packets: 0, dport: 0, flags: 'NA', fwsnort };
      if (pair.sigs === EMPTY_SIGS) pair.sigs = [h];
      else pair.sigs.push(h);
    }
    h.packets++;
    if (slot === 'tcp' || slot === 'udp' || slot === 'udplite') h.dport = dp;
    if (slot === 'tcp') h.flags = fText;
    // psad adds a protocol when a tcp/udp/icmp hit defines the pair's slot (psad:2265); "ip" hits define it silently
    if (!pair.slots.includes(slot)) {
      if (slot !== 'ip') pair.totProtocols++;
      pair.slots = withUnique(pair.slots, slot);
    }
    let sh = s.sigs.get(sid);
    const isNew = sh === undefined;
    if (!sh) {
      sh = { sid, msg, dl: dl as SourceState['dl'], proto, count: 0, dports: [], fwsnort, first: ev.time, last: ev.time };
      s.sigs.set(sid, sh);
      if (!s.tags.includes('signature')) s.tags = [...s.tags, 'signature'];
    }
    sh.count++;
    if (ev.time > sh.last) sh.last = ev.time;
    if (ev.dport !== undefined && sh.dports.length < MAX_SIG_DPORTS && !sh.dports.includes(dp)) sh.dports.push(dp);
    if (this.#dir.tracksChanges) markSig(s, sid);
    this.totals.sig(sid, msg, proto, isNew);
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

  readonly #pkt: SigPacket = newSigPacket();
  #ckChain = '';
  #ckIntf = '';
  #ckProto = '';
  #ckKey = '';

  /** "chain\tinterface\tprotocol", reusing the last string while those repeat (they nearly always do). */
  #chainKey(chain: string, intf: string, proto: string): string {
    if (chain !== this.#ckChain || intf !== this.#ckIntf || proto !== this.#ckProto) {
      this.#ckChain = chain;
      this.#ckIntf = intf;
      this.#ckProto = proto;
      this.#ckKey = `${chain}\t${intf}\t${proto}`;
    }
    return this.#ckKey;
  }

  #sigPacket(ev: PacketEvent, proto: string, sp: number, dp: number, flags: number, fText: string, intf: string): SigPacket {
    const compat = this.rules.opts.compat;
    const echo = proto === 'icmp' && (ev.icmpType === 8 || ev.icmpType === 0);
    const p = this.#pkt;
    p.family = ev.family;
    p.src = ev.src;
    p.dst = ev.dst;
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
    p._src4 = -2;
    p._dst4 = -2;
    p._src6 = null;
    p._dst6 = null;
    return p;
  }
}
