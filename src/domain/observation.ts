// The header facts of one TCP segment that passive OS fingerprinting needs, whether it came off the wire or from a log line.

/** Where an observation came from: a pcap/pcapng file, a live interface, or a firewall LOG line with TCP options. */
export type ObservationVia = 'pcap' | 'live' | 'log';

/**
 * One TCP segment as the fingerprinting engine sees it: the raw facts, no interpretation (quirks, option layout and
 * matching are the fingerprint stage's job, so the same rules run on captured frames and on log lines).
 *
 * SYN and SYN+ACK segments are fingerprinted; the others (ACK, FIN, RST) only keep p0f's flow table in step.
 * Decoders fill one reusable object per packet whose addresses and options are offsets into the frame's own buffer
 * (nothing is copied or allocated per packet): a consumer that keeps an observation past the callback must copy it
 * (`copyObservation`).
 */
export interface SynObservation {
  /** Packet time, milliseconds since the epoch (capture timestamp or log line time). */
  time: number;
  /** Sub-millisecond part of the capture timestamp in microseconds (0–999), for exact re-emission. */
  timeMicros: number;
  /** 4 or 6. */
  family: 4 | 6;
  /** The bytes the offsets below point into: the captured frame, or a small buffer built from a log line. */
  buf: Uint8Array;
  /** Offset of the source address in `buf` (4 bytes for IPv4, 16 for IPv6, network order). */
  srcOff: number;
  /** Offset of the destination address in `buf`. */
  dstOff: number;
  /** TCP source port. */
  sport: number;
  /** TCP destination port. */
  dport: number;
  /** IPv4 TTL or IPv6 hop limit as received. */
  ttl: number;
  /** IPv4 TOS byte or IPv6 traffic class, all 8 bits (DSCP in the top six, ECN in the low two). */
  tos: number;
  /** Whether the ECN bits of `tos` are known (false for IPv4 log lines, which log TOS without ECN). */
  ecnKnown: boolean;
  /** IPv4 header option bytes (IHL×4 − 20); 0 for IPv6. */
  ipOptLen: number;
  /** IPv4 don't-fragment flag. */
  df: boolean;
  /** IPv4 reserved ("must be zero", "evil") flag. */
  mbz: boolean;
  /** IPv4 identification field; 0 for IPv6. */
  ipId: number;
  /** IPv6 flow label (20 bits); 0 for IPv4. */
  flowLabel: number;
  /** Bytes of IPv6 extension headers skipped before TCP (0 for IPv4 and for plain IPv6). */
  extHeaderLen: number;
  /** IP header (with options or extension headers) plus TCP header, in bytes: p0f's "actual header size" for MTU divisors. */
  headerLen: number;
  /** TCP flags byte (FIN 0x01 … CWR 0x80). */
  flags: number;
  /** The TCP NS bit (lowest bit of the data-offset byte), which p0f counts as ECN. */
  ns: boolean;
  /** Sequence number; null when unknown (log lines without --log-tcp-sequence). */
  seq: number | null;
  /** Acknowledgement number as an unsigned 32-bit value; null when unknown (log lines without --log-tcp-sequence). */
  ack: number | null;
  /** Urgent pointer. */
  urg: number;
  /** Raw (unscaled) TCP window. */
  win: number;
  /** TCP payload bytes. */
  payloadLen: number;
  /** Offset of the TCP option bytes in `buf`, exactly as on the wire. */
  optOff: number;
  /** Number of option bytes (data offset × 4 − 20). */
  optLen: number;
  /** Where the observation came from. */
  via: ObservationVia;
  /** Interface the packet arrived on, when known (live capture, IN= of a log line). */
  iface: string;
}

/** TCP flag bits used by fingerprinting. */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

/** A blank observation to be filled by a decoder (reuse one per reader to avoid per-packet allocation). */
export function emptyObservation(via: ObservationVia): SynObservation {
  return {
    time: 0, timeMicros: 0, family: 4, buf: new Uint8Array(8), srcOff: 0, dstOff: 4, sport: 0, dport: 0, ttl: 0, tos: 0,
    ecnKnown: true, ipOptLen: 0, df: false, mbz: false, ipId: 0, flowLabel: 0, extHeaderLen: 0, headerLen: 40, flags: 0,
    ns: false, seq: 0, ack: 0, urg: 0, win: 0, payloadLen: 0, optOff: 8, optLen: 0, via, iface: '',
  };
}

/** Source address bytes (a view: valid while `o.buf` is). */
export function obsSrc(o: SynObservation): Uint8Array {
  return o.buf.subarray(o.srcOff, o.srcOff + (o.family === 4 ? 4 : 16));
}

/** Destination address bytes (a view). */
export function obsDst(o: SynObservation): Uint8Array {
  return o.buf.subarray(o.dstOff, o.dstOff + (o.family === 4 ? 4 : 16));
}

/** TCP option bytes (a view). */
export function obsOptions(o: SynObservation): Uint8Array {
  return o.buf.subarray(o.optOff, o.optOff + o.optLen);
}

/** A copy that no longer aliases the decoder's buffer (only the address and option bytes are kept). */
export function copyObservation(o: SynObservation): SynObservation {
  const n = o.family === 4 ? 4 : 16;
  const buf = new Uint8Array(2 * n + o.optLen);
  buf.set(obsSrc(o), 0);
  buf.set(obsDst(o), n);
  buf.set(obsOptions(o), 2 * n);
  return { ...o, buf, srcOff: 0, dstOff: n, optOff: 2 * n };
}
