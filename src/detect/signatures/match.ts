// Matching packets against psad signatures (match_sigs / match_snort_*_keywords, psad:2086-2560), indexed by protocol
// and destination port so a packet is tested against a handful of rules, not all of them.
import { cidrContains } from '../../domain/address.ts';
import type { ParsedIp } from '../../domain/address.ts';
import { ipOptionKeywords } from '../data/ip-options.ts';
import type { IpOptionTable } from '../data/ip-options.ts';
import { inRange } from './types.ts';
import type { AddrSpec, FlagSpec, Signature } from './types.ts';

/** The packet fields signatures look at; `srcIp`/`dstIp` are parsed lazily by the caller. */
export interface SigPacket {
  family: 4 | 6;
  src: string;
  dst: string;
  srcIp: () => ParsedIp;
  dstIp: () => ParsedIp;
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
}

/** A matching signature and the level it assigns (after snort_rule_dl; 0 = ignore the packet). */
export interface SigMatch {
  sig: Signature;
  dl: number;
}

/** psad's header-length constants (psad:643-647). */
const IP_HEADER = 20;
const TCP_HEADER = 20;
const TCP_MAX_OPTS = 44;
const UDP_HEADER = 8;
const PSAD_ICMP_HEADER = 4;

function addrMatches(spec: AddrSpec, ip: () => ParsedIp): boolean {
  if (spec.any) return true;
  const p = ip();
  let inside = false;
  for (const n of spec.nets) {
    if (cidrContains(n, p)) {
      inside = true;
      break;
    }
  }
  return spec.neg ? !inside : inside;
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

/** The signatures of one file, compiled for matching. */
export class SignatureSet {
  readonly #compat: boolean;
  readonly #ruleDl: ReadonlyMap<number, number>;
  readonly #ipOptions: IpOptionTable;
  /** tcp/udp rules with one exact destination port, by protocol then port. */
  readonly #byPort = new Map<string, Map<number, Signature[]>>();
  /** Other rules by protocol (icmp, ip, and tcp/udp with port ranges). */
  readonly #rest = new Map<string, Signature[]>();
  readonly #all: readonly Signature[];
  readonly #bySid = new Map<number, Signature>();

  constructor(sigs: readonly Signature[], opts: { compat: boolean; ruleDl: ReadonlyMap<number, number>; ipOptions: IpOptionTable }) {
    this.#compat = opts.compat;
    this.#ruleDl = opts.ruleDl;
    this.#ipOptions = opts.ipOptions;
    this.#all = sigs;
    for (const s of sigs) {
      this.#bySid.set(s.sid, s);
      if ((s.proto === 'tcp' || s.proto === 'udp') && !s.dp.neg && s.dp.lo === s.dp.hi) {
        let m = this.#byPort.get(s.proto);
        if (!m) this.#byPort.set(s.proto, (m = new Map()));
        const list = m.get(s.dp.lo);
        if (list) list.push(s);
        else m.set(s.dp.lo, [s]);
      } else {
        const list = this.#rest.get(s.proto);
        if (list) list.push(s);
        else this.#rest.set(s.proto, [s]);
      }
    }
  }

  get size(): number {
    return this.#all.length;
  }

  /** Looks a signature up by the id its hits are filed under. */
  bySid(sid: number): Signature | undefined {
    return this.#bySid.get(sid);
  }

  /** psad's assign_sid_dl (psad:3041): snort_rule_dl overrides the rule's own level. */
  levelOf(sid: number, dl: number): number {
    return this.#ruleDl.get(sid) ?? dl;
  }

  /** Appends every matching signature of the packet's protocol and of "ip" to `out`. */
  match(p: SigPacket, out: SigMatch[]): void {
    this.#matchProto(p, p.proto, out);
    // psad never matches "ip" rules on IPv6 packets (match_snort_ip_keywords returns early for them); own mode does
    if (!(this.#compat && p.family === 6)) this.#matchProto(p, 'ip', out);
  }

  #matchProto(p: SigPacket, proto: string, out: SigMatch[]): void {
    if (proto === 'tcp' || proto === 'udp') {
      const exact = this.#byPort.get(proto)?.get(p.dp);
      if (exact) for (const s of exact) this.#test(p, s, out);
    }
    const rest = this.#rest.get(proto);
    if (rest) for (const s of rest) this.#test(p, s, out);
  }

  #test(p: SigPacket, s: Signature, out: SigMatch[]): void {
    if (s.proto === 'tcp' || s.proto === 'udp') {
      if (!inRange(s.sp, p.sp) || !inRange(s.dp, p.dp)) return;
    }
    if (!addrMatches(s.src, p.srcIp) || !addrMatches(s.dst, p.dstIp)) return;
    if (!this.#ipKeywords(p, s)) return;
    const dsize = this.#dsize(p, s);
    if (s.proto === 'tcp') {
      if (s.flags) {
        if (this.#compat ? p.flagsText !== s.flags.psad : !flagsMatch(s.flags, p.flags)) return;
      }
      if (s.dsize && !inRange(s.dsize, dsize)) return;
      if (s.psadDsize && !inRange(s.psadDsize, dsize)) return;
      if (s.window && !inRange(s.window, p.window)) return;
      if (s.seq && !inRange(s.seq, p.tcpSeq)) return;
      if (s.ack && !inRange(s.ack, p.tcpAck)) return;
    } else if (s.proto === 'udp') {
      if (s.dsize && !inRange(s.dsize, dsize)) return;
      if (s.psadDsize && !inRange(s.psadDsize, dsize)) return;
    } else if (s.proto === 'icmp') {
      if (s.dsize && !inRange(s.dsize, dsize)) return;
      if (s.psadDsize && !inRange(s.psadDsize, dsize)) return;
      if (s.itype && !inRange(s.itype, p.itype)) return;
      if (s.icode && !inRange(s.icode, p.icode)) return;
      if (s.icmpSeq && !inRange(s.icmpSeq, p.icmpSeq)) return;
      if (s.icmpId && !inRange(s.icmpId, p.icmpId)) return;
    }
    out.push({ sig: s, dl: this.levelOf(s.sid, s.dl) });
  }

  /** psad's match_snort_ip_keywords (psad:2499); psad skips them all for IPv6, own mode applies them (TTL = hop limit). */
  #ipKeywords(p: SigPacket, s: Signature): boolean {
    if (this.#compat && p.family === 6) return s.proto !== 'ip';
    if (s.ttl && !inRange(s.ttl, p.ttl)) return false;
    if (s.id && !inRange(s.id, p.ipId)) return false;
    if (s.psadIpLen && !inRange(s.psadIpLen, p.ipLen)) return false;
    if (s.sameip && (p.intf === 'lo' || p.src !== p.dst)) return false;
    if (s.ipopts !== undefined) {
      if (!p.ipOpts) return false;
      if (s.ipopts !== 'any' && !ipOptionKeywords(this.#ipOptions, p.ipOpts).has(s.ipopts)) return false;
    }
    return true;
  }

  /** Payload size as psad estimates it from the lengths in the log line (own mode: real header lengths). */
  #dsize(p: SigPacket, s: Signature): number {
    if (!s.dsize && !s.psadDsize) return 0;
    if (this.#compat) {
      if (s.proto === 'tcp') return p.ipLen - IP_HEADER - TCP_HEADER - (p.flagsText.includes('SYN') ? TCP_MAX_OPTS : 0);
      if (s.proto === 'udp') return p.udpLen - UDP_HEADER;
      return p.ipLen - IP_HEADER - PSAD_ICMP_HEADER;
    }
    const ipHeader = p.family === 6 ? 40 : IP_HEADER + Math.ceil(p.ipOpts.length / 2 / 4) * 4;
    if (s.proto === 'tcp') {
      const opts = p.tcpOptsLen >= 0 ? Math.ceil(p.tcpOptsLen / 4) * 4 : p.flagsText.includes('SYN') ? TCP_MAX_OPTS : 0;
      return p.ipLen - ipHeader - TCP_HEADER - opts;
    }
    if (s.proto === 'udp') return (p.udpLen >= 0 ? p.udpLen : p.ipLen - ipHeader) - UDP_HEADER;
    return p.ipLen - ipHeader - 8;
  }
}
