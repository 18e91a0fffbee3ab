// Scans the kernel's LOG/NFLOG field list ("IN=… OUT=… SRC=… PROTO=TCP SPT=…") into a PacketEvent, by hand.
//
// Formats: nf_log_syslog.c (iptables/ip6tables LOG, nftables `log`), older ipt_LOG (PHYSIN between IN= and OUT=),
// ulogd2 printpkt (LOGEMU: no RES=, TOS without 0x, MARK without 0x, SEQ/ACK always). One pass: keys are named by
// ident() from their characters, numbers are read in place and find their own end, only the strings the event keeps
// (interfaces, addresses, MAC, options) are sliced, and no regular expression runs. Fields of the packet an ICMP error
// quotes ("[SRC=… PROTO=UDP SPT=… ]") are skipped whole, so they never stand in for the outer packet's.
import { parseIp } from '../domain/address.ts';
import type { PacketEvent } from '../domain/events.ts';
import {
  F_ACK, F_CODE, F_DPT, F_DST, F_FLOW, F_GID, F_HOP, F_ID, F_IN, F_L4ID, F_L4SEQ, F_LEN, F_MAC, F_MARK, F_OUT, F_PHYSIN,
  F_PHYSOUT, F_PREC, F_PROTO, F_RES, F_SEQ, F_SPT, F_SRC, F_TC, F_TOS, F_TTL, F_TYPE, F_UID, F_ULEN, F_URGP, F_WIN,
  ORDER_BY_BIT, PacketDraft, fieldName, finish,
} from './kernel-draft.ts';
import type { Finished } from './kernel-draft.ts';
import { fastFields } from './kernel-fast.ts';
import type { FieldReaders } from './kernel-fast.ts';
import {
  K_ACK, K_CODE, K_DPT, K_DST, K_FLOWLBL, K_FRAG, K_GID, K_HOPLIMIT, K_ID, K_IN, K_LEN, K_MAC, K_MACDST, K_MACPROTO,
  K_MACSRC, K_MARK, K_OUT, K_PHYSIN, K_PHYSOUT, K_PREC, K_PROTO, K_RES, K_SEQ, K_SPT, K_SRC, K_TC, K_TOS, K_TTL, K_TYPE,
  K_UID, K_URGP, K_WINDOW, W_ACK, W_AH, W_CE, W_CWR, W_DF, W_ECE, W_ESP, W_FIN, W_INCOMPLETE, W_MF, W_OPT, W_PSH, W_RST,
  W_SYN, W_TRUNCATED, W_URG, ident,
} from './kernel-keys.ts';
import { cursor, decIn, hexIn, isFullIpv6, isHex, isHexCode, printable, protoNumber, readDec, readHex } from './kernel-values.ts';
import type { ErrorReason } from './parse-types.ts';
import { owned, V4Strings } from './v4-strings.ts';

/** Options the scanner needs from the parser. */
export interface ScanOptions {
  /** psad 2.4.6 rules: full-form IPv6 only, forms psad's regexes reject are errors. */
  psadCompat: boolean;
  /** Try the fast path for the common layout first (default; tests turn it off to compare). */
  fast?: boolean;
}

/** TCP flag bit of a flag word id, or 0. */
function flagBit(code: number): number {
  switch (code) {
    case W_CWR: return 0x80;
    case W_ECE: return 0x40;
    case W_URG: return 0x20;
    case W_ACK: return 0x10;
    case W_PSH: return 0x08;
    case W_RST: return 0x04;
    case W_SYN: return 0x02;
    case W_FIN: return 0x01;
    default: return 0;
  }
}

/** Whether s holds `t` at a (a character loop beats startsWith with a position on these short strings). */
function sameAt(s: string, a: number, t: string): boolean {
  if (a + t.length > s.length) return false;
  for (let k = 0; k < t.length; k++) if (s.charCodeAt(a + k) !== t.charCodeAt(k)) return false;
  return true;
}

/**
 * One table of IPv4 texts for the process: it is a cache by value, its strings are the same whichever scanner asked,
 * and its 1.5 MB were allocated and cleared for every scanner made (a property test that makes thousands ran ~10 ms
 * a case on that alone).
 */
const SHARED_V4 = new V4Strings();

/**
 * One reusable scanner (one per parser). `scan()` returns a complete PacketEvent (time, host, prefix, sid and line
 * left for the caller) or null with `reason` and `detail` set.
 */
export class KernelFieldScanner implements FieldReaders {
  /** Why the last scan failed. */
  reason: ErrorReason = 'garbled';
  /** Detail of the last failure (field name or value, at most ~80 characters). */
  detail = '';
  /** Lines the fast path read (for tests and profiling). */
  fastLines = 0;

  readonly #compat: boolean;
  readonly #fast: boolean;
  readonly #d = new PacketDraft();
  readonly #out: Finished = { event: null, reason: 'garbled', detail: '' };
  // interface names, MACs and IPv6 canonical forms repeat from line to line
  #if1 = '';
  #if2 = '';
  #addrV6 = false;
  #lastMac = '';
  readonly #v6cache = new Map<string, string>();
  /** IPv4 address texts by value (shared with the byte reader, so both hand out the same strings). */
  readonly v4 = SHARED_V4;

  constructor(opts: ScanOptions) {
    this.#compat = opts.psadCompat;
    this.#fast = opts.fast ?? true;
  }

  #error(reason: ErrorReason, detail: string): null {
    this.reason = reason;
    this.detail = detail.length > 80 ? `${detail.slice(0, 77)}...` : detail;
    return null;
  }

  #no(reason: ErrorReason, detail: string): false {
    this.#error(reason, detail);
    return false;
  }

  /** Records a field; false (error set) when it was already there — two lines' fields interleaved. */
  #mark(bit: number, name: string): boolean {
    const d = this.#d;
    if (d.seen & bit) {
      this.#error('garbled', `${name === 'L4' ? fieldName(bit) : name}= repeated`);
      return false;
    }
    d.seen |= bit;
    const o = ORDER_BY_BIT[31 - Math.clz32(bit)]!;
    if (o > d.maxOrder) d.maxOrder = o;
    return true;
  }

  /** Error for a value that is not a number in range: the token's text as detail. */
  #badValue(s: string, a: number, end: number, name: string): null {
    let e = s.indexOf(' ', a);
    if (e < 0 || e > end) e = end;
    return this.#error(name === 'SPT' || name === 'DPT' ? 'bad-port' : 'bad-number', s.slice(a, Math.min(e, a + 40)));
  }

  #iface(s: string, a: number, b: number): string | null {
    if (a === b) return '';
    const v = s.slice(a, b);
    if (v === this.#if1) return this.#if1;
    if (v === this.#if2) return this.#if2;
    // interface names are at most 15 printable characters (IFNAMSIZ); anything else is not the kernel's
    if (b - a > 15 || !printable(s, a, b)) {
      this.#error('garbled', `interface name ${JSON.stringify(v.slice(0, 20))}`);
      return null;
    }
    this.#if2 = this.#if1;
    this.#if1 = v;
    return v;
  }

  /** MAC= value: hex bytes separated by colons (any count: link types differ). */
  #mac(s: string, a: number, b: number): string | null {
    // behind a router every packet carries the same MAC header: compare in place before validating and slicing
    const last = this.#lastMac;
    if (last.length === b - a && s.startsWith(last, a)) return last;
    let ok = (b - a) % 3 === 2;
    for (let i = a; ok && i < b; i += 3) {
      ok = isHexCode(s.charCodeAt(i)) && isHexCode(s.charCodeAt(i + 1)) && (i + 2 === b || s.charCodeAt(i + 2) === 58);
    }
    if (!ok) {
      this.#error('bad-number', `MAC=${s.slice(a, Math.min(b, a + 48))}`);
      return null;
    }
    const v = s.slice(a, b);
    this.#lastMac = v;
    return v;
  }

  // last raw address text per field (SRC, DST), its canonical form and family
  readonly #rawAddr = ['', ''];
  readonly #canon = ['', ''];
  readonly #lastV6 = [false, false];

  #remember(slot: number, raw: string, canon: string, v6: boolean): void {
    this.#rawAddr[slot] = raw;
    this.#canon[slot] = canon;
    this.#lastV6[slot] = v6;
  }

  /** Where the last #addr() value ended. */
  #addrEnd = 0;

  /** Canonical address text of the value at s[a..] (up to a blank or `end`), or null (error set). Sets #addrV6, #addrEnd. */
  #addr(s: string, a: number, end: number, name: string): string | null {
    // the destination is usually this host and a scanner fills consecutive lines: reuse the string when it repeats
    const slot = name === 'SRC' ? 0 : 1;
    const lastRaw = this.#rawAddr[slot]!;
    const rl = lastRaw.length;
    if (rl > 0 && (a + rl === end || s.charCodeAt(a + rl) === 32) && sameAt(s, a, lastRaw)) {
      this.#addrV6 = this.#lastV6[slot]!;
      this.#addrEnd = a + rl;
      return this.#canon[slot]!;
    }
    // IPv4 fast path: a strict dotted quad is already canonical; the loop also finds the value's end
    let dots = 0;
    let ok = true;
    let part = 0;
    let digits = 0;
    let num = 0;
    let i = a;
    for (; i < end; i++) {
      const c = s.charCodeAt(i);
      if (c === 46) {
        if (digits === 0) ok = false;
        dots++;
        num = num * 256 + part;
        part = 0;
        digits = 0;
      } else if (c >= 48 && c <= 57) {
        if (digits === 1 && part === 0) ok = false; // a leading zero is not the kernel's (and reads as octal elsewhere)
        part = part * 10 + (c - 48);
        digits++;
        if (part > 255) ok = false;
      } else {
        break;
      }
    }
    if (i === end || s.charCodeAt(i) === 32) {
      if (ok && dots === 3 && digits > 0) {
        this.#addrV6 = false;
        this.#addrEnd = i;
        const v = this.v4.get(num * 256 + part, s, a, i);
        this.#remember(slot, v, v, false);
        return v;
      }
    } else {
      i = s.indexOf(' ', i);
      if (i < 0 || i > end) i = end;
    }
    this.#addrEnd = i;
    const raw = s.slice(a, i);
    this.#addrV6 = true;
    if (raw.includes(':')) {
      const hit = this.#v6cache.get(raw);
      if (hit !== undefined) {
        this.#remember(slot, raw, hit, true);
        return hit;
      }
      if (this.#compat && !isFullIpv6(raw)) {
        this.#error('bad-address', `${name}=${raw.slice(0, 45)} (psad accepts only the kernel's full IPv6 form)`);
        return null;
      }
      const p = raw.length <= 45 && !raw.includes('%') && raw.charCodeAt(0) !== 91 ? parseIp(raw) : null;
      if (p) {
        if (this.#v6cache.size >= 4096) this.#v6cache.clear();
        const text = owned(p.text);
        this.#v6cache.set(raw, text);
        this.#remember(slot, raw, text, true);
        return text;
      }
    }
    this.#error('bad-address', `${name}=${raw.slice(0, 45)}`);
    return null;
  }

  /** FieldReaders for the fast path: the same validating, caching readers the full scan uses. */
  iface(s: string, a: number, b: number): string | null {
    return this.#iface(s, a, b);
  }

  mac(s: string, a: number, b: number): string | null {
    return this.#mac(s, a, b);
  }

  addr(s: string, a: number, end: number, name: 'SRC' | 'DST'): string | null {
    return this.#addr(s, a, end, name);
  }

  get addrEnd(): number {
    return this.#addrEnd;
  }

  lastV6(): boolean {
    return this.#addrV6;
  }

  /** Scans s[start,end), `start` at the "IN=" of the kernel fields. */
  scan(s: string, start: number, end: number): PacketEvent | null {
    const d = this.#d;
    // the common layout first; anything else (or anything finish() rejects) is read in full, for the full rules
    if (this.#fast && fastFields(this, d, s, start, end)) {
      const r = finish(d, this.#compat, this.#out);
      if (r.event !== null) {
        this.fastLines++;
        return r.event;
      }
    }
    d.reset();
    let l4 = false; // after PROTO=
    let i = start;
    while (i < end) {
      let c = s.charCodeAt(i);
      if (c === 32) { i++; continue; }
      const a = i;
      let k = a;
      while (k < end) {
        c = s.charCodeAt(k);
        if (c === 61 || c === 32) break;
        k++;
      }
      const code = ident(s, a, k - a);
      if (d.afterFlow) d.tokensAfterFlow++;
      if (k < end && c === 61) {
        // KEY=VALUE
        const v = k + 1;
        let n: number;
        switch (code) {
          case K_IN: case K_OUT: case K_PHYSIN: case K_PHYSOUT: {
            if (l4) return this.#error('garbled', `${s.slice(a, k)}= after PROTO=`);
            let e = v; // interface names are short: a loop beats an indexOf call
            while (e < end && s.charCodeAt(e) !== 32) e++;
            i = e;
            if (code === K_PHYSIN || code === K_PHYSOUT) {
              const bit = code === K_PHYSIN ? F_PHYSIN : F_PHYSOUT;
              if (d.seen & bit) return this.#error('garbled', `${s.slice(a, k)}= repeated`);
              d.seen |= bit;
            } else if (!this.#mark(code === K_IN ? F_IN : F_OUT, code === K_IN ? 'IN' : 'OUT')) {
              return null;
            }
            const name = this.#iface(s, v, e);
            if (name === null) return null;
            if (code === K_IN) d.inIf = name;
            else if (code === K_OUT) d.outIf = name;
            else if (code === K_PHYSIN) d.physIn = name;
            else d.physOut = name;
            continue;
          }
          case K_MAC: case K_MACSRC: case K_MACDST: case K_MACPROTO: {
            let e = v + 41; // Ethernet: 14 bytes as "xx:" × 14 − 1
            if (!(e === end || (e < end && s.charCodeAt(e) === 32 && s.charCodeAt(e - 3) === 58))) {
              e = s.indexOf(' ', v);
              if (e < 0 || e > end) e = end;
            }
            i = e;
            if (l4) return this.#error('garbled', 'MAC after PROTO=');
            if (code === K_MAC) {
              if (d.seen & F_MAC) return this.#error('garbled', 'MAC= repeated');
              d.seen |= F_MAC;
              if (e > v) {
                const m = this.#mac(s, v, e);
                if (m === null) return null;
                d.mac = m;
              }
            } else if (code === K_MACPROTO) {
              const t = readHex(s, v, end, 0xffff);
              if (t < 0 || e - v !== 4) return this.#badValue(s, a, end, 'MACPROTO');
              d.macProto = s.slice(v, e);
            } else {
              const m = this.#mac(s, v, e);
              if (m === null) return null;
              if (code === K_MACSRC) d.macSrc = m; else d.macDst = m;
            }
            continue;
          }
          case K_SRC: case K_DST: {
            if (l4) return this.#error('garbled', `${s.slice(a, k)}= after PROTO=`);
            const isSrc = code === K_SRC;
            if (!this.#mark(isSrc ? F_SRC : F_DST, isSrc ? 'SRC' : 'DST')) return null;
            const t = this.#addr(s, v, end, isSrc ? 'SRC' : 'DST');
            if (t === null) return null;
            i = this.#addrEnd;
            if (isSrc) { d.src = t; d.v6 = this.#addrV6; } else { d.dst = t; d.dstV6 = this.#addrV6; }
            continue;
          }
          case K_LEN:
            if (!l4) {
              if (!this.#mark(F_LEN, 'LEN')) return null;
              n = readDec(s, v, end, d.v6 ? 65575 : 65535);
              if (n < 0) return this.#badValue(s, a, end, 'LEN');
              d.len = n;
            } else {
              if (!this.#mark(F_ULEN, 'LEN')) return null;
              n = readDec(s, v, end, 65535);
              if (n < 0) return this.#badValue(s, a, end, 'LEN');
              d.udpLen = n;
            }
            i = cursor.end;
            continue;
          case K_ID:
            if (!this.#mark(l4 ? F_L4ID : F_ID, 'ID')) return null;
            n = readDec(s, v, end, 65535);
            if (n < 0) return this.#badValue(s, a, end, 'ID');
            if (l4) d.icmpId = n; else d.ipId = n;
            i = cursor.end;
            continue;
          case K_TOS: case K_PREC:
            if (l4) return this.#error('garbled', `${s.slice(a, k)}= after PROTO=`);
            if (!this.#mark(code === K_TOS ? F_TOS : F_PREC, code === K_TOS ? 'TOS' : 'PREC')) return null;
            n = readHex(s, v, end, 255);
            if (n < 0) return this.#badValue(s, a, end, 'TOS');
            if (code === K_TOS) d.tos = n; else d.prec = n;
            i = cursor.end;
            continue;
          case K_TTL: case K_HOPLIMIT: case K_TC:
            if (l4) return this.#error('garbled', `${s.slice(a, k)}= after PROTO=`);
            if (!this.#mark(code === K_TTL ? F_TTL : code === K_TC ? F_TC : F_HOP, s.slice(a, k))) return null;
            n = readDec(s, v, end, 255);
            if (n < 0) return this.#badValue(s, a, end, 'TTL');
            if (code === K_TC) d.tos = n; else d.ttl = n;
            i = cursor.end;
            continue;
          case K_FLOWLBL:
            if (l4) return this.#error('garbled', 'FLOWLBL= after PROTO=');
            if (!this.#mark(F_FLOW, 'FLOWLBL')) return null;
            n = readDec(s, v, end, 0xfffff);
            if (n < 0) return this.#badValue(s, a, end, 'FLOWLBL');
            d.flowLabel = n;
            d.afterFlow = true;
            i = cursor.end;
            continue;
          case K_FRAG:
            // "FRAG=n" from some relays; the kernel writes "FRAG:n" (a bare word, below)
            n = readDec(s, v, end, 8191);
            if (n < 0) return this.#badValue(s, a, end, 'FRAG');
            d.fragOffset = n;
            i = cursor.end;
            continue;
          case K_PROTO: {
            if (l4) return this.#error('garbled', 'PROTO= repeated');
            if (!this.#mark(F_PROTO, 'PROTO')) return null;
            let e = s.indexOf(' ', v);
            if (e < 0 || e > end) e = end;
            i = e;
            d.proto = protoNumber(s, v, e);
            if (d.proto < 0) return this.#error('bad-protocol', s.slice(a, Math.min(e, a + 30)));
            d.named = e > v && (s.charCodeAt(v) < 48 || s.charCodeAt(v) > 57);
            d.protoLast = e >= end;
            d.afterFlow = false;
            l4 = true;
            continue;
          }
          default:
            break;
        }
        if (l4) {
          let bit = 0;
          let max = 65535;
          let hex = false;
          switch (code) {
            case K_SPT: bit = F_SPT; break;
            case K_DPT: bit = F_DPT; break;
            case K_WINDOW: bit = F_WIN; break;
            case K_URGP: bit = F_URGP; break;
            case K_RES: bit = F_RES; max = 255; hex = true; break;
            case K_TYPE: bit = F_TYPE; max = 255; break;
            case K_CODE: bit = F_CODE; max = 255; break;
            case K_SEQ: bit = d.proto === 6 ? F_SEQ : F_L4SEQ; max = d.proto === 6 ? 0xffffffff : 65535; break;
            case K_ACK: bit = F_ACK; max = 0xffffffff; break;
            case K_UID: bit = F_UID; max = 0xffffffff; break;
            case K_GID: bit = F_GID; max = 0xffffffff; break;
            case K_MARK: bit = F_MARK; max = 0xffffffff; hex = true; break;
            default: break;
          }
          if (bit !== 0) {
            if (!this.#mark(bit, 'L4')) return null;
            n = hex ? readHex(s, v, end, max) : readDec(s, v, end, max);
            if (n < 0) return this.#badValue(s, a, end, s.slice(a, k));
            i = cursor.end;
            switch (bit) {
              case F_SPT: d.sport = n; break;
              case F_DPT: d.dport = n; break;
              case F_WIN: d.window = n; break;
              case F_URGP: d.urgp = n; break;
              case F_RES: d.res = n; break;
              case F_TYPE: d.icmpType = n; break;
              case F_CODE: d.icmpCode = n; break;
              case F_SEQ: d.seq = n; break;
              case F_L4SEQ: d.icmpSeq = n; break;
              case F_ACK: d.ack = n; break;
              case F_UID: d.uid = n; break;
              case F_GID: d.gid = n; break;
              default: d.mark = n; break;
            }
            continue;
          }
        } else if (code === K_SPT || code === K_DPT || code === K_WINDOW || code === K_URGP || code === K_TYPE || code === K_CODE) {
          return this.#error('garbled', `${s.slice(a, k)}= before PROTO=`);
        }
        if (s.charCodeAt(a) === 91 /* [ */) {
          // "[SRC=… ]": the packet an ICMP error quotes; its PROTO=/SPT= are not ours
          if (!l4) return this.#error('garbled', s.slice(a, Math.min(end, a + 40)));
          const close = s.indexOf(']', a);
          i = close < 0 || close >= end ? end : close + 1;
          continue;
        }
        // VPROTO=, VID=, TUNNEL=, PARAMETER=, GATEWAY=, MTU=, POINTER=, SPI=, …: details the event does not keep
        let e = s.indexOf(' ', v);
        if (e < 0 || e > end) e = end;
        i = e;
        continue;
      }
      // a bare word s[a, k)
      i = k;
      if (!this.#word(s, a, k, end, code, l4)) return null;
      i = this.#next;
    }
    const r = finish(d, this.#compat, this.#out);
    if (r.event === null) return this.#error(r.reason, r.detail);
    return r.event;
  }

  /** Where #word() left off. */
  #next = 0;

  /** Handles the bare word s[a,w): flags, DF/MF/CE, OPT (…), FRAG:, INCOMPLETE, quoted packets. Sets #next. */
  #word(s: string, a: number, w: number, end: number, code: number, l4: boolean): boolean {
    const d = this.#d;
    this.#next = w;
    if (code === W_OPT && s.charCodeAt(w) === 32 && s.charCodeAt(w + 1) === 40 /* ( */) {
      const close = s.indexOf(')', w + 2);
      if (close < 0 || close >= end) return this.#no('truncated', 'OPT ( without )');
      // "(020405B4)" needs no trim; only IPv6 extension groups "( … )" have blanks inside
      const inner = s.charCodeAt(w + 2) === 32 || s.charCodeAt(close - 1) === 32 ? s.slice(w + 2, close).trim() : s.slice(w + 2, close);
      this.#next = close + 1;
      if (!l4) {
        d.ipOptGroups++;
        if (d.v6) {
          if (!this.#v6Ext(inner)) return false;
          d.ipOptions = d.ipOptions === undefined ? inner : `${d.ipOptions} ${inner}`;
        } else {
          if (!isHex(inner)) return this.#no('bad-number', `OPT (${inner.slice(0, 40)})`);
          d.ipOptions = d.ipOptions === undefined ? inner : d.ipOptions + inner;
        }
        return true;
      }
      if (d.proto !== 6 || !(d.seen & F_URGP)) return this.#no('garbled', 'OPT after PROTO= not after URGP=');
      if (d.tcpOptions !== undefined) return this.#no('garbled', 'TCP OPT repeated');
      if (!isHex(inner)) return this.#no('bad-number', `OPT (${inner.slice(0, 40)})`);
      d.tcpOptions = inner;
      return true;
    }
    if (code < 0) {
      // words with digits, colons or lower case: "FRAG:185", "ID:0000abcd", "[…", "Unknown Ext Hdr 43"
      if (!l4 && s.startsWith('FRAG:', a)) {
        if (d.v6) {
          const f = decIn(s, a + 5, w, 65535);
          if (f < 0) return this.#no('bad-number', s.slice(a, Math.min(w, a + 24)));
          d.fragOffset = f >> 3; // IPv6 logs the offset in bytes; keep 8-byte units as IPv4 does
        } else {
          const f = decIn(s, a + 5, w, 8191);
          if (f < 0) return this.#no('bad-number', s.slice(a, Math.min(w, a + 24)));
          d.fragOffset = f;
        }
        return true;
      }
      if (!l4 && d.v6 && s.startsWith('ID:', a)) {
        const id = hexIn(s, a + 3, w, 0xffffffff);
        if (id < 0) return this.#no('bad-number', s.slice(a, Math.min(w, a + 24)));
        d.ipId = id;
        return true;
      }
      if (!l4 && s.startsWith('Unknown Ext Hdr ', a)) {
        d.incomplete = true; // the kernel stopped before the transport header
        this.#next = end;
        return true;
      }
      if (l4 && s.charCodeAt(a) === 91 /* [ */) {
        const close = s.indexOf(']', a);
        this.#next = close < 0 || close >= end ? end : close + 1;
        return true;
      }
      if (w >= end) { this.#next = end; return true; } // cut inside this word: finish() says "truncated"
      if (d.proto === 6 && (d.seen & F_WIN) && !(d.seen & F_URGP)) return this.#no('bad-flags', s.slice(a, Math.min(w, a + 24)));
      return this.#no('garbled', `unexpected "${s.slice(a, Math.min(w, a + 24))}"`);
    }
    if (code === W_INCOMPLETE) {
      if (s.charCodeAt(w) === 32 && s.charCodeAt(w + 1) === 91) {
        d.incomplete = true; // "INCOMPLETE [n bytes]": the kernel could not read the transport header
        const close = s.indexOf(']', w);
        this.#next = close < 0 || close >= end ? end : close + 1;
      } else if (d.v6 && !l4) {
        d.mf = true; // IPv6 fragment header with more-fragments set
      } else {
        d.incomplete = true;
      }
      return true;
    }
    if (code === W_TRUNCATED) { d.incomplete = true; return true; }
    if (!l4) {
      if (code === W_DF || code === W_CE || (code === W_MF && !d.v6)) {
        const was = code === W_DF ? d.df : code === W_CE ? d.ce : d.mf;
        if (was) return this.#no('garbled', `${s.slice(a, w)} repeated`);
        if (code === W_DF) d.df = true; else if (code === W_CE) d.ce = true; else d.mf = true;
        return true;
      }
      if (code === W_AH || code === W_ESP) return true;
      if (w >= end) return true;
      return this.#no('garbled', `unexpected "${s.slice(a, Math.min(w, a + 24))}"`);
    }
    if (d.proto === 6) {
      const bit = flagBit(code);
      if (bit !== 0 && !(d.seen & F_URGP)) {
        // flags belong between WINDOW= and URGP=; a missing WINDOW= is reported by the completeness check
        if (d.flags & bit) return this.#no('bad-flags', `${s.slice(a, w)} repeated`);
        d.flags |= bit;
        return true;
      }
      if (w >= end) return true;
      if ((d.seen & F_WIN) && !(d.seen & F_URGP)) return this.#no('bad-flags', s.slice(a, Math.min(w, a + 24)));
    }
    if (w >= end) return true;
    return this.#no('garbled', `unexpected "${s.slice(a, Math.min(w, a + 24))}"`);
  }

  /** One IPv6 extension-header group "OPT ( FRAG:1232 INCOMPLETE ID:0000abcd )" (or "( )", "( AH SPI=0x… )"). */
  #v6Ext(inner: string): boolean {
    const d = this.#d;
    if (inner === '') return true;
    for (const w of inner.split(' ')) {
      if (w === '' || w === 'AH' || w === 'ESP' || w.startsWith('SPI=') || w === 'TRUNCATED') continue;
      if (w.startsWith('FRAG:')) {
        const f = decIn(w, 5, w.length, 65535);
        if (f < 0) return this.#no('bad-number', w.slice(0, 24));
        d.fragOffset = f >> 3;
      } else if (w.startsWith('ID:')) {
        const id = hexIn(w, 3, w.length, 0xffffffff);
        if (id < 0) return this.#no('bad-number', w.slice(0, 24));
        d.ipId = id;
      } else if (w === 'INCOMPLETE') {
        d.mf = true;
      } else {
        return this.#no('garbled', `OPT ( ${w.slice(0, 24)} )`);
      }
    }
    return true;
  }
}
