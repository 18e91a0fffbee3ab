// The events that flow from sources into the pure stages: one firewall-logged packet, and log-health notices.

import type { Family } from './address.ts';
import { interned } from './interned.ts';

/** TCP flag bits, as the kernel's LOG target names them. */
export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

/** Kernel LOG print order of the flags (nf_log_syslog.c): CWR ECE URG ACK PSH RST SYN FIN. */
const FLAG_NAMES = ['CWR', 'ECE', 'URG', 'ACK', 'PSH', 'RST', 'SYN', 'FIN'] as const;
const FLAG_BITS = [0x80, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02, 0x01] as const;

function renderFlags(mask: number): string {
  if (mask === 0) return 'NULL';
  let s = '';
  // indexed: this runs at start-up, before anything is optimized, where for…of over pairs allocated per flag
  for (let i = 0; i < FLAG_NAMES.length; i++) {
    if (mask & FLAG_BITS[i]!) s = s.length ? `${s} ${FLAG_NAMES[i]!}` : FLAG_NAMES[i]!;
  }
  return s;
}

/**
 * flagsText of every 8-bit mask, built once and internalized (see interned): the engine looks each packet's text up
 * here and the scan table numbers all 256. Built twice, per table, it had flagsText called often enough at start-up
 * for V8 to spend ~5 ms optimizing it.
 */
export const FLAG_TEXTS: readonly string[] = ((): string[] => {
  const out: string[] = [];
  for (let m = 0; m < 256; m++) out.push(interned(renderFlags(m)));
  return out;
})();

/** Renders a flag mask as psad shows it: names in kernel order separated by spaces, "NULL" for none. */
export function flagsText(mask: number): string {
  return mask >= 0 && mask < 256 ? FLAG_TEXTS[mask]! : renderFlags(mask);
}

/** Chain as psad infers it from the interfaces: IN only → INPUT, both → FORWARD, OUT only → OUTPUT. */
export type Chain = 'INPUT' | 'OUTPUT' | 'FORWARD';

/** Where the line's time came from; 'inherited' means the header could not be read and the previous line's time was used. */
export type TimeSource = 'syslog' | 'iso' | 'rfc5424' | 'journal' | 'dmesg' | 'ulogd' | 'inherited' | 'none';

/** IP protocol numbers probewatch names. */
export const Proto = {
  ICMP: 1,
  IGMP: 2,
  TCP: 6,
  UDP: 17,
  ICMPV6: 58,
  UDPLITE: 136,
  SCTP: 132,
} as const;

/** Lowercase protocol name as psad spells it in reports and IGNORE_PROTOCOLS (tcp, udp, icmp, icmp6, udplite, or the number). */
export function protoName(proto: number): string {
  switch (proto) {
    case 6: return 'tcp';
    case 17: return 'udp';
    case 1: return 'icmp';
    case 58: return 'icmp6';
    case 136: return 'udplite';
    default: return String(proto);
  }
}

/**
 * One packet as a firewall LOG line describes it. Produced by `logs/`, consumed by `detect/` and, for SYNs logged with
 * TCP options, by `fingerprint/`. Optional fields are absent when the line did not carry them.
 */
export interface PacketEvent {
  /** Event time, milliseconds since the epoch (from the line, never the wall clock, except `timeSource: 'none'`). */
  time: number;
  /** How `time` was obtained. */
  timeSource: TimeSource;
  /** Syslog host that wrote the line ("unknown" when the header has none), or the sending sensor for remote syslog. */
  host: string;
  /** The log prefix (e.g. "DROP", "[UFW BLOCK]"), trimmed, kernel uptime stamp removed. */
  prefix: string;
  /** Chain inferred from IN=/OUT= as psad does. */
  chain: Chain;
  /** IN= interface ("" when empty). */
  inIf: string;
  /** OUT= interface ("" when empty). */
  outIf: string;
  /** PHYSIN= bridge port, when logged. */
  physIn?: string;
  /** PHYSOUT= bridge port, when logged. */
  physOut?: string;
  /** MAC= field as logged (dst:src:type hex), when present. */
  mac?: string;
  /** 4 or 6 (IPv6 lines carry TC/HOPLIMIT/FLOWLBL). */
  family: Family;
  /** Source address, canonical text (RFC 5952 for IPv6). */
  src: string;
  /** Destination address, canonical text. */
  dst: string;
  /** IP total length (LEN=, the first one on the line). */
  len: number;
  /** IPv4 TOS byte (TOS=), or the IPv6 traffic class (TC=). */
  tos: number;
  /** IPv4 PREC= byte, when logged. */
  prec?: number;
  /** IPv4 TTL or IPv6 HOPLIMIT. */
  ttl: number;
  /** IPv4 ID= (0 for IPv6 unless a fragment header was logged). */
  ipId: number;
  /** IPv4 DF flag. */
  df: boolean;
  /** IPv4 MF flag. */
  mf: boolean;
  /** IPv4 CE flag (the reserved bit, "CE" in LOG output). */
  ce: boolean;
  /** IPv4 fragment offset (FRAG=), when logged. */
  fragOffset?: number;
  /** IPv6 flow label (FLOWLBL=). */
  flowLabel?: number;
  /** IP options as hex ("OPT (…)" before PROTO=), from --log-ip-options; "" when logged empty. */
  ipOptions?: string;
  /** Number of "OPT ( )" groups before PROTO= (psad's Topera test counts empty ones). */
  ipOptGroups: number;
  /** IP protocol number. */
  proto: number;
  /** Source port (TCP/UDP/UDPLITE/SCTP). */
  sport?: number;
  /** Destination port. */
  dport?: number;
  /** TCP window (WINDOW=). */
  window?: number;
  /** TCP reserved bits (RES=). */
  res?: number;
  /** TCP flag mask (see TcpFlag). */
  flags?: number;
  /** TCP urgent pointer (URGP=). */
  urgp?: number;
  /** TCP sequence number (SEQ=, from --log-tcp-sequence). */
  seq?: number;
  /** TCP acknowledgement number (ACK=). */
  ack?: number;
  /** TCP options as hex ("URGP=n OPT (…)"), from --log-tcp-options. */
  tcpOptions?: string;
  /** ICMP / ICMPv6 type. */
  icmpType?: number;
  /** ICMP / ICMPv6 code. */
  icmpCode?: number;
  /** ICMP echo id. */
  icmpId?: number;
  /** ICMP echo sequence. */
  icmpSeq?: number;
  /** UDP length (the LEN= after DPT=). */
  udpLen?: number;
  /** UID= (locally generated packets, --log-uid). */
  uid?: number;
  /** GID=. */
  gid?: number;
  /** MARK= (hex in the log). */
  mark?: number;
  /** fwsnort SID from a "SID<n>" prefix, when present. */
  sid?: number;
  /** 1-based line number in its source (file, journal, stream), for error reports. */
  line: number;
  /**
   * The IPv4 source as an unsigned 32-bit number when the reader had it at hand (absent or -1 otherwise): saves
   * detection turning the text back into a number.
   */
  srcV4?: number;
  /** The IPv4 destination the same way. */
  dstV4?: number;
}

/** A non-packet line that says packets may have been lost (kernel or syslog rate limiting). */
export interface LossNotice {
  /** 'callbacks-suppressed' (kernel printk ratelimit), 'repeated' (syslog "last message repeated N times"), 'journal-suppressed'. */
  kind: 'callbacks-suppressed' | 'repeated' | 'journal-suppressed';
  /** How many messages the notice says were dropped or folded. */
  count: number;
  /** Event time in ms. */
  time: number;
  /** Line number. */
  line: number;
}
