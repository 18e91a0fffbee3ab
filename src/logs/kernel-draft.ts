// The packet being read from one line (a reused, fixed-shape record), field bits, and the completeness rules.
//
// Completeness follows what the kernel prints (nf_log_syslog.c): transport fields are required only for a protocol
// it names (PROTO=TCP, not PROTO=6 — the numeric form means it printed nothing more), not in a non-first fragment and
// not after "INCOMPLETE [n bytes]". Field print order tells a line cut short ('truncated': everything from the first
// missing field on is absent) from one with a hole in it ('missing-field').
import type { Chain, PacketEvent } from '../domain/events.ts';
import type { ErrorReason } from './parse-types.ts';
import { protoLabel } from './kernel-values.ts';

export const F_IN = 1 << 0;
export const F_OUT = 1 << 1;
export const F_SRC = 1 << 2;
export const F_DST = 1 << 3;
export const F_LEN = 1 << 4;
export const F_TOS = 1 << 5;
export const F_PREC = 1 << 6;
export const F_TTL = 1 << 7;
export const F_ID = 1 << 8;
export const F_TC = 1 << 9;
export const F_HOP = 1 << 10;
export const F_FLOW = 1 << 11;
export const F_PROTO = 1 << 12;
export const F_SPT = 1 << 13;
export const F_DPT = 1 << 14;
export const F_SEQ = 1 << 15;
export const F_ACK = 1 << 16;
export const F_WIN = 1 << 17;
export const F_RES = 1 << 18;
export const F_URGP = 1 << 19;
export const F_TYPE = 1 << 20;
export const F_CODE = 1 << 21;
export const F_L4ID = 1 << 22;
export const F_L4SEQ = 1 << 23;
export const F_ULEN = 1 << 24;
export const F_UID = 1 << 25;
export const F_GID = 1 << 26;
export const F_MARK = 1 << 27;
export const F_MAC = 1 << 28;
export const F_PHYSIN = 1 << 29;
export const F_PHYSOUT = 1 << 30;

/** Kernel print position and name of each field bit. */
const ORDER: readonly (readonly [number, number, string])[] = [
  [F_IN, 1, 'IN'], [F_OUT, 2, 'OUT'], [F_SRC, 4, 'SRC'], [F_DST, 5, 'DST'], [F_LEN, 6, 'LEN'], [F_TOS, 7, 'TOS'],
  [F_TC, 7, 'TC'], [F_PREC, 8, 'PREC'], [F_TTL, 9, 'TTL'], [F_HOP, 9, 'HOPLIMIT'], [F_ID, 10, 'ID'], [F_FLOW, 10, 'FLOWLBL'],
  [F_PROTO, 13, 'PROTO'], [F_SPT, 14, 'SPT'], [F_TYPE, 14, 'TYPE'], [F_DPT, 15, 'DPT'], [F_CODE, 15, 'CODE'],
  [F_ULEN, 16, 'LEN'], [F_L4ID, 16, 'ID'], [F_SEQ, 16, 'SEQ'], [F_L4SEQ, 17, 'SEQ'], [F_ACK, 17, 'ACK'],
  [F_WIN, 18, 'WINDOW'], [F_RES, 19, 'RES'], [F_URGP, 21, 'URGP'], [F_UID, 23, 'UID'], [F_GID, 24, 'GID'], [F_MARK, 25, 'MARK'],
];

/** The kernel's name of a field bit ("SPT", "WINDOW", …). */
export function fieldName(bit: number): string {
  for (const [b, , name] of ORDER) if (b === bit) return name;
  return '?';
}

/** Print position by bit index (31 - clz32(bit)); 0 for bits outside the order (MAC, PHYS*). */
export const ORDER_BY_BIT = new Uint8Array(32);
for (const [b, o] of ORDER) ORDER_BY_BIT[31 - Math.clz32(b)] = o;

/** What the scanner has read so far from one line; reset() before each line. `undefined` = not logged. */
export class PacketDraft {
  seen = 0;
  maxOrder = 0;
  inIf = '';
  outIf = '';
  physIn: string | undefined = undefined;
  physOut: string | undefined = undefined;
  mac: string | undefined = undefined;
  macSrc = '';
  macDst = '';
  macProto = '';
  src = '';
  dst = '';
  v6 = false;
  dstV6 = false;
  len = 0;
  tos = 0;
  prec: number | undefined = undefined;
  ttl = 0;
  ipId = 0;
  df = false;
  mf = false;
  ce = false;
  fragOffset: number | undefined = undefined;
  flowLabel: number | undefined = undefined;
  ipOptions: string | undefined = undefined;
  ipOptGroups = 0;
  proto = -1;
  named = false;
  protoLast = false;
  sport: number | undefined = undefined;
  dport: number | undefined = undefined;
  window: number | undefined = undefined;
  res: number | undefined = undefined;
  flags = 0;
  urgp: number | undefined = undefined;
  seq: number | undefined = undefined;
  ack: number | undefined = undefined;
  tcpOptions: string | undefined = undefined;
  icmpType: number | undefined = undefined;
  icmpCode: number | undefined = undefined;
  icmpId: number | undefined = undefined;
  icmpSeq: number | undefined = undefined;
  udpLen: number | undefined = undefined;
  uid: number | undefined = undefined;
  gid: number | undefined = undefined;
  mark: number | undefined = undefined;
  incomplete = false;
  tokensAfterFlow = 0;
  afterFlow = false;

  reset(): void {
    this.seen = 0;
    this.maxOrder = 0;
    this.inIf = '';
    this.outIf = '';
    this.physIn = undefined;
    this.physOut = undefined;
    this.mac = undefined;
    this.macSrc = '';
    this.macDst = '';
    this.macProto = '';
    this.src = '';
    this.dst = '';
    this.v6 = false;
    this.dstV6 = false;
    this.len = 0;
    this.tos = 0;
    this.prec = undefined;
    this.ttl = 0;
    this.ipId = 0;
    this.df = false;
    this.mf = false;
    this.ce = false;
    this.fragOffset = undefined;
    this.flowLabel = undefined;
    this.ipOptions = undefined;
    this.ipOptGroups = 0;
    this.proto = -1;
    this.named = false;
    this.protoLast = false;
    this.sport = undefined;
    this.dport = undefined;
    this.window = undefined;
    this.res = undefined;
    this.flags = 0;
    this.urgp = undefined;
    this.seq = undefined;
    this.ack = undefined;
    this.tcpOptions = undefined;
    this.icmpType = undefined;
    this.icmpCode = undefined;
    this.icmpId = undefined;
    this.icmpSeq = undefined;
    this.udpLen = undefined;
    this.uid = undefined;
    this.gid = undefined;
    this.mark = undefined;
    this.incomplete = false;
    this.tokensAfterFlow = 0;
    this.afterFlow = false;
  }
}

/** Outcome of finish(): an event, or a reason and detail. */
export interface Finished {
  /** The event, when the draft is complete. */
  event: PacketEvent | null;
  /** Why not. */
  reason: ErrorReason;
  /** Detail for the error. */
  detail: string;
}

function fail(out: Finished, reason: ErrorReason, detail: string): Finished {
  out.event = null;
  out.reason = reason;
  out.detail = detail;
  return out;
}

/** The first missing field of `need`: 'truncated' when it comes after everything the line had, else 'missing-field'. */
function missing(d: PacketDraft, need: number, out: Finished): Finished {
  let first: readonly [number, number, string] | undefined;
  for (const entry of ORDER) {
    if ((need & entry[0]) && !(d.seen & entry[0]) && (!first || entry[1] < first[1])) first = entry;
  }
  if (!first) return fail(out, 'missing-field', 'required field');
  return fail(out, first[1] > d.maxOrder ? 'truncated' : 'missing-field', first[2]);
}

/** Checks the draft is a complete packet (own or psad rules) and builds the event into `out`. */
export function finish(d: PacketDraft, compat: boolean, out: Finished): Finished {
  const seen = d.seen;
  if (!(seen & F_IN) || !(seen & F_OUT)) return missing(d, F_IN | F_OUT, out);
  if (d.inIf === '' && d.outIf === '') return fail(out, 'no-interface', 'IN= and OUT= are both empty');
  if (!(seen & F_SRC)) return missing(d, F_SRC, out);
  if (!(seen & F_DST)) return missing(d, F_DST, out);
  const v6 = d.v6;
  if (d.dstV6 !== v6) return fail(out, 'bad-address', 'SRC= and DST= of different families');
  const proto = d.proto;
  const named = d.named;
  let need = F_LEN | F_PROTO;
  if (v6) need |= F_TC | F_HOP | F_FLOW;
  else need |= F_TTL | F_ID;
  const fragment = d.fragOffset !== undefined && d.fragOffset > 0;
  const noL4 = fragment || d.incomplete;
  if (!noL4 && named) {
    if (proto === 6) need |= F_SPT | F_DPT | F_WIN | F_URGP;
    else if (proto === 17 || proto === 136) need |= F_SPT | F_DPT | F_ULEN;
    else if (proto === 1 || proto === 58) need |= F_TYPE | F_CODE;
    if (proto === 1 && (d.icmpType === 0 || d.icmpType === 8)) need |= F_L4ID | F_L4SEQ; // psad errors without them
  }
  if (!v6 && named && (proto === 6 || proto === 17 || proto === 136)) need |= F_TOS; // psad's TCP/UDP regexes need TOS=
  if ((seen & need) !== need) {
    if (d.incomplete && !(seen & F_PROTO)) return fail(out, 'incomplete-packet', 'the kernel logged TRUNCATED');
    return missing(d, need, out);
  }
  if (compat) {
    // psad 2.4.6 counts these as errors: its regexes want ports/types right after PROTO=<name>; the names AH/ESP
    // match neither a known name nor PROTO=(\d+); IPv4 UDPLITE fails its "PROTO=UDP\s" regex; its IPv6 UDP and
    // ICMPv6 regexes want PROTO= right after FLOWLBL=, and its IPv6 TCP regex wants WINDOW= right after DPT=.
    // psad matches /PROTO=(\d+)\s/ (and PROTO=TCP\s, …): a line that ends right after PROTO= is an error there
    if (d.protoLast) return fail(out, 'psad-rejects', 'nothing after PROTO= (psad wants a blank after it)');
    if (named && noL4) return fail(out, 'psad-rejects', fragment ? 'non-first fragment without ports' : 'INCOMPLETE packet');
    if (named && proto !== 6 && proto !== 17 && proto !== 1 && proto !== 58 && !(v6 && proto === 136)) {
      return fail(out, 'psad-rejects', `PROTO=${protoLabel(proto)} (psad knows TCP, UDP, ICMP, ICMPv6 or a number)`);
    }
    if (v6 && (proto === 17 || proto === 136 || proto === 58) && d.tokensAfterFlow > 1) {
      return fail(out, 'psad-rejects', 'IPv6 UDP/ICMPv6 with extension headers logged');
    }
    if (v6 && proto === 6 && (seen & F_SEQ)) return fail(out, 'psad-rejects', 'IPv6 TCP with SEQ=/ACK= logged');
  }
  let mac = d.mac;
  if (mac === undefined && d.macDst !== '' && d.macSrc !== '') {
    // nftables "log flags ether" writes MACSRC= MACDST= MACPROTO=; keep psad's dst:src:type order
    const p = d.macProto;
    mac = `${d.macDst}:${d.macSrc}${p.length === 4 ? `:${p.slice(0, 2)}:${p.slice(2)}` : ''}`;
  }
  const chain: Chain = d.inIf !== '' ? (d.outIf !== '' ? 'FORWARD' : 'INPUT') : 'OUTPUT';
  out.event = {
    time: 0,
    timeSource: 'none',
    host: '',
    prefix: '',
    chain,
    inIf: d.inIf,
    outIf: d.outIf,
    physIn: d.physIn,
    physOut: d.physOut,
    mac,
    family: v6 ? 6 : 4,
    src: d.src,
    dst: d.dst,
    len: d.len,
    tos: d.tos,
    prec: d.prec,
    ttl: d.ttl,
    ipId: d.ipId,
    df: d.df,
    mf: d.mf,
    ce: d.ce,
    fragOffset: d.fragOffset,
    flowLabel: d.flowLabel,
    ipOptions: d.ipOptions,
    ipOptGroups: d.ipOptGroups,
    proto,
    sport: d.sport,
    dport: d.dport,
    window: d.window,
    res: d.res,
    flags: proto === 6 && named && !noL4 ? d.flags : undefined,
    urgp: d.urgp,
    seq: d.seq,
    ack: d.ack,
    tcpOptions: d.tcpOptions,
    icmpType: d.icmpType,
    icmpCode: d.icmpCode,
    icmpId: d.icmpId,
    icmpSeq: d.icmpSeq,
    udpLen: d.udpLen,
    uid: d.uid,
    gid: d.gid,
    mark: d.mark,
    sid: undefined,
    line: 0,
  };
  return out;
}
