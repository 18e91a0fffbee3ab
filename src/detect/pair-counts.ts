// The per-packet counters of a (source, destination) pair and its source in the scan table (psad:1260-1376), signature
// hits and invalid ICMP — the part of check_scan that runs for every counted packet.
import type { PacketEvent } from '../domain/events.ts';
import {
  P_ABSNUM, P_BITS, P_CHAIN, P_CHAINN, P_CURFLAG, P_CURPROTOS, P_FLAG, P_FLAGN, P_HOST, P_INTERVAL, P_LITE, P_PACKETS,
  P_PREFIX, P_PREFIXN, P_SLOTS, P_TCP, P_TOTP, P_UDP, P_WLITE, P_WPROTOS, P_WTCP, P_WUDP, PB_CUR, PB_CURMARKS_SHIFT, PB_LITE,
  PB_MARKS_SHIFT, PB_TCP, PB_UDP, PB_WLITE, PB_WTCP, PB_WUDP, PROTO_TCP, PROTO_UDP, PROTO_UDPLITE, protoBit, PW, SF_FIRST,
  SF_LAST, S_PACKETS, SB_DIRTY, S_FLAGS, S_SIGS, SW, TAG_SIGNATURE, P_SIGS,
} from '../domain/scan-table.ts';
import type { PairExtra, ScanTable } from '../domain/scan-table.ts';
import type { Totals } from './totals.ts';

const MAX_PAIR_HOSTS = 8;

/** What countPacket needs of a packet (one reused record). */
export interface Packet {
  /** Event time, ms. */
  time: number;
  /** psad's protocol name and its PROTO_* bit (0 for numbered protocols). */
  proto: string;
  pbit: number;
  /** Destination port (0 for ICMP, -1 without ports). */
  dp: number;
  isTcp: boolean;
  /** psad's flag string and the kernel flag mask (its id in the table's flag strings). */
  fText: string;
  flagId: number;
  /** Ids of "chain\tinterface\tprotocol" and of the log prefix ("*noprfx*" when none); sensor id or -1, and its text. */
  chain: number;
  prefix: number;
  host: number;
  hostText: string;
  /** MARK_* bits of this packet. */
  marks: number;
  compat: boolean;
  /** The open interval. */
  interval: number;
  /** Whether changes are tracked for a store. */
  track: boolean;
}

function bump(rec: Record<string, number>, key: string, n = 1): void {
  rec[key] = (rec[key] ?? 0) + n;
}

function addName(list: string[] | null, v: string): string[] {
  if (!list) return [v];
  if (!list.includes(v)) list.push(v);
  return list;
}

/** Whether the protocol slot `name` is defined in the pair (psad's $scan{src}{dst}{proto}). */
export function slotHas(t: ScanTable, p: number, name: string): boolean {
  const b = protoBit(name);
  if (b !== 0) return (t.pi[p * PW + P_SLOTS]! & b) !== 0;
  return t.extraOf(p)?.slots?.includes(name) ?? false;
}

/** Defines the protocol slot `name` in the pair. */
export function slotAdd(t: ScanTable, p: number, name: string): void {
  const b = protoBit(name);
  if (b !== 0) t.pi[p * PW + P_SLOTS]! |= b;
  else {
    const x = t.extra(p);
    x.slots = addName(x.slots, name);
  }
}

/** A packed port range widened to `v` (lo << 16 | hi), psad's way: a lower start, else a higher end. */
function widen(cur: number, v: number): number {
  const lo = cur >>> 16;
  const hi = cur & 0xffff;
  if (v < lo) return (v << 16) | hi;
  if (v > hi) return (lo << 16) | v;
  return cur;
}

/**
 * The window and lifetime ranges of one protocol widened to `dp`; returns the new bits. A packet without a port
 * (dp -1: a fragment) leaves both without a range, as psad's "lowest port" becoming -1 does.
 */
function range(pi: Int32Array, o: number, bits: number, dp: number, wField: number, wBit: number, field: number, bit: number): number {
  if (dp < 0) return bits & ~(wBit | bit);
  pi[o + wField] = bits & wBit ? widen(pi[o + wField]!, dp) : (dp << 16) | dp;
  pi[o + field] = bits & bit ? widen(pi[o + field]!, dp) : (dp << 16) | dp;
  return bits | wBit | bit;
}

/** Counts one packet to pair `p` of source `s`. */
export function countPacket(t: ScanTable, s: number, p: number, k: Packet): void {
  const pi = t.pi;
  const o = p * PW;
  pi[o + P_ABSNUM]!++;
  pi[o + P_PACKETS]!++;
  const proto = k.proto;
  const pb = k.pbit;
  let x: PairExtra | null = t.extraOf(p);
  // QUIRK (psad:1281): psad adds one protocol whenever the pair's slot for it is undefined; only tcp/udp/udplite port
  // tracking, signature hits and invalid ICMP define slots, so ICMP without such hits counts once per packet
  if (pb !== 0 ? (pi[o + P_SLOTS]! & pb) === 0 : !(x?.slots?.includes(proto) ?? false)) pi[o + P_TOTP]!++;
  if (pb !== 0) pi[o + P_WPROTOS]! |= pb;
  else (x ??= t.extra(p)).wprotos = addName(x.wprotos, proto);
  const ck = k.chain + 1;
  const c0 = pi[o + P_CHAIN]!;
  if (c0 === ck) pi[o + P_CHAINN]!++;
  else if (c0 === 0) { pi[o + P_CHAIN] = ck; pi[o + P_CHAINN] = 1; }
  else bump((x ??= t.extra(p)).chainMore ??= {}, t.chains.text[k.chain]!);
  const compat = k.compat;
  let bits = pi[o + P_BITS]!;
  // per-interval data only matters for psad's labels (compatibility); own mode labels from the cumulative fields
  if (pi[o + P_INTERVAL] !== k.interval) {
    pi[o + P_INTERVAL] = k.interval;
    bits = (bits & ~(PB_CUR | (7 << PB_CURMARKS_SHIFT))) | (compat ? PB_CUR : 0);
    pi[o + P_CURFLAG] = 0;
    pi[o + P_CURPROTOS] = 0;
    if (x) {
      x.curFlags = null;
      x.curProtos = null;
    }
    t.intervalPush(s, p);
  }
  if (compat) {
    if (pb !== 0) pi[o + P_CURPROTOS]! |= pb;
    else (x ??= t.extra(p)).curProtos = addName(x.curProtos, proto);
  }
  if (k.isTcp) {
    const f = k.flagId + 1;
    if (compat) {
      const cf = pi[o + P_CURFLAG]!;
      if (cf === 0) pi[o + P_CURFLAG] = f;
      else if (cf !== f) {
        const list = ((x ??= t.extra(p)).curFlags ??= []);
        if (!list.includes(k.flagId)) list.push(k.flagId);
      }
    }
    const f0 = pi[o + P_FLAG]!;
    if (f0 === f) pi[o + P_FLAGN]!++;
    else if (f0 === 0) { pi[o + P_FLAG] = f; pi[o + P_FLAGN] = 1; }
    else bump((x ??= t.extra(p)).flagMore ??= {}, k.fText);
  }
  if (compat) bits = (bits & ~(7 << PB_CURMARKS_SHIFT)) | (k.marks << PB_CURMARKS_SHIFT);
  bits |= k.marks << PB_MARKS_SHIFT;
  if (k.host >= 0) {
    const h = k.host + 1;
    const h0 = pi[o + P_HOST]!;
    if (h0 === 0) pi[o + P_HOST] = h;
    else if (h0 !== h) {
      x ??= t.extra(p);
      const more = x.hosts;
      if (!more) x.hosts = [k.hostText];
      else if (more.length + 1 < MAX_PAIR_HOSTS && !more.includes(k.hostText)) more.push(k.hostText);
    }
    t.sensor(s, k.host, k.hostText);
  }
  const pk = k.prefix + 1;
  const x0 = pi[o + P_PREFIX]!;
  if (x0 === pk) pi[o + P_PREFIXN]!++;
  else if (x0 === 0) { pi[o + P_PREFIX] = pk; pi[o + P_PREFIXN] = 1; }
  else bump((x ??= t.extra(p)).prefixMore ??= {}, t.prefixes.text[k.prefix]!);
  const dp = k.dp;
  let code = -1;
  if (pb === PROTO_TCP) {
    pi[o + P_SLOTS]! |= PROTO_TCP;
    bits = range(pi, o, bits, dp, P_WTCP, PB_WTCP, P_TCP, PB_TCP);
    code = 0;
  } else if (pb === PROTO_UDP) {
    pi[o + P_SLOTS]! |= PROTO_UDP;
    bits = range(pi, o, bits, dp, P_WUDP, PB_WUDP, P_UDP, PB_UDP);
    code = 1;
  } else if (pb === PROTO_UDPLITE) {
    pi[o + P_SLOTS]! |= PROTO_UDPLITE;
    bits = range(pi, o, bits, dp, P_WLITE, PB_WLITE, P_LITE, PB_LITE);
    code = 2;
  }
  pi[o + P_BITS] = bits;
  if (code >= 0) {
    const key = code * 65536 + dp;
    t.ports.add(s, key);
    if (k.track) (t.marksOf(s).ports ??= new Set()).add(key);
  }
  const si = t.si;
  const so = s * SW;
  si[so + S_PACKETS]!++;
  const sf = t.sf;
  if (k.time > sf[so / 2 + SF_LAST]!) sf[so / 2 + SF_LAST] = k.time;
  if (k.time < sf[so / 2 + SF_FIRST]!) sf[so / 2 + SF_FIRST] = k.time;
}

/** An invalid ICMP type or code (psad:1131-1204): counted by key, filed under the pair's icmp slot. */
export function icmpInvalid(t: ScanTable, p: number, key: string, proto: string): void {
  const x = t.extra(p);
  bump(x.icmpInvalid ??= {}, key);
  slotAdd(t, p, proto);
}

/** One signature hit of pair `p` (source `s`), filed under protocol slot `slot`. */
export function sigHit(t: ScanTable, s: number, p: number, ev: PacketEvent, slot: string, sid: number, msg: string, proto: string, dl: number,
  fwsnort: boolean, dp: number, flagId: number, totals: Totals, track: boolean): void {
  const hits = t.hits;
  const slotId = hits.names.id(slot);
  const chain = hits.names.id(ev.chain);
  const po = p * PW;
  const head = t.pi[po + P_SIGS]!;
  let r = hits.findPair(head, sid, slotId, chain);
  if (r < 0) {
    r = hits.addPair(head, p, sid, slotId, chain, fwsnort, t.flagNa);
    t.pi[po + P_SIGS] = r + 1;
  }
  hits.hitPair(r, slot === 'tcp' || slot === 'udp' || slot === 'udplite', dp, slot === 'tcp' ? flagId : -1);
  // psad adds a protocol when a tcp/udp/icmp hit defines the pair's slot (psad:2265); "ip" hits define it silently
  if (!slotHas(t, p, slot)) {
    if (slot !== 'ip') t.pi[p * PW + P_TOTP]!++;
    slotAdd(t, p, slot);
  }
  const so = s * SW;
  const sHead = t.si[so + S_SIGS]!;
  let q = hits.findSource(sHead, sid);
  const isNew = q < 0;
  if (isNew) {
    q = hits.newSource(sHead, s, sid, msg, dl, proto, fwsnort, ev.time);
    t.si[so + S_SIGS] = q + 1;
    if (t.tag(s, TAG_SIGNATURE)) t.si[so + S_FLAGS]! |= SB_DIRTY;
  }
  hits.hitSource(q, ev.time, ev.dport !== undefined ? dp : -1);
  if (track) (t.marksOf(s).sigs ??= new Set()).add(sid);
  totals.sig(sid, msg, proto, isNew);
}
