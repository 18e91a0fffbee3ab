// Scans the kernel's LOG/NFLOG field list ("IN=… OUT=… SRC=… PROTO=TCP SPT=…") into a PacketEvent, by hand.
//
// Formats: nf_log_syslog.c (iptables/ip6tables LOG, nftables `log`), older ipt_LOG (PHYSIN between IN= and OUT=),
// ulogd2 printpkt (LOGEMU: no RES=, TOS without 0x, MARK without 0x, SEQ/ACK always). One pass over the characters;
// keys are packed into integers (base 27 over A–Z) and dispatched with a switch, numbers are read in place, and only
// the strings the event keeps (interfaces, addresses, MAC, options) are sliced. No regular expression runs per line.
//
// Field order as the kernel prints it is used only to tell a line cut short ('truncated': every field after some
// point is missing) from one with a hole in it ('missing-field').
import { parseIp } from '../domain/address.ts';
import type { Chain, PacketEvent } from '../domain/events.ts';
import type { ErrorReason } from './parse-types.ts';

/** Packs an upper-case key into a number (base 27, A=1…Z=26); -1 for anything else or longer than 10. */
function pack(key: string): number {
  let c = 0;
  for (let i = 0; i < key.length; i++) c = c * 27 + (key.charCodeAt(i) - 64);
  return c;
}

const K_IN = pack('IN');
const K_OUT = pack('OUT');
const K_PHYSIN = pack('PHYSIN');
const K_PHYSOUT = pack('PHYSOUT');
const K_MAC = pack('MAC');
const K_MACSRC = pack('MACSRC');
const K_MACDST = pack('MACDST');
const K_MACPROTO = pack('MACPROTO');
const K_SRC = pack('SRC');
const K_DST = pack('DST');
const K_LEN = pack('LEN');
const K_TOS = pack('TOS');
const K_PREC = pack('PREC');
const K_TTL = pack('TTL');
const K_ID = pack('ID');
const K_TC = pack('TC');
const K_HOPLIMIT = pack('HOPLIMIT');
const K_FLOWLBL = pack('FLOWLBL');
const K_PROTO = pack('PROTO');
const K_SPT = pack('SPT');
const K_DPT = pack('DPT');
const K_SEQ = pack('SEQ');
const K_ACK = pack('ACK');
const K_WINDOW = pack('WINDOW');
const K_RES = pack('RES');
const K_URGP = pack('URGP');
const K_TYPE = pack('TYPE');
const K_CODE = pack('CODE');
const K_UID = pack('UID');
const K_GID = pack('GID');
const K_MARK = pack('MARK');
const K_FRAG = pack('FRAG');
// bare words
const W_DF = pack('DF');
const W_MF = pack('MF');
const W_CE = pack('CE');
const W_CWR = pack('CWR');
const W_ECE = pack('ECE');
const W_URG = pack('URG');
const W_ACK = K_ACK;
const W_PSH = pack('PSH');
const W_RST = pack('RST');
const W_SYN = pack('SYN');
const W_FIN = pack('FIN');
const W_OPT = pack('OPT');
const W_INCOMPLETE = pack('INCOMPLETE');
const W_TRUNCATED = pack('TRUNCATED');
const W_AH = pack('AH');
const W_ESP = pack('ESP');

// Field bits: "seen" masks detect a repeated field (two lines interleaved) and missing required ones.
const F_IN = 1 << 0;
const F_OUT = 1 << 1;
const F_SRC = 1 << 2;
const F_DST = 1 << 3;
const F_LEN = 1 << 4;
const F_TOS = 1 << 5;
const F_PREC = 1 << 6;
const F_TTL = 1 << 7;
const F_ID = 1 << 8;
const F_TC = 1 << 9;
const F_HOP = 1 << 10;
const F_FLOW = 1 << 11;
const F_PROTO = 1 << 12;
const F_SPT = 1 << 13;
const F_DPT = 1 << 14;
const F_SEQ = 1 << 15;
const F_ACK = 1 << 16;
const F_WIN = 1 << 17;
const F_RES = 1 << 18;
const F_URGP = 1 << 19;
const F_TYPE = 1 << 20;
const F_CODE = 1 << 21;
const F_L4ID = 1 << 22;
const F_L4SEQ = 1 << 23;
const F_ULEN = 1 << 24;
const F_UID = 1 << 25;
const F_GID = 1 << 26;
const F_MARK = 1 << 27;
const F_MAC = 1 << 28;
const F_PHYSIN = 1 << 29;
const F_PHYSOUT = 1 << 30;

/** Kernel print order of each field bit (for telling "truncated" from "missing"). */
const ORDER: readonly [number, number, string][] = [
  [F_IN, 1, 'IN'], [F_OUT, 2, 'OUT'], [F_SRC, 4, 'SRC'], [F_DST, 5, 'DST'], [F_LEN, 6, 'LEN'], [F_TOS, 7, 'TOS'],
  [F_TC, 7, 'TC'], [F_PREC, 8, 'PREC'], [F_TTL, 9, 'TTL'], [F_HOP, 9, 'HOPLIMIT'], [F_ID, 10, 'ID'], [F_FLOW, 10, 'FLOWLBL'],
  [F_PROTO, 13, 'PROTO'], [F_SPT, 14, 'SPT'], [F_TYPE, 14, 'TYPE'], [F_DPT, 15, 'DPT'], [F_CODE, 15, 'CODE'],
  [F_ULEN, 16, 'LEN'], [F_L4ID, 16, 'ID'], [F_SEQ, 16, 'SEQ'], [F_L4SEQ, 17, 'SEQ'], [F_ACK, 17, 'ACK'],
  [F_WIN, 18, 'WINDOW'], [F_RES, 19, 'RES'], [F_URGP, 21, 'URGP'], [F_UID, 23, 'UID'], [F_GID, 24, 'GID'], [F_MARK, 25, 'MARK'],
];

/** Print order by bit index (31 - clz32(bit)). */
const ORDER_BY_BIT = new Uint8Array(32);
for (const [b, o] of ORDER) ORDER_BY_BIT[31 - Math.clz32(b)] = o;

/** Options the scanner needs from the parser. */
export interface ScanOptions {
  /** psad 2.4.6 rules: full-form IPv6 only, non-first fragments rejected, psad's regex adjacency for IPv6 UDP/ICMPv6/TCP. */
  psadCompat: boolean;
}

/**
 * One reusable scanner. `scan()` returns a complete PacketEvent or null with `reason`/`detail` set. The caller fills
 * time, timeSource, host, prefix, sid and line.
 */
export class KernelFieldScanner {
  /** Why the last scan failed. */
  reason: ErrorReason = 'garbled';
  /** Detail of the last failure (field name or value, bounded). */
  detail = '';

  readonly #compat: boolean;
  // per-line state (reset in scan)
  #seen = 0;
  #maxOrder = 0;
  #l4 = false;
  #fail = false;
  // small caches: interface names and IPv6 canonical forms repeat from line to line
  #lastIf1 = '';
  #lastIf2 = '';
  readonly #v6cache = new Map<string, string>();

  constructor(opts: ScanOptions) {
    this.#compat = opts.psadCompat;
  }

  #error(reason: ErrorReason, detail: string): null {
    if (!this.#fail) {
      this.#fail = true;
      this.reason = reason;
      this.detail = detail.length > 80 ? `${detail.slice(0, 77)}...` : detail;
    }
    return null;
  }

  #mark(bit: number, name: string): boolean {
    if (this.#seen & bit) {
      this.#error('garbled', `${name}= repeated`);
      return false;
    }
    this.#seen |= bit;
    const o = ORDER_BY_BIT[31 - Math.clz32(bit)]!;
    if (o > this.#maxOrder) this.#maxOrder = o;
    return true;
  }

  #iface(s: string, a: number, b: number): string {
    if (a === b) return '';
    const l1 = this.#lastIf1;
    if (l1.length === b - a && s.startsWith(l1, a)) return l1;
    const l2 = this.#lastIf2;
    if (l2.length === b - a && s.startsWith(l2, a)) return l2;
    const v = s.slice(a, b);
    this.#lastIf2 = l1;
    this.#lastIf1 = v;
    return v;
  }

  /** Decimal 0..max in s[a,b), or -1. */
  static dec(s: string, a: number, b: number, max: number): number {
    const n = b - a;
    if (n === 0 || n > 10) return -1;
    let v = 0;
    for (let i = a; i < b; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return -1;
      v = v * 10 + d;
    }
    return v > max ? -1 : v;
  }

  /** Hex (optional 0x) 0..max in s[a,b), or -1. */
  static hex(s: string, a: number, b: number, max: number): number {
    if (b - a > 2 && s.charCodeAt(a) === 48 && (s.charCodeAt(a + 1) | 0x20) === 120) a += 2;
    const n = b - a;
    if (n === 0 || n > 8) return -1;
    let v = 0;
    for (let i = a; i < b; i++) {
      const c = s.charCodeAt(i);
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 65 && c <= 70) d = c - 55;
      else if (c >= 97 && c <= 102) d = c - 87;
      else return -1;
      v = v * 16 + d;
    }
    return v > max ? -1 : v;
  }

  #num(s: string, a: number, b: number, max: number, name: string): number {
    const v = KernelFieldScanner.dec(s, a, b, max);
    if (v < 0) this.#error(name === 'SPT' || name === 'DPT' ? 'bad-port' : 'bad-number', `${name}=${s.slice(a, Math.min(b, a + 24))}`);
    return v;
  }

  #hexNum(s: string, a: number, b: number, max: number, name: string): number {
    const v = KernelFieldScanner.hex(s, a, b, max);
    if (v < 0) this.#error('bad-number', `${name}=${s.slice(a, Math.min(b, a + 24))}`);
    return v;
  }

  /** Canonical address text of s[a,b), or '' (error set). */
  #addr(s: string, a: number, b: number, name: string): string {
    // IPv4 fast path: strict dotted quad is already canonical
    let dots = 0;
    let ok = b > a && b - a <= 15;
    let part = 0;
    let digits = 0;
    for (let i = a; ok && i < b; i++) {
      const c = s.charCodeAt(i);
      if (c === 46) {
        if (digits === 0) ok = false;
        dots++;
        part = 0;
        digits = 0;
      } else if (c >= 48 && c <= 57) {
        if (digits === 1 && part === 0) ok = false; // leading zero
        part = part * 10 + (c - 48);
        digits++;
        if (part > 255) ok = false;
      } else {
        ok = false;
      }
    }
    if (ok && dots === 3 && digits > 0) return s.slice(a, b);
    const raw = s.slice(a, b);
    if (raw.includes(':')) {
      const hit = this.#v6cache.get(raw);
      if (hit !== undefined) return hit;
      if (this.#compat && !isFullIpv6(raw)) {
        this.#error('bad-address', `${name}=${raw} (psad accepts only the kernel's full IPv6 form)`);
        return '';
      }
      const p = parseIp(raw);
      if (p && raw.indexOf('%') < 0 && raw.charCodeAt(0) !== 91) {
        if (this.#v6cache.size >= 4096) this.#v6cache.clear();
        this.#v6cache.set(raw, p.text);
        return p.text;
      }
    }
    this.#error('bad-address', `${name}=${raw}`);
    return '';
  }

  /**
   * Scans s[start,end) — `start` at the "IN=" of the kernel fields — into a new PacketEvent (time, host, prefix,
   * line left for the caller). Returns null on failure with `reason` and `detail` set.
   */
  scan(s: string, start: number, end: number): PacketEvent | null {
    this.#seen = 0;
    this.#maxOrder = 0;
    this.#l4 = false;
    this.#fail = false;
    const compat = this.#compat;

    let inIf = '';
    let outIf = '';
    let physIn: string | undefined;
    let physOut: string | undefined;
    let mac: string | undefined;
    let macSrc = '';
    let macDst = '';
    let macProto = '';
    let src = '';
    let dst = '';
    let len = 0;
    let tos = 0;
    let prec: number | undefined;
    let ttl = 0;
    let ipId = 0;
    let df = false;
    let mf = false;
    let ce = false;
    let fragOffset: number | undefined;
    let flowLabel: number | undefined;
    let ipOptions: string | undefined;
    let ipOptGroups = 0;
    let proto = -1;
    let sport: number | undefined;
    let dport: number | undefined;
    let windowV: number | undefined;
    let res: number | undefined;
    let flags = 0;
    let urgp: number | undefined;
    let seq: number | undefined;
    let ack: number | undefined;
    let tcpOptions: string | undefined;
    let icmpType: number | undefined;
    let icmpCode: number | undefined;
    let icmpId: number | undefined;
    let icmpSeq: number | undefined;
    let udpLen: number | undefined;
    let uid: number | undefined;
    let gid: number | undefined;
    let mark: number | undefined;
    let incomplete = false;
    let v6 = false;
    let named = false; // PROTO= gave a name (TCP, UDP, …) rather than a number
    let dstV6 = false;
    let tokensAfterFlow = 0; // psad compat: tokens between FLOWLBL= and PROTO=
    let afterFlow = false;

    let i = start;
    while (i < end) {
      let c = s.charCodeAt(i);
      if (c === 32) { i++; continue; }
      const a = i;
      let code = 0;
      let eq = -1;
      // key letters (A–Z), up to '=' or blank
      while (i < end) {
        c = s.charCodeAt(i);
        if (c === 32) break;
        if (c === 61) { eq = i; break; }
        if (code >= 0) {
          if (c >= 65 && c <= 90 && i - a < 10) code = code * 27 + (c - 64);
          else code = -1;
        }
        i++;
      }
      if (eq >= 0) {
        // KEY=VALUE: value runs to the next blank
        let j = eq + 1;
        while (j < end && s.charCodeAt(j) !== 32) j++;
        const vA = eq + 1;
        const vB = j;
        i = j;
        if (afterFlow) tokensAfterFlow++;
        if (!this.#l4) {
          switch (code) {
            case K_IN:
              if (!this.#mark(F_IN, 'IN')) return null;
              inIf = this.#iface(s, vA, vB);
              continue;
            case K_OUT:
              if (!this.#mark(F_OUT, 'OUT')) return null;
              outIf = this.#iface(s, vA, vB);
              continue;
            case K_PHYSIN:
              if (this.#seen & F_PHYSIN) return this.#error('garbled', 'PHYSIN= repeated');
              this.#seen |= F_PHYSIN;
              physIn = this.#iface(s, vA, vB);
              continue;
            case K_PHYSOUT:
              if (this.#seen & F_PHYSOUT) return this.#error('garbled', 'PHYSOUT= repeated');
              this.#seen |= F_PHYSOUT;
              physOut = this.#iface(s, vA, vB);
              continue;
            case K_MAC:
              if (this.#seen & F_MAC) return this.#error('garbled', 'MAC= repeated');
              this.#seen |= F_MAC;
              if (vB > vA) mac = s.slice(vA, vB);
              continue;
            case K_MACSRC: macSrc = s.slice(vA, vB); continue;
            case K_MACDST: macDst = s.slice(vA, vB); continue;
            case K_MACPROTO: macProto = s.slice(vA, vB); continue;
            case K_SRC:
              if (!this.#mark(F_SRC, 'SRC')) return null;
              src = this.#addr(s, vA, vB, 'SRC');
              if (src === '') return null;
              v6 = hasColon(s, vA, vB);
              continue;
            case K_DST:
              if (!this.#mark(F_DST, 'DST')) return null;
              dst = this.#addr(s, vA, vB, 'DST');
              if (dst === '') return null;
              dstV6 = hasColon(s, vA, vB);
              continue;
            case K_LEN:
              if (!this.#mark(F_LEN, 'LEN')) return null;
              len = this.#num(s, vA, vB, v6 ? 65575 : 65535, 'LEN');
              if (len < 0) return null;
              continue;
            case K_TOS:
              if (!this.#mark(F_TOS, 'TOS')) return null;
              tos = this.#hexNum(s, vA, vB, 255, 'TOS');
              if (tos < 0) return null;
              continue;
            case K_PREC:
              if (!this.#mark(F_PREC, 'PREC')) return null;
              prec = this.#hexNum(s, vA, vB, 255, 'PREC');
              if (prec < 0) return null;
              continue;
            case K_TTL:
              if (!this.#mark(F_TTL, 'TTL')) return null;
              ttl = this.#num(s, vA, vB, 255, 'TTL');
              if (ttl < 0) return null;
              continue;
            case K_ID:
              if (!this.#mark(F_ID, 'ID')) return null;
              ipId = this.#num(s, vA, vB, 65535, 'ID');
              if (ipId < 0) return null;
              continue;
            case K_TC:
              if (!this.#mark(F_TC, 'TC')) return null;
              tos = this.#num(s, vA, vB, 255, 'TC');
              if (tos < 0) return null;
              continue;
            case K_HOPLIMIT:
              if (!this.#mark(F_HOP, 'HOPLIMIT')) return null;
              ttl = this.#num(s, vA, vB, 255, 'HOPLIMIT');
              if (ttl < 0) return null;
              continue;
            case K_FLOWLBL:
              if (!this.#mark(F_FLOW, 'FLOWLBL')) return null;
              flowLabel = this.#num(s, vA, vB, 0xfffff, 'FLOWLBL');
              if (flowLabel < 0) return null;
              afterFlow = true;
              continue;
            case K_FRAG: {
              // "FRAG=n" from some relays; the kernel writes "FRAG:n" (handled with the bare words)
              const f = this.#num(s, vA, vB, 8191, 'FRAG');
              if (f < 0) return null;
              fragOffset = f;
              continue;
            }
            case K_PROTO: {
              if (!this.#mark(F_PROTO, 'PROTO')) return null;
              proto = protoNumber(s, vA, vB);
              named = vB > vA && (s.charCodeAt(vA) < 48 || s.charCodeAt(vA) > 57);
              if (proto < 0) return this.#error('bad-protocol', `PROTO=${s.slice(vA, Math.min(vB, vA + 24))}`);
              this.#l4 = true;
              afterFlow = false;
              continue;
            }
            default:
              // VPROTO=, VID=, TUNNEL=, … : other link-layer details, kept out of the event
              if (code === -1 && s.charCodeAt(a) === 91) return this.#error('garbled', s.slice(a, Math.min(vB, a + 40)));
              continue;
          }
        }
        switch (code) {
          case K_SPT:
            if (!this.#mark(F_SPT, 'SPT')) return null;
            sport = this.#num(s, vA, vB, 65535, 'SPT');
            if (sport < 0) return null;
            continue;
          case K_DPT:
            if (!this.#mark(F_DPT, 'DPT')) return null;
            dport = this.#num(s, vA, vB, 65535, 'DPT');
            if (dport < 0) return null;
            continue;
          case K_LEN:
            if (!this.#mark(F_ULEN, 'LEN')) return null;
            udpLen = this.#num(s, vA, vB, 65535, 'LEN');
            if (udpLen < 0) return null;
            continue;
          case K_SEQ:
            if (proto === 6) {
              if (!this.#mark(F_SEQ, 'SEQ')) return null;
              seq = this.#num(s, vA, vB, 0xffffffff, 'SEQ');
              if (seq < 0) return null;
            } else {
              if (!this.#mark(F_L4SEQ, 'SEQ')) return null;
              icmpSeq = this.#num(s, vA, vB, 65535, 'SEQ');
              if (icmpSeq < 0) return null;
            }
            continue;
          case K_ACK:
            if (!this.#mark(F_ACK, 'ACK')) return null;
            ack = this.#num(s, vA, vB, 0xffffffff, 'ACK');
            if (ack < 0) return null;
            continue;
          case K_ID:
            if (!this.#mark(F_L4ID, 'ID')) return null;
            icmpId = this.#num(s, vA, vB, 65535, 'ID');
            if (icmpId < 0) return null;
            continue;
          case K_WINDOW:
            if (!this.#mark(F_WIN, 'WINDOW')) return null;
            windowV = this.#num(s, vA, vB, 65535, 'WINDOW');
            if (windowV < 0) return null;
            continue;
          case K_RES:
            if (!this.#mark(F_RES, 'RES')) return null;
            res = this.#hexNum(s, vA, vB, 255, 'RES');
            if (res < 0) return null;
            continue;
          case K_URGP:
            if (!this.#mark(F_URGP, 'URGP')) return null;
            urgp = this.#num(s, vA, vB, 65535, 'URGP');
            if (urgp < 0) return null;
            continue;
          case K_TYPE:
            if (!this.#mark(F_TYPE, 'TYPE')) return null;
            icmpType = this.#num(s, vA, vB, 255, 'TYPE');
            if (icmpType < 0) return null;
            continue;
          case K_CODE:
            if (!this.#mark(F_CODE, 'CODE')) return null;
            icmpCode = this.#num(s, vA, vB, 255, 'CODE');
            if (icmpCode < 0) return null;
            continue;
          case K_UID:
            if (!this.#mark(F_UID, 'UID')) return null;
            uid = this.#num(s, vA, vB, 0xffffffff, 'UID');
            if (uid < 0) return null;
            continue;
          case K_GID:
            if (!this.#mark(F_GID, 'GID')) return null;
            gid = this.#num(s, vA, vB, 0xffffffff, 'GID');
            if (gid < 0) return null;
            continue;
          case K_MARK:
            if (!this.#mark(F_MARK, 'MARK')) return null;
            mark = this.#hexNum(s, vA, vB, 0xffffffff, 'MARK');
            if (mark < 0) return null;
            continue;
          case K_IN: case K_OUT: case K_SRC: case K_DST: case K_PROTO: case K_TTL: case K_TOS: case K_HOPLIMIT:
            // an IP-level field after PROTO=: another packet's fields are mixed into this line
            return this.#error('garbled', `${s.slice(a, eq)}= after PROTO=`);
          default:
            if (code === -1 && s.charCodeAt(a) === 91) {
              // "[SRC=… ]": the packet quoted inside an ICMP error; skip it whole (its PROTO=/SPT= are not ours)
              const close = s.indexOf(']', a);
              i = close < 0 || close >= end ? end : close + 1;
            }
            // PARAMETER=, GATEWAY=, MTU=, POINTER=, SPI=: ICMP/IPsec details, kept out of the event
            continue;
        }
      }
      // a bare word (no '=')
      if (afterFlow) tokensAfterFlow++;
      const wEnd = i;
      if (code === W_OPT && s.charCodeAt(wEnd) === 32 && s.charCodeAt(wEnd + 1) === 40 /* ( */) {
        const close = s.indexOf(')', wEnd + 2);
        if (close < 0 || close >= end) return this.#error('truncated', 'OPT ( without )');
        const inner = s.slice(wEnd + 2, close).trim();
        i = close + 1;
        if (!this.#l4) {
          ipOptGroups++;
          if (v6) {
            if (!this.#v6Ext(inner)) return null;
            const f = this.#v6FragOff;
            if (f >= 0) { fragOffset = f; mf = mf || this.#v6More; ipId = this.#v6Id; }
            ipOptions = ipOptions === undefined ? inner : `${ipOptions} ${inner}`;
          } else {
            if (!isHex(inner)) return this.#error('bad-number', `OPT (${inner.slice(0, 40)})`);
            ipOptions = ipOptions === undefined ? inner : ipOptions + inner;
          }
        } else if (proto === 6) {
          if (!(this.#seen & F_URGP)) return this.#error('garbled', 'TCP OPT before URGP=');
          if (tcpOptions !== undefined) return this.#error('garbled', 'TCP OPT repeated');
          if (!isHex(inner)) return this.#error('bad-number', `OPT (${inner.slice(0, 40)})`);
          tcpOptions = inner;
        } else {
          return this.#error('garbled', 'OPT after PROTO=');
        }
        continue;
      }
      if (code === -1) {
        // words with digits, colons or lower case: "FRAG:185", "ID:0000abcd", "[SRC=…", "[65535", "bytes]"
        if (s.startsWith('FRAG:', a)) {
          if (v6) {
            const f = KernelFieldScanner.dec(s, a + 5, wEnd, 65535);
            if (f < 0) return this.#error('bad-number', s.slice(a, Math.min(wEnd, a + 24)));
            fragOffset = f >> 3;
          } else {
            const f = this.#num(s, a + 5, wEnd, 8191, 'FRAG');
            if (f < 0) return null;
            fragOffset = f;
          }
          continue;
        }
        if (v6 && s.startsWith('ID:', a) && !this.#l4) {
          const id = KernelFieldScanner.hex(s, a + 3, wEnd, 0xffffffff);
          if (id < 0) return this.#error('bad-number', s.slice(a, Math.min(wEnd, a + 24)));
          ipId = id;
          continue;
        }
        if (s.startsWith('Unknown Ext Hdr ', a) && !this.#l4) {
          // "Unknown Ext Hdr N": the kernel stopped before the transport header
          incomplete = true;
          i = end;
          continue;
        }
        if (s.charCodeAt(a) === 91 /* [ */) {
          const close = s.indexOf(']', a);
          i = close < 0 || close >= end ? end : close + 1;
          continue;
        } else {
          if (wEnd >= end) break;
          return this.#error('garbled', `unexpected "${s.slice(a, Math.min(wEnd, a + 24))}"`);
        }
      }
      if (code === W_INCOMPLETE) {
        if (s.charCodeAt(wEnd) === 32 && s.charCodeAt(wEnd + 1) === 91) {
          incomplete = true; // "INCOMPLETE [n bytes]": the kernel could not read the L4 header
          const close = s.indexOf(']', wEnd);
          i = close < 0 || close >= end ? end : close + 1;
        } else if (v6 && !this.#l4) {
          mf = true; // IPv6 fragment header with more-fragments set
        } else {
          incomplete = true;
        }
        continue;
      }
      if (!this.#l4) {
        if (code === W_DF) { if (df) return this.#error('garbled', 'DF repeated'); df = true; continue; }
        if (code === W_MF) { if (mf && !v6) return this.#error('garbled', 'MF repeated'); mf = true; continue; }
        if (code === W_CE) { if (ce) return this.#error('garbled', 'CE repeated'); ce = true; continue; }
        if (code === W_TRUNCATED) { incomplete = true; continue; }
        if (code === W_AH || code === W_ESP) continue;
        if (wEnd >= end) break;
        return this.#error('garbled', `unexpected "${s.slice(a, Math.min(wEnd, a + 24))}"`);
      }
      if (proto === 6) {
        let bit = 0;
        switch (code) {
          case W_CWR: bit = 0x80; break;
          case W_ECE: bit = 0x40; break;
          case W_URG: bit = 0x20; break;
          case W_ACK: bit = 0x10; break;
          case W_PSH: bit = 0x08; break;
          case W_RST: bit = 0x04; break;
          case W_SYN: bit = 0x02; break;
          case W_FIN: bit = 0x01; break;
          default: bit = 0;
        }
        if (bit !== 0 && !(this.#seen & F_URGP)) {
          // flags belong between WINDOW= and URGP=; a missing WINDOW= is reported by the completeness check
          if (flags & bit) return this.#error('bad-flags', `${s.slice(a, wEnd)} repeated`);
          flags |= bit;
          continue;
        }
        if (wEnd >= end) break; // the line was cut inside this word: the completeness check says "truncated"
        if ((this.#seen & F_WIN) && !(this.#seen & F_URGP)) return this.#error('bad-flags', s.slice(a, Math.min(wEnd, a + 24)));
        return this.#error('garbled', `unexpected "${s.slice(a, Math.min(wEnd, a + 24))}"`);
      }
      if (wEnd >= end) break;
      if (code === W_TRUNCATED) { incomplete = true; continue; }
      return this.#error('garbled', `unexpected "${s.slice(a, Math.min(wEnd, a + 24))}"`);
    }

    // ---- completeness ----
    const seen = this.#seen;
    if (!(seen & F_IN) || !(seen & F_OUT)) return this.#missing(F_IN | F_OUT);
    if (inIf === '' && outIf === '') return this.#error('no-interface', 'IN= and OUT= are both empty');
    if (!(seen & F_SRC)) return this.#missing(F_SRC);
    if (!(seen & F_DST)) return this.#missing(F_DST);
    if (dstV6 !== v6) return this.#error('bad-address', 'SRC= and DST= of different families');
    let need = F_LEN | F_PROTO;
    if (v6) need |= F_TC | F_HOP | F_FLOW;
    else need |= F_TTL | F_ID;
    const fragment = fragOffset !== undefined && fragOffset > 0;
    // Transport fields are required only where the kernel prints them: for a protocol it names (PROTO=TCP, not
    // PROTO=6 — the numeric form means it printed nothing more), not in a non-first fragment, not after INCOMPLETE.
    const noL4 = fragment || incomplete;
    if (!noL4 && named) {
      if (proto === 6) need |= F_SPT | F_DPT | F_WIN | F_URGP;
      else if (proto === 17 || proto === 136) need |= F_SPT | F_DPT | F_ULEN;
      else if (proto === 1 || proto === 58) need |= F_TYPE | F_CODE;
      if (proto === 1 && (icmpType === 0 || icmpType === 8)) need |= F_L4ID | F_L4SEQ;
    }
    if (!v6 && named && (proto === 6 || proto === 17 || proto === 136)) need |= F_TOS; // psad's TCP/UDP regexes need TOS=
    if ((seen & need) !== need) {
      if (incomplete && (seen & F_PROTO) === 0) return this.#error('incomplete-packet', 'the kernel logged TRUNCATED');
      return this.#missing(need);
    }
    if (compat) {
      // psad 2.4.6 counts these as errors: its regexes want ports/types right after PROTO=<name>, and the names
      // AH/ESP match neither a known name nor PROTO=(\d+); IPv4 UDPLITE fails its "PROTO=UDP\s" regex.
      if (named && noL4) return this.#error('psad-rejects', fragment ? 'non-first fragment without ports' : 'INCOMPLETE packet');
      if (named && proto !== 6 && proto !== 17 && proto !== 1 && proto !== 58 && !(v6 && proto === 136)) {
        return this.#error('psad-rejects', `PROTO=${protoLabel(proto)} (psad knows TCP, UDP, ICMP, ICMPv6 or a number)`);
      }
      if (v6 && (proto === 17 || proto === 136 || proto === 58) && tokensAfterFlow > 1) {
        return this.#error('psad-rejects', 'IPv6 UDP/ICMPv6 with extension headers logged');
      }
      if (v6 && proto === 6 && (seen & F_SEQ)) return this.#error('psad-rejects', 'IPv6 TCP with SEQ=/ACK= logged');
    }
    if (macDst !== '' && macSrc !== '' && mac === undefined) {
      mac = `${macDst}:${macSrc}${macProto.length === 4 ? `:${macProto.slice(0, 2)}:${macProto.slice(2)}` : ''}`;
    }

    const chain: Chain = inIf !== '' ? (outIf !== '' ? 'FORWARD' : 'INPUT') : 'OUTPUT';
    const isTcp = proto === 6 && named && !noL4;
    return {
      time: 0,
      timeSource: 'none',
      host: '',
      prefix: '',
      chain,
      inIf,
      outIf,
      physIn,
      physOut,
      mac,
      family: v6 ? 6 : 4,
      src,
      dst,
      len,
      tos,
      prec,
      ttl,
      ipId,
      df,
      mf,
      ce,
      fragOffset,
      flowLabel,
      ipOptions,
      ipOptGroups,
      proto,
      sport,
      dport,
      window: windowV,
      res,
      flags: isTcp ? flags : undefined,
      urgp,
      seq,
      ack,
      tcpOptions,
      icmpType,
      icmpCode,
      icmpId,
      icmpSeq,
      udpLen,
      uid,
      gid,
      mark,
      sid: undefined,
      line: 0,
    };
  }

  /** Reports the first missing field of `need`: 'truncated' when everything from it on is absent, else 'missing-field'. */
  #missing(need: number): null {
    let first: [number, number, string] | undefined;
    for (const entry of ORDER) {
      if ((need & entry[0]) && !(this.#seen & entry[0])) {
        if (!first || entry[1] < first[1]) first = entry;
      }
    }
    if (!first) return this.#error('missing-field', 'required field');
    const name = first[2];
    return this.#error(first[1] > this.#maxOrder ? 'truncated' : 'missing-field', name);
  }

  // IPv6 extension header group ("OPT ( FRAG:1232 INCOMPLETE ID:0000abcd )"), parsed into these:
  #v6FragOff = -1;
  #v6More = false;
  #v6Id = 0;

  #v6Ext(inner: string): boolean {
    this.#v6FragOff = -1;
    this.#v6More = false;
    this.#v6Id = 0;
    if (inner === '') return true;
    for (const w of inner.split(' ')) {
      if (w === '') continue;
      if (w.startsWith('FRAG:')) {
        const f = KernelFieldScanner.dec(w, 5, w.length, 65535);
        if (f < 0) { this.#error('bad-number', w.slice(0, 24)); return false; }
        this.#v6FragOff = f >> 3;
      } else if (w.startsWith('ID:')) {
        const id = KernelFieldScanner.hex(w, 3, w.length, 0xffffffff);
        if (id < 0) { this.#error('bad-number', w.slice(0, 24)); return false; }
        this.#v6Id = id;
      } else if (w === 'INCOMPLETE') {
        this.#v6More = true;
      } else if (w === 'AH' || w === 'ESP' || w.startsWith('SPI=') || w === 'TRUNCATED') {
        // IPsec headers: nothing the event keeps
      } else {
        this.#error('garbled', `OPT ( ${w.slice(0, 24)} )`);
        return false;
      }
    }
    return true;
  }
}

function isHexCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** Even-length hex text (the kernel's "%02X" per option byte); empty is fine ("OPT ( )"). */
function isHex(t: string): boolean {
  if (t.length % 2 !== 0) return false;
  for (let i = 0; i < t.length; i++) if (!isHexCode(t.charCodeAt(i))) return false;
  return true;
}

function hasColon(s: string, a: number, b: number): boolean {
  for (let i = a; i < b; i++) if (s.charCodeAt(i) === 58) return true;
  return false;
}

/** The kernel's full IPv6 form: eight groups of four hex digits. */
function isFullIpv6(t: string): boolean {
  if (t.length !== 39) return false;
  for (let i = 0; i < 39; i++) {
    const c = t.charCodeAt(i);
    if (i % 5 === 4) { if (c !== 58) return false; } else if (!isHexCode(c)) return false;
  }
  return true;
}

function protoLabel(p: number): string {
  switch (p) {
    case 51: return 'AH';
    case 50: return 'ESP';
    case 136: return 'UDPLITE';
    default: return String(p);
  }
}

/** PROTO= value → protocol number: names the kernel (and ulogd) print, or a decimal 0–255; -1 otherwise. */
export function protoNumber(s: string, a: number, b: number): number {
  const n = b - a;
  const c0 = s.charCodeAt(a);
  if (c0 >= 48 && c0 <= 57) return KernelFieldScanner.dec(s, a, b, 255);
  switch (n) {
    case 2: if (s.startsWith('AH', a)) return 51; break;
    case 3:
      if (s.startsWith('TCP', a)) return 6;
      if (s.startsWith('UDP', a)) return 17;
      if (s.startsWith('ESP', a)) return 50;
      if (s.startsWith('GRE', a)) return 47;
      break;
    case 4:
      if (s.startsWith('ICMP', a)) return 1;
      if (s.startsWith('IGMP', a)) return 2;
      if (s.startsWith('SCTP', a)) return 132;
      break;
    case 6: if (s.startsWith('ICMPv6', a) || s.startsWith('ICMPV6', a)) return 58; break;
    case 7: if (s.startsWith('UDPLITE', a)) return 136; break;
    default: break;
  }
  return -1;
}
