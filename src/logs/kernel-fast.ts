// Fast path for the kernel LOG field list nearly every firewall writes: IPv4, the kernel's own field order, TCP, UDP or
// ICMP without extras. The expected keys are checked in place and the values read straight into the draft; at the first
// thing it does not expect it gives up, and the full scanner reads the line — so every other format, and every error
// with its reason, stays exactly the full scanner's. An accepted line fills the draft as the full scanner would.
import {
  F_CODE, F_DPT, F_DST, F_ID, F_IN, F_L4ID, F_L4SEQ, F_LEN, F_MAC, F_OUT, F_PREC, F_PROTO, F_RES, F_SPT, F_SRC, F_TOS, F_TTL,
  F_TYPE, F_ULEN, F_URGP, F_WIN,
} from './kernel-draft.ts';
import type { PacketDraft } from './kernel-draft.ts';
import { cursor, isHex, readDec, readHex } from './kernel-values.ts';

/** The scanner's value readers the fast path shares (they validate and cache exactly as for the full scan). */
export interface FieldReaders {
  /** Interface name in s[a,b), or null (invalid). */
  iface(s: string, a: number, b: number): string | null;
  /** MAC text in s[a,b), or null (invalid). */
  mac(s: string, a: number, b: number): string | null;
  /** Canonical address at s[a..], or null; sets `addrEnd` and `addrV6`. */
  addr(s: string, a: number, end: number, name: 'SRC' | 'DST'): string | null;
  /** Where the last address ended. */
  readonly addrEnd: number;
  /** Whether the last address was IPv6. */
  lastV6(): boolean;
}

/** Whether s has `key` at i (a character loop: String.prototype.startsWith with a position costs several times more). */
function has(s: string, i: number, key: string): boolean {
  const n = key.length;
  if (i + n > s.length) return false;
  for (let k = 0; k < n; k++) if (s.charCodeAt(i + k) !== key.charCodeAt(k)) return false;
  return true;
}

/** Where the last read stopped (the blank after a value, or the end). */
let at = 0;

/** The decimal value of `key` (with its "=") at i, followed by a blank or the end; -1 otherwise. Sets `at`. */
function dec(s: string, i: number, end: number, key: string, max: number): number {
  if (!has(s, i, key)) return -1;
  const n = readDec(s, i + key.length, end, max);
  at = cursor.end;
  return n;
}

/** Like dec() for a hex value ("0x00" or "00"). */
function hex(s: string, i: number, end: number, key: string, max: number): number {
  if (!has(s, i, key)) return -1;
  const n = readHex(s, i + key.length, end, max);
  at = cursor.end;
  return n;
}

/** TCP flag bit of the word s[a,b), or 0. */
function flagBit(s: string, a: number, b: number): number {
  if (b - a !== 3) return 0;
  switch ((s.charCodeAt(a) << 16) | (s.charCodeAt(a + 1) << 8) | s.charCodeAt(a + 2)) {
    case 0x435752: return 0x80; // CWR
    case 0x454345: return 0x40; // ECE
    case 0x555247: return 0x20; // URG
    case 0x41434b: return 0x10; // ACK
    case 0x505348: return 0x08; // PSH
    case 0x525354: return 0x04; // RST
    case 0x53594e: return 0x02; // SYN
    case 0x46494e: return 0x01; // FIN
    default: return 0;
  }
}

/** End of the word starting at i (the next blank or `end`). */
function wordEnd(s: string, i: number, end: number): number {
  let e = i;
  while (e < end && s.charCodeAt(e) !== 32) e++;
  return e;
}

/**
 * Reads s[start,end) (start at "IN=") into `d` when the line has the common layout; false when it does not (the
 * draft is then to be reset and the line scanned in full).
 */
export function fastFields(r: FieldReaders, d: PacketDraft, s: string, start: number, end: number): boolean {
  d.reset();
  let i = start;
  if (!has(s, i, 'IN=')) return false;
  let e = wordEnd(s, i + 3, end);
  if (e >= end) return false;
  const inIf = r.iface(s, i + 3, e);
  if (inIf === null) return false;
  i = e + 1;
  if (!has(s, i, 'OUT=')) return false;
  e = wordEnd(s, i + 4, end);
  if (e >= end) return false;
  const outIf = r.iface(s, i + 4, e);
  if (outIf === null) return false;
  d.inIf = inIf;
  d.outIf = outIf;
  let seen = F_IN | F_OUT;
  i = e + 1;
  if (has(s, i, 'MAC=')) {
    // Ethernet: 14 bytes as "xx:" × 14 − 1 (other link types go the full way)
    e = i + 45;
    if (e >= end || s.charCodeAt(e) !== 32 || s.charCodeAt(e - 3) !== 58) return false;
    const m = r.mac(s, i + 4, e);
    if (m === null) return false;
    d.mac = m;
    seen |= F_MAC;
    i = e + 1;
  }
  if (!has(s, i, 'SRC=')) return false;
  const src = r.addr(s, i + 4, end, 'SRC');
  if (src === null || r.lastV6() || r.addrEnd >= end) return false;
  i = r.addrEnd + 1;
  if (!has(s, i, 'DST=')) return false;
  const dst = r.addr(s, i + 4, end, 'DST');
  if (dst === null || r.lastV6() || r.addrEnd >= end) return false;
  d.src = src;
  d.dst = dst;
  i = r.addrEnd + 1;
  const len = dec(s, i, end, 'LEN=', 65535);
  if (len < 0 || at >= end) return false;
  const tos = hex(s, at + 1, end, 'TOS=', 255);
  if (tos < 0 || at >= end) return false;
  const prec = hex(s, at + 1, end, 'PREC=', 255);
  if (prec < 0 || at >= end) return false;
  const ttl = dec(s, at + 1, end, 'TTL=', 255);
  if (ttl < 0 || at >= end) return false;
  const id = dec(s, at + 1, end, 'ID=', 65535);
  if (id < 0 || at >= end) return false;
  d.len = len;
  d.tos = tos;
  d.prec = prec;
  d.ttl = ttl;
  d.ipId = id;
  seen |= F_SRC | F_DST | F_LEN | F_TOS | F_PREC | F_TTL | F_ID;
  i = at + 1;
  if (has(s, i, 'DF ')) {
    d.df = true;
    i += 3;
  }
  if (!has(s, i, 'PROTO=')) return false;
  i += 6;
  let proto: number;
  if (has(s, i, 'TCP ')) proto = 6;
  else if (has(s, i, 'UDP ')) proto = 17;
  else if (has(s, i, 'ICMP ')) proto = 1;
  else return false;
  i += proto === 1 ? 5 : 4;
  d.proto = proto;
  d.named = true;
  seen |= F_PROTO;
  if (proto === 1) {
    const type = dec(s, i, end, 'TYPE=', 255);
    if (type < 0 || at >= end) return false;
    const code = dec(s, at + 1, end, 'CODE=', 255);
    if (code < 0) return false;
    d.icmpType = type;
    d.icmpCode = code;
    seen |= F_TYPE | F_CODE;
    if (at < end) {
      // echo request/reply: ID= SEQ=; any other ICMP detail goes the full way
      const icmpId = dec(s, at + 1, end, 'ID=', 65535);
      if (icmpId < 0 || at >= end) return false;
      const seq = dec(s, at + 1, end, 'SEQ=', 65535);
      if (seq < 0) return false;
      d.icmpId = icmpId;
      d.icmpSeq = seq;
      seen |= F_L4ID | F_L4SEQ;
    }
  } else {
    const spt = dec(s, i, end, 'SPT=', 65535);
    if (spt < 0 || at >= end) return false;
    const dpt = dec(s, at + 1, end, 'DPT=', 65535);
    if (dpt < 0 || at >= end) return false;
    d.sport = spt;
    d.dport = dpt;
    seen |= F_SPT | F_DPT;
    if (proto === 17) {
      const ulen = dec(s, at + 1, end, 'LEN=', 65535);
      if (ulen < 0) return false;
      d.udpLen = ulen;
      seen |= F_ULEN;
    } else {
      const win = dec(s, at + 1, end, 'WINDOW=', 65535);
      if (win < 0 || at >= end) return false;
      const res = hex(s, at + 1, end, 'RES=', 255);
      if (res < 0 || at >= end) return false;
      d.window = win;
      d.res = res;
      i = at + 1;
      let flags = 0;
      for (;;) {
        e = wordEnd(s, i, end);
        const bit = flagBit(s, i, e);
        if (bit === 0) break;
        if ((flags & bit) !== 0 || e >= end) return false;
        flags |= bit;
        i = e + 1;
      }
      d.flags = flags;
      const urgp = dec(s, i, end, 'URGP=', 65535);
      if (urgp < 0) return false;
      d.urgp = urgp;
      seen |= F_WIN | F_RES | F_URGP;
      if (at < end) {
        // "OPT (020405B4)": the TCP options, hex without blanks
        i = at + 1;
        if (!has(s, i, 'OPT (')) return false;
        const close = s.indexOf(')', i + 5);
        if (close < 0 || close + 1 !== end) return false;
        const inner = s.slice(i + 5, close);
        if (!isHex(inner)) return false;
        d.tcpOptions = inner;
        at = end;
      }
    }
  }
  if (at !== end) return false;
  d.seen = seen;
  return true;
}
