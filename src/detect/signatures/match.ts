// Matching packets against psad signatures (match_sigs / match_snort_*_keywords, psad:2086-2560), indexed by protocol,
// destination port, TCP flags and ICMP type so a packet is tested against a handful of rules, not all of them.
import { cidrContains, parseIp } from '../../domain/address.ts';
import type { Cidr, ParsedIp } from '../../domain/address.ts';
import { interned } from '../../domain/interned.ts';
import { ipOptionKeywords } from '../data/ip-options.ts';
import type { IpOptionTable } from '../data/ip-options.ts';
import { inRange } from './types.ts';
import type { AddrSpec, FlagSpec, IntRange, Signature } from './types.ts';

/** The packet fields signatures look at. The matcher caches parsed addresses in the `_…` fields. */
export interface SigPacket {
  family: 4 | 6;
  /** Addresses as text (for IPv4 only read when `_src4` / `_dst4` are not set). */
  src: string;
  dst: string;
  /** psad's protocol name ("tcp", "udp", "udplite", "icmp", "icmp6" or the number). */
  proto: string;
  sp: number;
  dp: number;
  /** TCP flag mask and psad's flag string. */
  flags: number;
  flagsText: string;
  ipLen: number;
  ttl: number;
  ipId: number;
  /** Interface psad calls intf (IN=, or OUT= for OUTPUT). */
  intf: string;
  /** IP options hex ("" when not logged). */
  ipOpts: string;
  /** Length in bytes of the logged TCP options, -1 when not logged. */
  tcpOptsLen: number;
  tcpSeq: number;
  tcpAck: number;
  window: number;
  udpLen: number;
  itype: number;
  icode: number;
  /** ICMP echo id and sequence as the mode reads them (psad swaps them with the code, see the engine). */
  icmpId: number;
  icmpSeq: number;
  /** Cached IPv4 address as a number (-2: not computed yet, -1: not IPv4) and parsed IPv6 address. */
  _src4: number;
  _dst4: number;
  _src6: ParsedIp | null;
  _dst6: ParsedIp | null;
}

/** A packet object to reuse (reset the `_` caches per packet with `resetPacketCache`). */
export function newSigPacket(): SigPacket {
  return {
    family: 4, src: '', dst: '', proto: '', sp: 0, dp: 0, flags: 0, flagsText: '', ipLen: 0, ttl: 0, ipId: 0, intf: '',
    ipOpts: '', tcpOptsLen: -1, tcpSeq: 0, tcpAck: 0, window: 0, udpLen: -1, itype: 0, icode: 0, icmpId: 0, icmpSeq: 0,
    _src4: -2, _dst4: -2, _src6: null, _dst6: null,
  };
}

/** A matching signature and the level it assigns (after snort_rule_dl; 0 = ignore the packet). */
export interface SigMatch {
  sig: Signature;
  dl: number;
  /** The signature's sid, msg and protocol, copied from `sig` (parsed signatures differ in shape, so reading them
   * through `sig` made the detector's hot path polymorphic; these fields sit in one class). */
  readonly sid: number;
  readonly msg: string;
  readonly proto: string;
}

/** psad's header-length constants (psad:643-647). */
const IP_HEADER = 20;
const TCP_HEADER = 20;
const TCP_MAX_OPTS = 44;
const UDP_HEADER = 8;
const PSAD_ICMP_HEADER = 4;
/** dp ranges up to this wide are indexed per port; wider ones are tested for every packet of the protocol. */
const NARROW = 4096;

/** Dotted quad → unsigned 32-bit number, or -1. Allocation-free (hot path). */
export function ipv4Number(s: string): number {
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      v = v * 256 + part;
      part = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return v * 256 + part;
}

/** An address criterion compiled for speed: exact IPv4 hosts and networks as numbers, IPv6 hosts by text, IPv6 networks. */
interface Addr {
  any: boolean;
  neg: boolean;
  hosts: Set<string>;
  hosts4: Set<number>;
  v4: { base: number; mask: number }[];
  v6: Cidr[];
}

function compileAddr(a: AddrSpec): Addr {
  const out: Addr = { any: a.any, neg: a.neg, hosts: new Set(), hosts4: new Set(), v4: [], v6: [] };
  for (const n of a.nets) {
    const base = ((n.bytes[0]! << 24) | (n.bytes[1]! << 16) | (n.bytes[2]! << 8) | n.bytes[3]!) >>> 0;
    if (n.prefix === (n.family === 4 ? 32 : 128)) {
      if (n.family === 4) out.hosts4.add(base);
      else out.hosts.add(n.text.slice(0, n.text.indexOf('/')));
    } else if (n.family === 4) {
      const mask = n.prefix === 0 ? 0 : (0xffffffff << (32 - n.prefix)) >>> 0;
      out.v4.push({ base, mask });
    } else out.v6.push(n);
  }
  return out;
}

/** The packet's IPv4 source or destination as a number (-1 when not IPv4), computed once per packet. */
function addr4(p: SigPacket, isSrc: boolean): number {
  let n = isSrc ? p._src4 : p._dst4;
  if (n === -2) {
    n = p.family === 4 ? ipv4Number(isSrc ? p.src : p.dst) : -1;
    if (isSrc) p._src4 = n;
    else p._dst4 = n;
  }
  return n;
}

function addrMatches(a: Addr, p: SigPacket, isSrc: boolean): boolean {
  if (a.any) return true;
  let inside = false;
  // IPv4 addresses are compared as numbers: the packet's text may not even have been built
  const n = p.family === 4 ? addr4(p, isSrc) : -1;
  if (n >= 0) {
    inside = a.hosts4.has(n);
    if (!inside) {
      for (const net of a.v4) {
        if (((n & net.mask) >>> 0) === net.base) {
          inside = true;
          break;
        }
      }
    }
  } else {
    inside = a.hosts.has(isSrc ? p.src : p.dst);
  }
  if (!inside && a.v6.length > 0 && p.family === 6) {
    let ip = isSrc ? p._src6 : p._dst6;
    if (!ip) {
      ip = parseIp(isSrc ? p.src : p.dst);
      if (isSrc) p._src6 = ip;
      else p._dst6 = ip;
    }
    if (ip) {
      for (const net of a.v6) {
        if (cidrContains(net, ip)) {
          inside = true;
          break;
        }
      }
    }
  }
  return a.neg ? !inside : inside;
}

// the last flag text hasSyn() looked at, and its answer: a packet's candidates ask about the same text, and so do most
// packets after it (the texts are the detector's internalized ones, so the test is a pointer compare)
let synText = '';
let synHas = false;

/** Whether psad's flag text names SYN (its dsize estimate then allows for TCP options). */
function hasSyn(text: string): boolean {
  if (text !== synText) {
    synText = text;
    synHas = text.includes('SYN');
  }
  return synHas;
}

function flagsMatch(f: FlagSpec, mask: number): boolean {
  const m = mask & ~f.ignore;
  switch (f.mod) {
    case '+': return (m & f.mask) === f.mask;
    case '*': return (m & f.mask) !== 0;
    case '!': return (m & f.mask) === 0;
    default: return m === f.mask;
  }
}

/**
 * A signature compiled for matching: every criterion a field of one class (absent ones null), so the per-packet tests
 * read objects of a single shape (the parsed signatures differ in which keywords they carry, and reading those many
 * shapes in one place is slow). It is also the match result (sig and level), so a match allocates nothing.
 */
class Compiled implements SigMatch {
  /**
   * Values a packet must have for the signature to match (-1: no such requirement), tested before everything else and
   * declared first so they share the object's first cache line: exact source port (tcp/udp), window and sequence (tcp),
   * and for IPv4 packets exact TTL, IP id, a single source or destination host, and the range of first octets the
   * source and destination criteria admit. Each is implied by a test the full check makes: a miss here is a miss there.
   */
  readonly qSp: number;
  readonly qWin: number;
  readonly qSeq: number;
  readonly qTtl: number;
  readonly qId: number;
  readonly qSrc4: number;
  readonly qDst4: number;
  readonly qSrcLo: number;
  readonly qSrcHi: number;
  readonly qDstLo: number;
  readonly qDstHi: number;
  readonly sameip: boolean;
  readonly sig: Signature;
  /** Level after snort_rule_dl. */
  readonly dl: number;
  readonly sid: number;
  readonly msg: string;
  readonly proto: string;
  readonly src: Addr;
  readonly dst: Addr;
  readonly sp: IntRange;
  readonly dp: IntRange;
  readonly flags: FlagSpec | null;
  /** flags.psad internalized ('' without flags): compared with the packet's flag text for every tcp candidate. */
  readonly flagsPsad: string;
  readonly dsize: IntRange | null;
  readonly psadDsize: IntRange | null;
  readonly psadIpLen: IntRange | null;
  readonly ttl: IntRange | null;
  readonly id: IntRange | null;
  readonly window: IntRange | null;
  readonly seq: IntRange | null;
  readonly ack: IntRange | null;
  readonly itype: IntRange | null;
  readonly icode: IntRange | null;
  readonly icmpSeq: IntRange | null;
  readonly icmpId: IntRange | null;
  readonly ipopts: string | null;

  constructor(s: Signature, dl: number) {
    this.sig = s;
    this.dl = dl;
    this.sid = s.sid;
    this.msg = s.msg;
    // internalized: compared with the protocol names of every candidate and hit (see interned)
    this.proto = interned(s.proto);
    this.src = compileAddr(s.src);
    this.dst = compileAddr(s.dst);
    this.sp = s.sp;
    this.dp = s.dp;
    this.flags = s.flags ?? null;
    this.flagsPsad = s.flags ? interned(s.flags.psad) : '';
    this.dsize = s.dsize ?? null;
    this.psadDsize = s.psadDsize ?? null;
    this.psadIpLen = s.psadIpLen ?? null;
    this.ttl = s.ttl ?? null;
    this.id = s.id ?? null;
    this.window = s.window ?? null;
    this.seq = s.seq ?? null;
    this.ack = s.ack ?? null;
    this.itype = s.itype ?? null;
    this.icode = s.icode ?? null;
    this.icmpSeq = s.icmpSeq ?? null;
    this.icmpId = s.icmpId ?? null;
    this.ipopts = s.ipopts ?? null;
    this.sameip = s.sameip;
    const ports = s.proto === 'tcp' || s.proto === 'udp';
    this.qSp = ports ? exact(s.sp) : -1;
    this.qWin = s.proto === 'tcp' ? exact(this.window) : -1;
    this.qSeq = s.proto === 'tcp' ? exact(this.seq) : -1;
    this.qTtl = exact(this.ttl);
    this.qId = exact(this.id);
    this.qSrc4 = singleHost4(this.src);
    this.qDst4 = singleHost4(this.dst);
    [this.qSrcLo, this.qSrcHi] = octets4(this.src);
    [this.qDstLo, this.qDstHi] = octets4(this.dst);
  }
}

/** The lowest and highest first octet of the IPv4 addresses an address criterion admits ([0, 255] when not only those). */
function octets4(a: Addr): [number, number] {
  if (a.any || a.neg || a.hosts.size > 0 || a.v6.length > 0) return [0, 255];
  let lo = 255;
  let hi = 0;
  for (const h of a.hosts4) {
    lo = Math.min(lo, h >>> 24);
    hi = Math.max(hi, h >>> 24);
  }
  for (const n of a.v4) {
    lo = Math.min(lo, n.base >>> 24);
    hi = Math.max(hi, ((n.base | ~n.mask) >>> 0) >>> 24);
  }
  return lo > hi ? [0, 255] : [lo, hi];
}

/** The one value a range admits (not negated, lo = hi, ≥ 0), or -1. */
function exact(r: IntRange | null): number {
  return r && !r.neg && r.lo === r.hi && r.lo >= 0 ? r.lo : -1;
}

/** The one IPv4 host an address criterion admits (no networks, no IPv6, not negated), or -1. */
function singleHost4(a: Addr): number {
  if (a.any || a.neg || a.hosts.size > 0 || a.v4.length > 0 || a.v6.length > 0 || a.hosts4.size !== 1) return -1;
  return [...a.hosts4][0]!;
}

/** Candidates of one protocol: per-port buckets, then wide rules keyed by flags (tcp) and the rest. */
class ProtoIndex {
  /** Index + 1 into `lists` of the candidates for each destination port (0: none): a typed array stays compact. */
  readonly byPort = new Int32Array(65536);
  readonly lists: Compiled[][] = [];
  readonly byFlags = new Map<string | number, BySourcePort>();
  /** The rest, in file order. */
  readonly other: Compiled[] = [];
  otherBySp = new BySourcePort([]);
  /** byFlags looked up once per flag mask 0–255 (the text psad compares is a function of the mask): a Map lookup with
   * a string key was ~1 % of analyze's time. `flagText[m]` is the text the memo was made for (compatibility only). */
  readonly flagMemo: (BySourcePort | null | undefined)[] = new Array<BySourcePort | null | undefined>(256).fill(undefined);
  readonly flagText: string[] = new Array<string>(256).fill('');
}

/**
 * Candidates of a wide-port list by the one source port a packet has: for each port some of its rules require exactly,
 * the rules requiring that port and those requiring none, in file order; for any other port only the latter. Most
 * rules with wide destination ports (the SYN-keyed ones, the rest) are backdoors keyed on a fixed source port (20432,
 * 31790 …): tested one by one they were most of the candidates the benchmark log's packets were tested against.
 */
class BySourcePort {
  /** The ports some rule requires, and their lists (a Map once there are many). */
  readonly #ports: number[] = [];
  readonly #lists: Compiled[][] = [];
  readonly #map: Map<number, Compiled[]> | null = null;
  /** The rules requiring no one source port. */
  readonly rest: Compiled[];

  constructor(list: readonly Compiled[]) {
    this.rest = list.filter((c) => c.qSp < 0);
    for (const c of list) {
      // a port beyond 65535 is no packet's: its rules match none, as the exact-port test would find
      const port = c.qSp;
      if (port < 0 || port > 65535 || this.#ports.includes(port)) continue;
      this.#ports.push(port);
      this.#lists.push(list.filter((x) => x.qSp < 0 || x.qSp === port));
    }
    if (this.#ports.length > 16) this.#map = new Map(this.#ports.map((port, i) => [port, this.#lists[i]!]));
  }

  /** The candidates for a packet from source port `sp` (as #testAll compares it: -1 reads as 0). */
  get(sp: number): Compiled[] {
    if (this.#map !== null) return this.#map.get(sp) ?? this.rest;
    const ports = this.#ports;
    for (let i = 0; i < ports.length; i++) if (ports[i] === sp) return this.#lists[i]!;
    return this.rest;
  }
}

function push<K>(m: Map<K, Compiled[]>, k: K, c: Compiled): void {
  const l = m.get(k);
  if (l) l.push(c);
  else m.set(k, [c]);
}

/** The signatures of one file, compiled for matching. */
export class SignatureSet {
  readonly #compat: boolean;
  readonly #ruleDl: ReadonlyMap<number, number>;
  readonly #ipOptions: IpOptionTable;
  readonly #tcp = new ProtoIndex();
  readonly #udp = new ProtoIndex();
  readonly #icmpByType: (Compiled[] | undefined)[] = [];
  readonly #icmpOther: Compiled[] = [];
  readonly #ipOpts: Compiled[] = [];
  readonly #ip: Compiled[] = [];
  readonly #bySid = new Map<number, Signature>();
  readonly #all: Compiled[] = [];
  readonly #size: number;

  constructor(sigs: readonly Signature[], opts: { compat: boolean; ruleDl: ReadonlyMap<number, number>; ipOptions: IpOptionTable }) {
    this.#compat = opts.compat;
    this.#ruleDl = opts.ruleDl;
    this.#ipOptions = opts.ipOptions;
    this.#size = sigs.length;
    // the flag-keyed lists of tcp and udp, split by source port once complete
    const flagLists = [new Map<string | number, Compiled[]>(), new Map<string | number, Compiled[]>()];
    for (const s of sigs) {
      this.#bySid.set(s.sid, s);
      const c = new Compiled(s, this.levelOf(s.sid, s.dl));
      this.#all.push(c);
      if (s.proto === 'tcp' || s.proto === 'udp') {
        const idx = s.proto === 'tcp' ? this.#tcp : this.#udp;
        if (!s.dp.neg && s.dp.hi - s.dp.lo < NARROW) {
          for (let port = Math.max(0, s.dp.lo); port <= Math.min(65535, s.dp.hi); port++) {
            if (idx.byPort[port] === 0) idx.byPort[port] = idx.lists.push([]);
            idx.lists[idx.byPort[port]! - 1]!.push(c);
          }
        } else if (s.flags && (this.#compat || (s.flags.mod === '' && s.flags.ignore === 0))) {
          push(flagLists[idx === this.#tcp ? 0 : 1]!, this.#compat ? s.flags.psad : s.flags.mask, c);
        } else {
          idx.other.push(c);
        }
      } else if (s.proto === 'icmp') {
        if (s.itype && !s.itype.neg && s.itype.lo === s.itype.hi && s.itype.lo >= 0 && s.itype.lo < 256) (this.#icmpByType[s.itype.lo] ??= []).push(c);
        else this.#icmpOther.push(c);
      } else if (s.ipopts !== undefined) {
        this.#ipOpts.push(c);
      } else {
        this.#ip.push(c);
      }
    }
    [this.#tcp, this.#udp].forEach((idx, i) => {
      for (const [k, list] of flagLists[i]!) idx.byFlags.set(k, new BySourcePort(list));
      idx.otherBySp = new BySourcePort(idx.other);
    });
  }

  get size(): number {
    return this.#size;
  }

  /** Looks a signature up by the id its hits are filed under. */
  bySid(sid: number): Signature | undefined {
    return this.#bySid.get(sid);
  }

  /** psad's assign_sid_dl (psad:3041): snort_rule_dl overrides the rule's own level. */
  levelOf(sid: number, dl: number): number {
    return this.#ruleDl.get(sid) ?? dl;
  }

  /** Puts every matching signature of the packet's protocol and of "ip" into `out` from index 0; returns how many. */
  match(p: SigPacket, out: SigMatch[]): number {
    const proto = p.proto;
    let n = 0;
    if (proto === 'tcp' || proto === 'udp') {
      const idx = proto === 'tcp' ? this.#tcp : this.#udp;
      const k = p.dp >= 0 && p.dp < 65536 ? idx.byPort[p.dp]! : 0;
      if (k > 0) n = this.#testAll(p, idx.lists[k - 1]!, out, n);
      // the source port as #testAll compares it with the rules' exact ones
      const sp = p.sp < 0 ? 0 : p.sp;
      if (idx.byFlags.size > 0) {
        const f = this.#flagList(idx, p)?.get(sp);
        if (f && f.length > 0) n = this.#testAll(p, f, out, n);
      }
      const other = idx.otherBySp.get(sp);
      // no call for an empty list (most packets have one or two)
      if (other.length > 0) n = this.#testAll(p, other, out, n);
    } else if (proto === 'icmp') {
      const bucket = p.itype >= 0 && p.itype < 256 ? this.#icmpByType[p.itype] : undefined;
      if (bucket) n = this.#testAll(p, bucket, out, n);
      if (this.#icmpOther.length > 0) n = this.#testAll(p, this.#icmpOther, out, n);
    }
    // psad never matches "ip" rules on IPv6 packets (match_snort_ip_keywords returns early for them); own mode does
    if (this.#compat && p.family === 6) return n;
    if (p.ipOpts !== '' && this.#ipOpts.length > 0) n = this.#testAll(p, this.#ipOpts, out, n);
    return this.#ip.length > 0 ? this.#testAll(p, this.#ip, out, n) : n;
  }

  /**
   * The plain scan the indexes and exact-value checks of match() must agree with: every signature of the packet's
   * protocol and of "ip", each through the full test. For tests; same results as match(), in signature order.
   */
  matchPlain(p: SigPacket, out: SigMatch[]): number {
    let n = 0;
    for (const c of this.#all) {
      if (c.proto === 'ip' ? this.#compat && p.family === 6 : c.proto !== p.proto) continue;
      if (this.#test(p, c) && (c.src.any || addrMatches(c.src, p, true)) && (c.dst.any || addrMatches(c.dst, p, false))) out[n++] = c;
    }
    out.length = n;
    return n;
  }

  /** The rules keyed by the packet's flags (psad: by their text, own mode: by mask), memoized per mask. */
  #flagList(idx: ProtoIndex, p: SigPacket): BySourcePort | null | undefined {
    const m = p.flags;
    if (m >= 0 && m < 256) {
      // the memo holds when the text is the one it was made for (always, from the detector)
      if (!this.#compat || idx.flagText[m] === p.flagsText) {
        const hit = idx.flagMemo[m];
        if (hit !== undefined) return hit;
      }
      const f = idx.byFlags.get(this.#compat ? p.flagsText : m) ?? null;
      idx.flagMemo[m] = f;
      idx.flagText[m] = p.flagsText;
      return f;
    }
    return idx.byFlags.get(this.#compat ? p.flagsText : m);
  }

  #testAll(p: SigPacket, list: readonly Compiled[], out: SigMatch[], n0: number): number {
    let n = n0;
    const v4 = p.family === 4;
    const a4 = v4 && p._src4 >= 0 && p._dst4 >= 0;
    const so = a4 ? p._src4 >>> 24 : 0;
    const dO = a4 ? p._dst4 >>> 24 : 0;
    const sp = p.sp < 0 ? 0 : p.sp;
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      // the exact values first: most candidates fail one of them
      if ((c.qSp >= 0 && c.qSp !== sp) || (c.qWin >= 0 && c.qWin !== (p.window < 0 ? 0 : p.window))
        || (c.qSeq >= 0 && c.qSeq !== (p.tcpSeq < 0 ? 0 : p.tcpSeq))) continue;
      if (v4 && ((c.qTtl >= 0 && c.qTtl !== p.ttl) || (c.qId >= 0 && c.qId !== p.ipId) || (c.sameip && (p.intf === 'lo' || (a4 && p._src4 !== p._dst4)))
        || (a4 && ((c.qSrc4 >= 0 && c.qSrc4 !== p._src4) || (c.qDst4 >= 0 && c.qDst4 !== p._dst4) || so < c.qSrcLo || so > c.qSrcHi
          || dO < c.qDstLo || dO > c.qDstHi)))) continue;
      // IPv4 addresses known as numbers are the cheapest test left: before the others (all are pure, the order is free)
      const ok = a4
        ? (c.src.any || addrMatches(c.src, p, true)) && (c.dst.any || addrMatches(c.dst, p, false)) && this.#test(p, c)
        : this.#test(p, c) && (c.src.any || addrMatches(c.src, p, true)) && (c.dst.any || addrMatches(c.dst, p, false));
      if (ok) {
        if (n < out.length) out[n] = c;
        else out.push(c);
        n++;
      }
    }
    return n;
  }

  /** Every criterion but the addresses (tested last: they may need parsing). */
  #test(p: SigPacket, s: Compiled): boolean {
    if (s.proto === 'tcp') {
      if (!inRange(s.sp, p.sp) || !inRange(s.dp, p.dp)) return false;
      // flag texts are internalized on both sides (the detector's too): a pointer compare, not one of characters
      if (s.flags && (this.#compat ? p.flagsText !== s.flagsPsad : !flagsMatch(s.flags, p.flags))) return false;
      if ((s.dsize || s.psadDsize) && !this.#dsizeOk(p, s)) return false;
      if (s.window && !inRange(s.window, p.window)) return false;
      if (s.seq && !inRange(s.seq, p.tcpSeq)) return false;
      if (s.ack && !inRange(s.ack, p.tcpAck)) return false;
    } else if (s.proto === 'udp') {
      if (!inRange(s.sp, p.sp) || !inRange(s.dp, p.dp)) return false;
      if ((s.dsize || s.psadDsize) && !this.#dsizeOk(p, s)) return false;
    } else if (s.proto === 'icmp') {
      if (s.itype && !inRange(s.itype, p.itype)) return false;
      if (s.icode && !inRange(s.icode, p.icode)) return false;
      if (s.icmpSeq && !inRange(s.icmpSeq, p.icmpSeq)) return false;
      if (s.icmpId && !inRange(s.icmpId, p.icmpId)) return false;
      if ((s.dsize || s.psadDsize) && !this.#dsizeOk(p, s)) return false;
    }
    return this.#ipKeywords(p, s);
  }

  /** psad's match_snort_ip_keywords (psad:2499); psad skips them all for IPv6, own mode applies them (TTL = hop limit). */
  #ipKeywords(p: SigPacket, s: Compiled): boolean {
    if (this.#compat && p.family === 6) return s.proto !== 'ip';
    if (s.ttl && !inRange(s.ttl, p.ttl)) return false;
    if (s.id && !inRange(s.id, p.ipId)) return false;
    if (s.psadIpLen && !inRange(s.psadIpLen, p.ipLen)) return false;
    if (s.sameip && (p.intf === 'lo' || (p.family === 4 ? addr4(p, true) !== addr4(p, false) : p.src !== p.dst))) return false;
    if (s.ipopts !== null) {
      if (!p.ipOpts) return false;
      if (s.ipopts !== 'any' && !ipOptionKeywords(this.#ipOptions, p.ipOpts).has(s.ipopts)) return false;
    }
    return true;
  }

  #dsizeOk(p: SigPacket, s: Compiled): boolean {
    const d = this.#dsize(p, s);
    return (!s.dsize || inRange(s.dsize, d)) && (!s.psadDsize || inRange(s.psadDsize, d));
  }

  /** Payload size as psad estimates it from the lengths in the log line (own mode: real header lengths). */
  #dsize(p: SigPacket, s: Compiled): number {
    if (this.#compat) {
      if (s.proto === 'tcp') return p.ipLen - IP_HEADER - TCP_HEADER - (hasSyn(p.flagsText) ? TCP_MAX_OPTS : 0);
      if (s.proto === 'udp') return p.udpLen - UDP_HEADER;
      return p.ipLen - IP_HEADER - PSAD_ICMP_HEADER;
    }
    const ipHeader = p.family === 6 ? 40 : IP_HEADER + Math.ceil(p.ipOpts.length / 2 / 4) * 4;
    if (s.proto === 'tcp') {
      const opts = p.tcpOptsLen >= 0 ? Math.ceil(p.tcpOptsLen / 4) * 4 : hasSyn(p.flagsText) ? TCP_MAX_OPTS : 0;
      return p.ipLen - ipHeader - TCP_HEADER - opts;
    }
    if (s.proto === 'udp') return (p.udpLen >= 0 ? p.udpLen : p.ipLen - ipHeader) - UDP_HEADER;
    return p.ipLen - ipHeader - 8;
  }
}
