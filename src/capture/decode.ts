// Frame → SynObservation without copying packet data: link layer, IPv4 (with options), IPv6 (with extension headers), TCP.
import type { SynObservation } from '../domain/observation.ts';
import { LinkType } from './link.ts';

/** Outcome of decoding one frame (the low 7 bits of decodeFrame's result). */
export const Decode = {
  /** A TCP segment; the observation is filled. */
  OK: 0,
  /** The link payload is not IPv4/IPv6 (ARP, LLDP, …). */
  NOT_IP: 1,
  /** IP, but not TCP. */
  NOT_TCP: 2,
  /** An IP fragment: skipped, as p0f does. */
  FRAGMENT: 3,
  /** Shorter than its headers claim: snaplen-cut or truncated frame. Counted as a decode error. */
  TRUNCATED: 4,
  /** A nonsensical IP header (IHL below 5, bad version for the link). Counted as a decode error. */
  BAD_IP: 5,
  /** TCP data offset below 5 words or past the end of the packet. Counted as a decode error. */
  BAD_TCP: 6,
  /** A link type without a decoder. */
  UNSUPPORTED_LINK: 7,
  /** IPv6 headers that hide the TCP header (ESP, no-next-header, or too many extension headers). */
  IPV6_OPAQUE: 8,
} as const;

/** Set in decodeFrame's result when p0f's own capture filter ("tcp") would have passed the frame. */
export const P0F_COUNTED = 0x80;

/** Names of the outcomes, for statistics. */
export const DECODE_NAMES = ['ok', 'not-ip', 'not-tcp', 'fragment', 'truncated', 'bad-ip-header', 'bad-tcp-header', 'unsupported-link', 'ipv6-opaque'] as const;

/** Whether an outcome counts as a decode error (as opposed to traffic that is simply not a TCP segment). */
export function isDecodeError(status: number): boolean {
  return status === Decode.TRUNCATED || status === Decode.BAD_IP || status === Decode.BAD_TCP || status === Decode.UNSUPPORTED_LINK;
}

const MIN_TCP4 = 40;
const MIN_TCP6 = 60;
const SNAPLEN = 65535;
const MAX_EXT_HEADERS = 8;

/** Offset of the IP header after the link header, or -1 (not IP) / -2 (truncated) / -3 (unsupported link). */
function ipOffset(lt: number, b: Uint8Array, len: number): number {
  switch (lt) {
    case LinkType.EN10MB: {
      if (len < 14) return -2;
      let off = 12;
      let type = (b[off]! << 8) | b[off + 1]!;
      // 802.1Q, 802.1ad (QinQ) and the old 0x9100 tag, any number of them
      while (type === 0x8100 || type === 0x88a8 || type === 0x9100) {
        off += 4;
        if (off + 2 > len) return -2;
        type = (b[off]! << 8) | b[off + 1]!;
      }
      return type === 0x0800 || type === 0x86dd ? off + 2 : -1;
    }
    case LinkType.LINUX_SLL: {
      if (len < 16) return -2;
      const type = (b[14]! << 8) | b[15]!;
      return type === 0x0800 || type === 0x86dd ? 16 : -1;
    }
    case LinkType.LINUX_SLL2: {
      if (len < 20) return -2;
      const type = (b[0]! << 8) | b[1]!;
      return type === 0x0800 || type === 0x86dd ? 20 : -1;
    }
    case LinkType.NULL:
    case LinkType.LOOP: {
      // the family is host-order on NULL and network-order on LOOP; the IP version nibble is decisive either way
      if (len < 4) return -2;
      return 4;
    }
    case LinkType.RAW:
    case LinkType.RAW_12:
    case LinkType.RAW_14:
    case LinkType.IPV4:
    case LinkType.IPV6:
      return 0;
    default:
      return -3;
  }
}

/**
 * Decodes one captured frame into `o` (reused: its address and option offsets point into `b`). `caplen` is the
 * captured length, `wirelen` the original one. Returns a Decode value, with P0F_COUNTED or-ed in when p0f's capture
 * filter would have counted the frame (its packet counter drives cache expiry). Never throws on malformed input.
 *
 * The IP-level sanity checks are p0f's (process.c parse_packet), so the same segments are fingerprinted.
 */
export function decodeFrame(lt: number, b: Uint8Array, caplen: number, wirelen: number, o: SynObservation): number {
  let len = Math.min(caplen, wirelen, b.length);
  if (len > SNAPLEN) len = SNAPLEN;
  const ipOff = ipOffset(lt, b, len);
  if (ipOff < 0) return ipOff === -1 ? Decode.NOT_IP : ipOff === -2 ? Decode.TRUNCATED : Decode.UNSUPPORTED_LINK;
  let plen = len - ipOff;
  if (plen < 1) return Decode.TRUNCATED;
  const ver = b[ipOff]! >> 4;
  let tcpOff: number;

  if (ver === 4) {
    if (plen < 20) return Decode.TRUNCATED;
    const counted = b[ipOff + 9] === 6 ? P0F_COUNTED : 0;
    if (plen < MIN_TCP4) return Decode.TRUNCATED | counted;
    const hdrLen = (b[ipOff]! & 0x0f) * 4;
    const flagsOff = (b[ipOff + 6]! << 8) | b[ipOff + 7]!;
    const totLen = (b[ipOff + 2]! << 8) | b[ipOff + 3]!;
    // honour a shorter IP length than the frame (etherleak padding), refuse a longer one (cut by snaplen)
    if (plen > totLen) plen = totLen;
    if (plen < MIN_TCP4) return Decode.TRUNCATED | counted;
    if (hdrLen < 20) return Decode.BAD_IP | counted;
    if (totLen > plen) return Decode.TRUNCATED | counted;
    if (hdrLen + 20 > plen) return Decode.TRUNCATED | counted;
    if (b[ipOff + 9] !== 6) return Decode.NOT_TCP;
    if (flagsOff & ~0xc000) return Decode.FRAGMENT | counted;
    o.family = 4;
    o.buf = b;
    o.srcOff = ipOff + 12;
    o.dstOff = ipOff + 16;
    o.tos = b[ipOff + 1]!;
    o.ecnKnown = true;
    o.ttl = b[ipOff + 8]!;
    o.ipOptLen = hdrLen - 20;
    o.df = (flagsOff & 0x4000) !== 0;
    o.mbz = (flagsOff & 0x8000) !== 0;
    o.ipId = (b[ipOff + 4]! << 8) | b[ipOff + 5]!;
    o.flowLabel = 0;
    o.extHeaderLen = 0;
    tcpOff = ipOff + hdrLen;
    plen -= hdrLen;
    o.headerLen = hdrLen;
    return decodeTcp(b, tcpOff, plen, o, counted);
  }

  if (ver === 6) {
    if (plen < 40) return Decode.TRUNCATED;
    let next = b[ipOff + 6]!;
    const counted = next === 6 || (next === 44 && plen > 40 && b[ipOff + 40] === 6) ? P0F_COUNTED : 0;
    const totLen = ((b[ipOff + 4]! << 8) | b[ipOff + 5]!) + 40;
    if (plen > totLen) plen = totLen;
    if (plen < MIN_TCP6) return Decode.TRUNCATED | counted;
    if (totLen > plen) return Decode.TRUNCATED | counted;
    // walk extension headers (p0f stops at the first one; probewatch reads through them)
    let off = ipOff + 40;
    let ext = 0;
    let hops = 0;
    while (next !== 6) {
      if (++hops > MAX_EXT_HEADERS) return Decode.IPV6_OPAQUE | counted;
      if (next === 0 || next === 43 || next === 60 || next === 135 || next === 139 || next === 140) {
        if (off + 8 > ipOff + plen) return Decode.TRUNCATED | counted;
        const hl = (b[off + 1]! + 1) * 8;
        next = b[off]!;
        off += hl;
        ext += hl;
      } else if (next === 51) {
        if (off + 8 > ipOff + plen) return Decode.TRUNCATED | counted;
        const hl = (b[off + 1]! + 2) * 4;
        next = b[off]!;
        off += hl;
        ext += hl;
      } else if (next === 44) {
        return Decode.FRAGMENT | counted;
      } else if (next === 50 || next === 59) {
        return Decode.IPV6_OPAQUE | counted;
      } else {
        return Decode.NOT_TCP | counted;
      }
    }
    if (off + 20 > ipOff + plen) return Decode.TRUNCATED | counted;
    const vt = ((b[ipOff]! << 24) | (b[ipOff + 1]! << 16) | (b[ipOff + 2]! << 8) | b[ipOff + 3]!) >>> 0;
    o.family = 6;
    o.buf = b;
    o.srcOff = ipOff + 8;
    o.dstOff = ipOff + 24;
    o.tos = (vt >>> 20) & 0xff;
    o.ecnKnown = true;
    o.ttl = b[ipOff + 7]!;
    o.ipOptLen = 0;
    o.df = false;
    o.mbz = false;
    o.ipId = 0;
    o.flowLabel = vt & 0xfffff;
    o.extHeaderLen = ext;
    o.headerLen = 40 + ext;
    return decodeTcp(b, off, plen - 40 - ext, o, counted);
  }
  return Decode.NOT_IP;
}

function decodeTcp(b: Uint8Array, t: number, plen: number, o: SynObservation, counted: number): number {
  const doff = (b[t + 12]! >> 4) * 4;
  if (doff < 20) return Decode.BAD_TCP | counted;
  if (doff > plen) return Decode.BAD_TCP | counted;
  o.sport = (b[t]! << 8) | b[t + 1]!;
  o.dport = (b[t + 2]! << 8) | b[t + 3]!;
  o.seq = ((b[t + 4]! << 24) | (b[t + 5]! << 16) | (b[t + 6]! << 8) | b[t + 7]!) >>> 0;
  o.ack = ((b[t + 8]! << 24) | (b[t + 9]! << 16) | (b[t + 10]! << 8) | b[t + 11]!) >>> 0;
  o.ns = (b[t + 12]! & 1) !== 0;
  o.flags = b[t + 13]!;
  o.win = (b[t + 14]! << 8) | b[t + 15]!;
  o.urg = (b[t + 18]! << 8) | b[t + 19]!;
  o.optOff = t + 20;
  o.optLen = doff - 20;
  o.payloadLen = plen - doff;
  o.headerLen += doff;
  return Decode.OK | counted;
}
