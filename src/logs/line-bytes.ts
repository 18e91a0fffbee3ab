// Byte-level fast path for the commonest firewall line — "Mon DD HH:MM:SS host kernel: [uptime] PREFIX IN=… OUT=…"
// with the kernel's IPv4 TCP/UDP/ICMP or IPv6 TCP/UDP/ICMPv6 field layout — read from the input bytes straight into one reused event: no
// decoding, no line string, no object per line. At the first thing it does not expect (another header, IPv6, another
// field layout, a byte outside printable ASCII, anything the completeness rules would look at twice) it returns false
// and the caller decodes the line for the full parser, so every other format and every error stays the full parser's.
//
// Consecutive lines share most of their bytes: the same stamp within a second, and the same "host kernel: PREFIX IN=…
// OUT=… MAC=… SRC=" run from one firewall rule. Both are compared with the previous line's eight bytes at a time and,
// when equal, what they gave is reused; only the differing fields are read.
import { parseIp } from '../domain/address.ts';
import { interned } from '../domain/interned.ts';
import type { LineEvent } from './line-event.ts';
import { cleanPrefix } from './log-prefix.ts';
import { owned } from './v4-strings.ts';
import type { YearInference } from './zoned-time.ts';

const SP = 32;

/** Four ASCII characters as the little-endian 32-bit word DataView.getUint32(i, true) reads. */
function word(s: string): number {
  return (s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24)) >>> 0;
}

const W_SRC = word('SRC=');
const W_DST = word('DST=');
const W_LEN = word('LEN=');
const W_TOS = word('TOS=');
const W_PREC = word('PREC');
const W_TTL = word('TTL=');
const W_PROT = word('PROT');
const W_TCP = word('TCP ');
const W_UDP = word('UDP ');
const W_ICMP = word('ICMP');
const W_SPT = word('SPT=');
const W_DPT = word('DPT=');
const W_WIND = word('WIND');
const W_RES = word('RES=');
const W_URGP = word('URGP');
const W_OPT = word('OPT ');
const W_TYPE = word('TYPE');
const W_CODE = word('CODE');
const W_SEQ = word('SEQ=');
const W_OUT = word('OUT=');
const W_MAC = word('MAC=');
const W_KERN = word('kern');
const W_EL = word('el: ');
const W_HOPL = word('HOPL');
const W_IMIT = word('IMIT');
const W_FLOW = word('FLOW');
const W_LBL = word('LBL=');
/** "ID=", "DF " and "TC=" as the low three bytes of a word. */
const W3_ID = word('ID= ') & 0xffffff;
const W3_DF = word('DF  ') & 0xffffff;
const W3_TC = word('TC= ') & 0xffffff;

/** Eight ASCII characters as the float64 DataView.getFloat64(i, true) reads (compared as HEAD_WORDS explains). */
function word8(s: string): number {
  const dv = new DataView(new ArrayBuffer(8));
  for (let k = 0; k < 8; k++) dv.setUint8(k, s.charCodeAt(k));
  return dv.getFloat64(0, true);
}

// the values nearly every line has: "TOS=0x00 PREC=0x00 " and "RES=0x00 " are read in two or one compares, not as hex
const F_TOS0 = word8('TOS=0x00');
const F_PREC0 = word8('PREC=0x0');
const F_RES0 = word8('RES=0x00');

/** Whether buf[a,b) holds exactly the characters of `s`. */
function same(buf: Buffer, a: number, b: number, s: string): boolean {
  if (b - a !== s.length) return false;
  for (let k = 0; k < s.length; k++) if (buf[a + k] !== s.charCodeAt(k)) return false;
  return true;
}

function digit(c: number | undefined): boolean {
  return c !== undefined && c >= 48 && c <= 57;
}

/** Value of the 2 decimal digits at i, or -1. */
function two(buf: Buffer, i: number): number {
  const a = (buf[i] ?? 0) - 48;
  const b = (buf[i + 1] ?? 0) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/** Month 1–12 from the 3 letters at i (any case), or 0. */
function monthCode(buf: Buffer, i: number): number {
  switch ((((buf[i] ?? 0) | 0x20) << 16) | (((buf[i + 1] ?? 0) | 0x20) << 8) | ((buf[i + 2] ?? 0) | 0x20)) {
    case 0x6a616e: return 1;
    case 0x666562: return 2;
    case 0x6d6172: return 3;
    case 0x617072: return 4;
    case 0x6d6179: return 5;
    case 0x6a756e: return 6;
    case 0x6a756c: return 7;
    case 0x617567: return 8;
    case 0x736570: return 9;
    case 0x6f6374: return 10;
    case 0x6e6f76: return 11;
    case 0x646563: return 12;
    default: return 0;
  }
}

/** Where the last number read stopped. */
let at = 0;

/** The decimal at buf[a..] as readDec reads it (≤ 10 digits, ≤ max, then a blank or the end); -1 otherwise. */
function dec(buf: Buffer, a: number, end: number, max: number): number {
  let j = a;
  let v = 0;
  while (j < end) {
    const d = buf[j]! - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
    j++;
  }
  at = j;
  if (j === a || j - a > 10 || v > max || (j < end && buf[j] !== SP)) return -1;
  return v;
}

/** A hex value ("0x00" or "00") at buf[a..] as readHex reads it; -1 otherwise. */
function hex(buf: Buffer, a: number, end: number, max: number): number {
  let j = a;
  if (buf[j] === 48 && ((buf[j + 1] ?? 0) | 0x20) === 120) j += 2;
  const d0 = j;
  let v = 0;
  while (j < end) {
    const c = buf[j]!;
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 65 && c <= 70) d = c - 55;
    else if (c >= 97 && c <= 102) d = c - 87;
    else break;
    v = v * 16 + d;
    j++;
  }
  at = j;
  if (j === d0 || j - d0 > 8 || v > max || (j < end && buf[j] !== SP)) return -1;
  return v;
}

/** The value of a hex digit's code, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** Slots of the IPv6 text cache (a power of two). */
const V6_SLOTS = 4096;

function isHexCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** End of the word starting at i (the next blank or `end`). */
function wordEnd(buf: Buffer, i: number, end: number): number {
  let e = i;
  while (e < end && buf[e] !== SP) e++;
  return e;
}

/** TCP flag bit of the 3-letter word at a (b = its end), or 0. */
function flagBit(buf: Buffer, a: number, b: number): number {
  if (b - a !== 3) return 0;
  switch ((buf[a]! << 16) | (buf[a + 1]! << 8) | buf[a + 2]!) {
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

/**
 * IPv4 address at buf[a..] (strict dotted quad, which is canonical): its value as a signed 32-bit number (`>>> 0`
 * gives ipv4Key's form), `at` set to its end; `at` = -1 when there is none. Signed, because half of all addresses are
 * 2^31 or more, and such a number returned from a call is a heap-allocated double: two per line.
 */
function addr(buf: Buffer, a: number, end: number): number {
  let dots = 0;
  let part = 0;
  let digits = 0;
  let num = 0;
  let i = a;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c === 46) {
      if (digits === 0) return (at = -1);
      dots++;
      num = num * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && part === 0) return (at = -1); // leading zero
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return (at = -1);
    } else {
      break;
    }
  }
  if (i >= end || buf[i] !== SP || dots !== 3 || digits === 0) {
    at = -1;
    return 0;
  }
  at = i;
  return (num * 256 + part) | 0;
}

/*
 * HEAD_WORDS: the stamp and the head of a line are compared with the previous line's eight bytes at a time, as float64
 * numbers (half the loads and compares of 32-bit words). Float equality is byte equality here because the stored side
 * is always printable ASCII (both were read and checked before they were kept): eight bytes of 0x20-0x7e make a normal
 * number, never NaN (which equals nothing), 0 or -0 (which equal each other), so equal numbers have equal bytes. The
 * line's side may be anything: NaN or another number is simply not equal.
 */

/** Reads lines of the common shape from bytes; one per parser (it keeps what the previous line gave). */
export class ByteLineReader {
  readonly #years: YearInference;
  #buf: Buffer | null = null;
  #dv: DataView = new DataView(new ArrayBuffer(0));
  // the previous line's 16-byte stamp "Mon DD HH:MM:SS " as two float64 words (see HEAD_WORDS), its time (NaN: none)
  #s0 = 0;
  #s1 = 0;
  #stampTime = Number.NaN;
  // the previous head "host kernel: … SRC=" as words (whole ones) and bytes, and what it gave
  #tpl = new Uint8Array(256);
  #tplWords = new Float64Array(32);
  #tplLen = 0;
  /** The head's last eight bytes as a float64 (see #sameHead). */
  #tplLast = 0;
  #host = '';
  #prefix = '';
  #inIf = '';
  #outIf = '';
  #mac: string | undefined = undefined;
  // strings of the slow head that repeat
  #if1 = '';
  #if2 = '';
  #macText = '';
  #rawPrefix = '';
  #cleanPrefix = '';
  // the TCP options of the previous line that had some
  #opts = '';
  #optBytes = new Uint8Array(64);
  #optWords = new Float64Array(8);

  constructor(years: YearInference) {
    this.#years = years;
  }

  /**
   * Reads buf[a,b) (one line, no terminator) into `ev` — every field but `sid` and `line` — when it has the common
   * shape; false otherwise (`ev` is then partly written and must be filled again before use).
   */
  read(buf: Buffer, a: number, b: number, ev: LineEvent): boolean {
    if (b - a < 40) return false;
    if (buf !== this.#buf) {
      this.#buf = buf;
      this.#dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    const dv = this.#dv;
    // ---- "Mon DD HH:MM:SS " (traditional syslog, no year, no fraction: the rest go the full way)
    let time: number;
    let j: number;
    const w0 = dv.getFloat64(a, true);
    const w1 = dv.getFloat64(a + 8, true);
    if (w0 === this.#s0 && w1 === this.#s1 && !Number.isNaN(this.#stampTime)) {
      time = this.#stampTime;
      j = a + 16;
    } else {
      j = this.#stamp(buf, a);
      if (j < 0) return false;
      time = this.#stampTime;
      if (j === a + 16) {
        this.#s0 = w0;
        this.#s1 = w1;
      } else {
        this.#stampTime = Number.NaN;
      }
    }
    // ---- "host kernel: [uptime] PREFIX IN=… OUT=… [MAC=…] SRC=": as the line before, or read
    let i: number;
    const n = this.#tplLen;
    if (n > 0 && j + n < b && this.#sameHead(dv, buf, j, n)) i = j + n;
    else {
      i = this.#head(buf, dv, j, b);
      if (i < 0) return false;
    }
    if (!this.#tail(buf, dv, i, b, ev)) return false;
    ev.time = time;
    ev.timeSource = 'syslog';
    ev.host = this.#host;
    ev.prefix = this.#prefix;
    ev.chain = this.#inIf !== '' ? (this.#outIf !== '' ? 'FORWARD' : 'INPUT') : 'OUTPUT';
    ev.inIf = this.#inIf;
    ev.outIf = this.#outIf;
    ev.mac = this.#mac;
    return true;
  }

  /**
   * A guess at the IPv4 source and destination of the lines starting at `from` and ending at ends[0..n) (see
   * LineSink.ahead), for prefetching: where the previous line's head would put them, read without checking the stamp
   * or the head (a line of another shape gives a wrong pair or none). Into src/dst as signed numbers (as many as they
   * hold); returns how many.
   */
  peek(buf: Buffer, from: number, ends: Int32Array, n: number, src: Int32Array, dst: Int32Array): number {
    const head = this.#tplLen;
    if (head === 0) return 0;
    const room = Math.min(src.length, dst.length);
    let m = 0;
    let a = from;
    for (let k = 0; k < n && m < room; k++) {
      const b = ends[k]!;
      const i = a + 16 + head;
      a = b + 1;
      if (i + 16 > b) continue;
      const s = addr(buf, i, b);
      const j = at;
      if (j < 0 || j + 13 > b || buf[j + 1] !== 68 || buf[j + 4] !== 61) continue;
      const d = addr(buf, j + 5, b);
      if (at < 0) continue;
      src[m] = s;
      dst[m] = d;
      m++;
    }
    return m;
  }

  /** The stamp at a: its time into #stampTime; returns the index after it and its blank, or -1. */
  #stamp(buf: Buffer, a: number): number {
    const mo = monthCode(buf, a);
    if (mo === 0 || buf[a + 3] !== SP) return -1;
    let j = a + 4;
    if (buf[j] === SP) j++;
    const d0 = j;
    let day = 0;
    while (j < d0 + 2 && digit(buf[j])) day = day * 10 + (buf[j++]! - 48);
    if (j === d0 || day < 1 || day > 31 || buf[j] !== SP) return -1;
    j++;
    if (digit(buf[j + 2]) && digit(buf[j + 3]) && buf[j + 4] === SP) return -1; // "YYYY HH:MM:SS"
    const hh = two(buf, j);
    const mi = two(buf, j + 3);
    const ss = two(buf, j + 6);
    if (hh < 0 || mi < 0 || ss < 0 || buf[j + 2] !== 58 || buf[j + 5] !== 58 || hh > 23 || mi > 59 || ss > 60) return -1;
    j += 8;
    if (buf[j] !== SP) return -1;
    const time = this.#years.resolve(mo, day, hh, mi, ss, 0);
    this.#stampTime = time;
    return Number.isNaN(time) ? -1 : j + 1;
  }

  /** Whether buf[j, j+n) holds the previous head. */
  #sameHead(dv: DataView, buf: Buffer, j: number, n: number): boolean {
    const words = this.#tplWords;
    const whole = n >>> 3;
    for (let k = 0; k < whole; k++) if (dv.getFloat64(j + 8 * k, true) !== words[k]) return false;
    if ((n & 7) === 0) return true;
    // the bytes after the whole words: as the head's last eight bytes (overlapping the last whole word), one compare
    if (n >= 8) return dv.getFloat64(j + n - 8, true) === this.#tplLast;
    const tpl = this.#tpl;
    for (let k = 0; k < n; k++) if (buf[j + k] !== tpl[k]) return false;
    return true;
  }

  /**
   * Reads the head from j (the host): host, "kernel:", an uptime stamp, the prefix up to the first "IN=", then IN=,
   * OUT=, an Ethernet MAC= and "SRC="; keeps what it gave and its bytes. Returns where the source address starts, or -1.
   */
  #head(buf: Buffer, dv: DataView, j0: number, b: number): number {
    this.#tplLen = 0;
    let j = j0;
    // host: printable, no "=" (so it cannot hold "IN="), not a tag ("kernel", "name:")
    while (j < b) {
      const c = buf[j]!;
      if (c === SP) break;
      if (c < 33 || c > 126 || c === 61) return -1;
      j++;
    }
    if (j === j0 || j + 9 >= b || buf[j - 1] === 58 || same(buf, j0, j, 'kernel')) return -1;
    const h1 = j;
    // " kernel: ", then blanks and an optional "[ secs.usec]" uptime stamp
    if (buf[j] !== SP || dv.getUint32(j + 1, true) !== W_KERN || dv.getUint32(j + 5, true) !== W_EL) return -1;
    j += 9;
    while (j < b && buf[j] === SP) j++;
    if (buf[j] === 91) {
      let k = j + 1;
      while (k < b && buf[k] === SP) k++;
      const i0 = k;
      while (k < b && digit(buf[k])) k++;
      if (k > i0 && buf[k] === 46) {
        k++;
        const f0 = k;
        while (k < b && digit(buf[k])) k++;
        if (k > f0) {
          while (k < b && buf[k] === SP) k++;
          if (buf[k] === 93) {
            k++;
            while (k < b && buf[k] === SP) k++;
            j = k;
          }
        }
      }
    }
    const msg = j;
    // rsyslog's "message repeated N times: [ … ]" is a loss notice: the full parser reads it
    if (same(buf, msg, Math.min(b, msg + 17), 'message repeated ')) return -1;
    // the prefix up to the first "IN=", printable ASCII; the kernel fields must begin there
    let fw = -1;
    for (let k = msg; k + 2 < b; k++) {
      const c = buf[k]!;
      if (c < 32 || c > 126) return -1;
      if (c === 73 && buf[k + 1] === 78 && buf[k + 2] === 61) {
        fw = k;
        break;
      }
    }
    if (fw < 0) return -1;
    let e = wordEnd(buf, fw + 3, b);
    if (e + 4 >= b) return -1;
    const inIf = this.#iface(buf, fw + 3, e);
    if (inIf === null) return -1;
    let i = e + 1;
    if (dv.getUint32(i, true) !== W_OUT) return -1;
    e = wordEnd(buf, i + 4, b);
    if (e + 4 >= b) return -1;
    const outIf = this.#iface(buf, i + 4, e);
    if (outIf === null || (inIf === '' && outIf === '')) return -1;
    i = e + 1;
    let mac: string | undefined;
    if (dv.getUint32(i, true) === W_MAC) {
      // Ethernet: 14 bytes as "xx:" × 14 − 1 (other link types go the full way)
      e = i + 45;
      if (e + 4 >= b || buf[e] !== SP) return -1;
      if (same(buf, i + 4, e, this.#macText)) {
        mac = this.#macText;
      } else {
        for (let k = i + 4; k < e; k += 3) {
          if (!isHexCode(buf[k]!) || !isHexCode(buf[k + 1]!) || (k + 2 < e && buf[k + 2] !== 58)) return -1;
        }
        mac = this.#macText = buf.toString('latin1', i + 4, e);
      }
      i = e + 1;
    }
    if (i + 4 > b || dv.getUint32(i, true) !== W_SRC) return -1;
    i += 4;
    // what the head gave, and its bytes for the next line
    this.#host = same(buf, j0, h1, this.#host) ? this.#host : buf.toString('latin1', j0, h1);
    let pa = msg;
    let pb = fw;
    while (pa < pb && buf[pa] === SP) pa++;
    while (pb > pa && buf[pb - 1] === SP) pb--;
    let prefix = '';
    if (pa < pb) {
      if (!same(buf, pa, pb, this.#rawPrefix)) {
        this.#rawPrefix = buf.toString('latin1', pa, pb);
        this.#cleanPrefix = cleanPrefix(this.#rawPrefix);
      }
      prefix = this.#cleanPrefix;
    }
    this.#prefix = prefix;
    this.#inIf = inIf;
    this.#outIf = outIf;
    this.#mac = mac;
    const n = i - j0;
    if (n > this.#tpl.length) {
      this.#tpl = new Uint8Array(n * 2);
      this.#tplWords = new Float64Array(Math.ceil(n / 4));
    }
    this.#tpl.set(buf.subarray(j0, i));
    for (let k = 0; k < n >>> 3; k++) this.#tplWords[k] = dv.getFloat64(j0 + 8 * k, true);
    this.#tplLast = n >= 8 ? dv.getFloat64(i - 8, true) : 0;
    this.#tplLen = n;
    return i;
  }

  /** Interface name in buf[a,b): '' when empty, null when not the kernel's (more than 15 or unprintable bytes). */
  #iface(buf: Buffer, a: number, b: number): string | null {
    if (a === b) return '';
    if (same(buf, a, b, this.#if1)) return this.#if1;
    if (same(buf, a, b, this.#if2)) return this.#if2;
    if (b - a > 15) return null;
    for (let i = a; i < b; i++) if (buf[i]! < 33 || buf[i]! > 126) return null;
    this.#if2 = this.#if1;
    // internalized: detection compares the interface with '' and 'lo' for every packet (see interned)
    this.#if1 = interned(buf.toString('latin1', a, b));
    return this.#if1;
  }

  /** The kernel fields from the source address (i) to the end, in the common layout, into `ev`; false for anything else. */
  #tail(buf: Buffer, dv: DataView, i0: number, end: number, ev: LineEvent): boolean {
    const src = addr(buf, i0, end);
    if (at < 0) return buf[i0 + 4] === 58 && this.#tail6(buf, dv, i0, end, ev);
    if (at + 5 > end || dv.getUint32(at + 1, true) !== W_DST) return false;
    const dst = addr(buf, at + 5, end);
    if (at < 0 || at + 5 > end || dv.getUint32(at + 1, true) !== W_LEN) return false;
    const len = dec(buf, at + 5, end, 65535);
    if (len < 0) return false;
    let tos = 0;
    let prec = 0;
    if (at + 25 <= end && dv.getFloat64(at + 1, true) === F_TOS0 && buf[at + 9] === SP && dv.getFloat64(at + 10, true) === F_PREC0
      && buf[at + 18] === 48 && buf[at + 19] === SP) {
      at += 19;
    } else {
      if (at + 5 > end || dv.getUint32(at + 1, true) !== W_TOS) return false;
      tos = hex(buf, at + 5, end, 255);
      if (tos < 0 || at + 6 > end || dv.getUint32(at + 1, true) !== W_PREC || buf[at + 5] !== 61) return false;
      prec = hex(buf, at + 6, end, 255);
      if (prec < 0) return false;
    }
    if (at + 5 > end || dv.getUint32(at + 1, true) !== W_TTL) return false;
    const ttl = dec(buf, at + 5, end, 255);
    if (ttl < 0 || at + 5 > end || (dv.getUint32(at + 1, true) & 0xffffff) !== W3_ID) return false;
    const id = dec(buf, at + 4, end, 65535);
    // at least " PROTO=UDP " must follow
    if (id < 0 || at + 11 > end) return false;
    let i = at + 1;
    let df = false;
    if ((dv.getUint32(i, true) & 0xffffff) === W3_DF) {
      df = true;
      i += 3;
    }
    if (i + 10 > end || dv.getUint32(i, true) !== W_PROT || buf[i + 4] !== 79 || buf[i + 5] !== 61) return false;
    i += 6;
    let proto: number;
    const pw = dv.getUint32(i, true);
    if (pw === W_TCP) proto = 6;
    else if (pw === W_UDP) proto = 17;
    else if (pw === W_ICMP && buf[i + 4] === SP) proto = 1;
    else return false;
    if (!this.#l4(buf, dv, i + (proto === 1 ? 5 : 4), end, proto, ev)) return false;
    ev.setAddrs(src >>> 0, dst >>> 0);
    ev.family = 4;
    ev.len = len;
    ev.tos = tos;
    ev.prec = prec;
    ev.ttl = ttl;
    ev.ipId = id;
    ev.df = df;
    ev.flowLabel = undefined;
    return true;
  }

  /**
   * The IPv6 fields from the source address: both addresses in the kernel's full form (the only one psad reads; any
   * other goes the full way), LEN, TC, HOPLIMIT, FLOWLBL, then PROTO=TCP, UDP or ICMPv6 right after (extension
   * headers go the full way).
   */
  #tail6(buf: Buffer, dv: DataView, i0: number, end: number, ev: LineEvent): boolean {
    const src = this.#addr6(buf, i0, end);
    if (src === null || at + 5 > end || dv.getUint32(at + 1, true) !== W_DST) return false;
    const dst = this.#addr6(buf, at + 5, end);
    if (dst === null || at + 5 > end || dv.getUint32(at + 1, true) !== W_LEN) return false;
    const len = dec(buf, at + 5, end, 65575);
    if (len < 0 || at + 4 > end || (dv.getUint32(at + 1, true) & 0xffffff) !== W3_TC) return false;
    const tc = dec(buf, at + 4, end, 255);
    if (tc < 0 || at + 10 > end || dv.getUint32(at + 1, true) !== W_HOPL || dv.getUint32(at + 5, true) !== W_IMIT || buf[at + 9] !== 61) return false;
    const hop = dec(buf, at + 10, end, 255);
    if (hop < 0 || at + 9 > end || dv.getUint32(at + 1, true) !== W_FLOW || dv.getUint32(at + 5, true) !== W_LBL) return false;
    const flow = dec(buf, at + 9, end, 0xfffff);
    if (flow < 0 || at + 11 > end) return false;
    let i = at + 1;
    if (dv.getUint32(i, true) !== W_PROT || buf[i + 4] !== 79 || buf[i + 5] !== 61) return false;
    i += 6;
    let proto: number;
    const pw = dv.getUint32(i, true);
    if (pw === W_TCP) proto = 6;
    else if (pw === W_UDP) proto = 17;
    else if (pw === W_ICMP && i + 8 <= end && buf[i + 4] === 118 && buf[i + 5] === 54 && buf[i + 6] === SP) proto = 58;
    else return false;
    if (!this.#l4(buf, dv, i + (proto === 58 ? 7 : 4), end, proto, ev)) return false;
    ev.setAddrs(-1, -1);
    ev.src = src;
    ev.dst = dst;
    ev.family = 6;
    ev.len = len;
    ev.tos = tc;
    ev.prec = undefined;
    ev.ttl = hop;
    ev.ipId = 0;
    ev.df = false;
    ev.flowLabel = flow;
    return true;
  }

  /**
   * The canonical text of the full-form IPv6 address at buf[a..] (39 characters, then a blank), or null; sets `at`.
   * The eight groups are read as four 32-bit words while they are checked, and the words find the text in a small
   * direct-mapped cache: no string per address (a Map keyed by the raw text cost a string, its hash and a compare of
   * 39 characters: ~2,500 instructions per IPv6 line).
   */
  #addr6(buf: Buffer, a: number, end: number): string | null {
    const b = a + 39;
    if (b >= end || buf[b] !== SP) return null;
    const w = this.#v6Key;
    for (let g = 0; g < 8; g++) {
      const o = a + 5 * g;
      const d0 = hexValue(buf[o]!);
      const d1 = hexValue(buf[o + 1]!);
      const d2 = hexValue(buf[o + 2]!);
      const d3 = hexValue(buf[o + 3]!);
      if ((d0 | d1 | d2 | d3) < 0 || (g < 7 && buf[o + 4] !== 58)) return null;
      const v = (d0 << 12) | (d1 << 8) | (d2 << 4) | d3;
      w[g >> 1] = g & 1 ? (w[g >> 1]! << 16) | v : v;
    }
    at = b;
    const w0 = w[0]!;
    const w1 = w[1]!;
    const w2 = w[2]!;
    const w3 = w[3]!;
    const h = Math.imul(w0 ^ Math.imul(w1, 0x9e3779b1) ^ Math.imul(w2, 0x85ebca6b) ^ Math.imul(w3, 0xc2b2ae35), 0x27d4eb2d);
    const slot = (h >>> 20) & (V6_SLOTS - 1);
    const keys = this.#v6Words;
    const k = 4 * slot;
    const known = this.#v6Text[slot]!;
    if (known !== '' && keys[k] === w0 && keys[k + 1] === w1 && keys[k + 2] === w2 && keys[k + 3] === w3) return known;
    const p = parseIp(buf.toString('latin1', a, b));
    if (!p) return null;
    const text = owned(p.text);
    keys[k] = w0;
    keys[k + 1] = w1;
    keys[k + 2] = w2;
    keys[k + 3] = w3;
    this.#v6Text[slot] = text;
    return text;
  }

  /** The address #addr6 is reading, as four 32-bit words. */
  readonly #v6Key = new Int32Array(4);
  /** The IPv6 text cache: four words per slot, and the text ('' = empty). */
  readonly #v6Words = new Int32Array(4 * V6_SLOTS);
  readonly #v6Text: string[] = new Array<string>(V6_SLOTS).fill('');

  /**
   * The transport fields from i (after "PROTO=TCP ", "UDP ", "ICMP " or "ICMPv6 ") to the end into `ev`, with the fields
   * this layout never has cleared; false for anything else.
   */
  #l4(buf: Buffer, dv: DataView, i0: number, end: number, proto: number, ev: LineEvent): boolean {
    let i = i0;
    let sport: number | undefined;
    let dport: number | undefined;
    let win: number | undefined;
    let res: number | undefined;
    let flags: number | undefined;
    let urgp: number | undefined;
    let tcpOptions: string | undefined;
    let udpLen: number | undefined;
    let icmpType: number | undefined;
    let icmpCode: number | undefined;
    let icmpId: number | undefined;
    let icmpSeq: number | undefined;
    if (proto === 1 || proto === 58) {
      if (i + 5 > end || dv.getUint32(i, true) !== W_TYPE || buf[i + 4] !== 61) return false;
      icmpType = dec(buf, i + 5, end, 255);
      if (icmpType < 0 || at + 6 > end || dv.getUint32(at + 1, true) !== W_CODE || buf[at + 5] !== 61) return false;
      icmpCode = dec(buf, at + 6, end, 255);
      if (icmpCode < 0) return false;
      if (at < end) {
        // echo request/reply: ID= SEQ=; any other ICMP detail goes the full way
        if (at + 5 > end || (dv.getUint32(at + 1, true) & 0xffffff) !== W3_ID) return false;
        icmpId = dec(buf, at + 4, end, 65535);
        if (icmpId < 0 || at + 5 > end || dv.getUint32(at + 1, true) !== W_SEQ) return false;
        icmpSeq = dec(buf, at + 5, end, 65535);
        if (icmpSeq < 0) return false;
      } else if (proto === 1 && (icmpType === 0 || icmpType === 8)) {
        return false; // an IPv4 echo without ID=/SEQ= is an error: the full parser says which
      }
    } else {
      if (i + 4 > end || dv.getUint32(i, true) !== W_SPT) return false;
      sport = dec(buf, i + 4, end, 65535);
      if (sport < 0 || at + 5 > end || dv.getUint32(at + 1, true) !== W_DPT) return false;
      dport = dec(buf, at + 5, end, 65535);
      if (dport < 0 || at + 5 > end) return false;
      if (proto === 17) {
        if (dv.getUint32(at + 1, true) !== W_LEN) return false;
        udpLen = dec(buf, at + 5, end, 65535);
        if (udpLen < 0) return false;
      } else {
        if (at + 8 > end || dv.getUint32(at + 1, true) !== W_WIND || buf[at + 5] !== 79 || buf[at + 6] !== 87 || buf[at + 7] !== 61) return false;
        win = dec(buf, at + 8, end, 65535);
        if (win < 0) return false;
        if (at + 10 < end && dv.getFloat64(at + 1, true) === F_RES0 && buf[at + 9] === SP) {
          res = 0;
          at += 9;
        } else {
          if (at + 5 > end || dv.getUint32(at + 1, true) !== W_RES) return false;
          res = hex(buf, at + 5, end, 255);
          if (res < 0 || at >= end) return false;
        }
        i = at + 1;
        let f = 0;
        for (;;) {
          const e = wordEnd(buf, i, end);
          const bit = flagBit(buf, i, e);
          if (bit === 0) break;
          if ((f & bit) !== 0 || e >= end) return false;
          f |= bit;
          i = e + 1;
        }
        flags = f;
        if (i + 5 > end || dv.getUint32(i, true) !== W_URGP || buf[i + 4] !== 61) return false;
        urgp = dec(buf, i + 5, end, 65535);
        if (urgp < 0) return false;
        if (at < end) {
          // "OPT (020405B4)": the TCP options, hex without blanks, ending the line
          i = at + 1;
          if (i + 5 > end || dv.getUint32(i, true) !== W_OPT || buf[i + 4] !== 40 || buf[end - 1] !== 41) return false;
          tcpOptions = this.#options(buf, dv, i + 5, end - 1);
          if (tcpOptions === undefined) return false;
          at = end;
        }
      }
    }
    if (at !== end) return false;
    // what this layout never has (the event may hold a fully parsed line's fields)
    ev.physIn = undefined;
    ev.physOut = undefined;
    ev.mf = false;
    ev.ce = false;
    ev.fragOffset = undefined;
    ev.ipOptions = undefined;
    ev.ipOptGroups = 0;
    ev.seq = undefined;
    ev.ack = undefined;
    ev.uid = undefined;
    ev.gid = undefined;
    ev.mark = undefined;
    ev.proto = proto;
    ev.sport = sport;
    ev.dport = dport;
    ev.window = win;
    ev.res = res;
    ev.flags = flags;
    ev.urgp = urgp;
    ev.tcpOptions = tcpOptions;
    ev.icmpType = icmpType;
    ev.icmpCode = icmpCode;
    ev.icmpId = icmpId;
    ev.icmpSeq = icmpSeq;
    ev.udpLen = udpLen;
    return true;
  }

  /**
   * The TCP options hex in buf[a,b) (even length), the previous line's string when the same; undefined when not hex.
   * The same options as the line before (nearly always: one scanner's SYNs) are recognized by comparing eight bytes at
   * a time with the previous ones, which were checked to be hex when kept (HEAD_WORDS says why that compare is exact).
   */
  #options(buf: Buffer, dv: DataView, a: number, b: number): string | undefined {
    const n = b - a;
    if (n % 2 !== 0) return undefined;
    const prev = this.#optBytes;
    if (n === this.#opts.length) {
      const words = this.#optWords;
      const whole = n >>> 3;
      let k = 0;
      while (k < whole && dv.getFloat64(a + 8 * k, true) === words[k]) k++;
      if (k === whole) {
        let j = whole * 8;
        while (j < n && buf[a + j] === prev[j]) j++;
        if (j === n) return this.#opts;
      }
    }
    for (let k = 0; k < n; k++) if (!isHexCode(buf[a + k]!)) return undefined;
    if (n > prev.length) {
      this.#optBytes = new Uint8Array(n * 2);
      this.#optWords = new Float64Array(n >>> 2);
    }
    this.#optBytes.set(buf.subarray(a, b));
    for (let k = 0; k < n >>> 3; k++) this.#optWords[k] = dv.getFloat64(a + 8 * k, true);
    this.#opts = buf.toString('latin1', a, b);
    return this.#opts;
  }
}
