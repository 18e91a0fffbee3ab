// The parsed form of a psad-format signature (a Snort rule reduced to what a firewall log line shows).
import type { Cidr } from '../../domain/address.ts';

/** An inclusive integer range, possibly negated ("!80", ">220", "1024:"). */
export interface IntRange {
  /** Lowest value that matches (or, negated, that does not). */
  lo: number;
  /** Highest value. */
  hi: number;
  /** Negated: the value must lie outside [lo, hi]. */
  neg: boolean;
}

/** Whether a value satisfies the range (psad's check_sig_int_range; negative values count as 0). */
export function inRange(r: IntRange, value: number): boolean {
  const v = value < 0 ? 0 : value;
  const inside = v >= r.lo && v <= r.hi;
  return r.neg ? !inside : inside;
}

/** Source or destination of a rule: every address, or a list of networks (optionally negated). */
export interface AddrSpec {
  /** True for "any". */
  any: boolean;
  /** Networks (empty when any). */
  nets: Cidr[];
  /** Negated list ("!$HOME_NET", probewatch's own mode only). */
  neg: boolean;
}

/** TCP flags criterion. */
export interface FlagSpec {
  /** psad's flag string ("SYN", "URG PSH FIN", "" for Snort's "0"), compared with `eq` in compatibility mode. */
  psad: string;
  /** Required flag bits (TcpFlag mask). */
  mask: number;
  /** Bits ignored in the comparison (",12" / ",CE" → CWR and ECE). */
  ignore: number;
  /** Snort modifier: "" exact, "+" these and any others, "*" any of these, "!" none of these. */
  mod: '' | '+' | '*' | '!';
}

/** Protocols psad signatures may name. */
export type SigProto = 'tcp' | 'udp' | 'icmp' | 'ip';

/** One signature. */
export interface Signature {
  /** The id hits are filed under: the Snort sid, or psad_id when the rule has no sid. */
  sid: number;
  /** psad_id. */
  psadId: number;
  /** Whether `sid` is a psad_id (rule derived from several Snort rules). */
  isPsadId: boolean;
  /** msg. */
  msg: string;
  /** classtype ("" when absent). */
  classtype: string;
  /** Danger level: psad_dl, else the classtype's priority, else 2. */
  dl: number;
  /** Protocol. */
  proto: SigProto;
  /** Addresses. */
  src: AddrSpec;
  dst: AddrSpec;
  /** Ports. */
  sp: IntRange;
  dp: IntRange;
  /** Keyword criteria (absent = not tested). */
  flags?: FlagSpec;
  dsize?: IntRange;
  psadDsize?: IntRange;
  psadIpLen?: IntRange;
  ttl?: IntRange;
  id?: IntRange;
  window?: IntRange;
  seq?: IntRange;
  ack?: IntRange;
  itype?: IntRange;
  icode?: IntRange;
  icmpSeq?: IntRange;
  icmpId?: IntRange;
  /** ipopts keyword ("any" or an ip_options keyword). */
  ipopts?: string;
  /** sameip. */
  sameip: boolean;
  /** References as "type,value". */
  references: string[];
  /** psad_derived_sids. */
  derivedSids: number[];
  /** 1-based line in the signatures file. */
  line: number;
}
