// Byte-level fast path for the commonest firewall line — "Mon DD HH:MM:SS host kernel: [uptime] PREFIX IN=… OUT=…"
// with the kernel's IPv4 TCP/UDP/ICMP field layout — read from the input bytes straight into one reused event: no
// decoding, no line string, no object per line. At the first thing it does not expect (another header, IPv6, another
// field layout, a byte outside printable ASCII, anything the completeness rules would look at twice) it returns false
// and the caller decodes the line for the full parser, so every other format and every error stays the full parser's.
import type { Chain, PacketEvent, TimeSource } from '../domain/events.ts';
import { cleanPrefix } from './log-prefix.ts';
import type { V4Strings } from './v4-strings.ts';
import type { YearInference } from './zoned-time.ts';

const SP = 32;

/**
 * The reused event of the byte path: every field present (undefined where absent), so it keeps one shape, and the
 * IPv4 addresses as numbers with their text built only when read (most lines come from known sources and go to
 * known destinations: the text is never needed). Valid until the next line; `{ ...ev }` does not copy `src` / `dst`.
 */
export class LineEvent implements PacketEvent {
  time = 0;
  timeSource: TimeSource = 'none';
  host = '';
  prefix = '';
  chain: Chain = 'INPUT';
  inIf = '';
  outIf = '';
  physIn: string | undefined = undefined;
  physOut: string | undefined = undefined;
  mac: string | undefined = undefined;
  family: 4 | 6 = 4;
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
  proto = 0;
  sport: number | undefined = undefined;
  dport: number | undefined = undefined;
  window: number | undefined = undefined;
  res: number | undefined = undefined;
  flags: number | undefined = undefined;
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
  sid: number | undefined = undefined;
  line = 0;
  srcV4 = -1;
  dstV4 = -1;
  #src = '';
  #dst = '';
  readonly #v4: V4Strings;

  constructor(v4: V4Strings) {
    this.#v4 = v4;
  }

  get src(): string {
    if (this.#src === '' && this.srcV4 >= 0) this.#src = this.#v4.text(this.srcV4);
    return this.#src;
  }

  set src(v: string) {
    this.#src = v;
  }

  get dst(): string {
    if (this.#dst === '' && this.dstV4 >= 0) this.#dst = this.#v4.text(this.dstV4);
    return this.#dst;
  }

  set dst(v: string) {
    this.#dst = v;
  }

  /** Takes over every field of `ev` (a packet the full parser read). */
  copy(ev: PacketEvent): void {
    this.time = ev.time;
    this.timeSource = ev.timeSource;
    this.host = ev.host;
    this.prefix = ev.prefix;
    this.chain = ev.chain;
    this.inIf = ev.inIf;
    this.outIf = ev.outIf;
    this.physIn = ev.physIn;
    this.physOut = ev.physOut;
    this.mac = ev.mac;
    this.family = ev.family;
    this.#src = ev.src;
    this.#dst = ev.dst;
    this.srcV4 = -1;
    this.dstV4 = -1;
    this.len = ev.len;
    this.tos = ev.tos;
    this.prec = ev.prec;
    this.ttl = ev.ttl;
    this.ipId = ev.ipId;
    this.df = ev.df;
    this.mf = ev.mf;
    this.ce = ev.ce;
    this.fragOffset = ev.fragOffset;
    this.flowLabel = ev.flowLabel;
    this.ipOptions = ev.ipOptions;
    this.ipOptGroups = ev.ipOptGroups;
    this.proto = ev.proto;
    this.sport = ev.sport;
    this.dport = ev.dport;
    this.window = ev.window;
    this.res = ev.res;
    this.flags = ev.flags;
    this.urgp = ev.urgp;
    this.seq = ev.seq;
    this.ack = ev.ack;
    this.tcpOptions = ev.tcpOptions;
    this.icmpType = ev.icmpType;
    this.icmpCode = ev.icmpCode;
    this.icmpId = ev.icmpId;
    this.icmpSeq = ev.icmpSeq;
    this.udpLen = ev.udpLen;
    this.uid = ev.uid;
    this.gid = ev.gid;
    this.mark = ev.mark;
    this.sid = ev.sid;
    this.line = ev.line;
  }

  /** A plain copy (what the full parser would have returned). */
  plain(): PacketEvent {
    const { srcV4: _s, dstV4: _d, ...rest } = this;
    return { ...rest, src: this.src, dst: this.dst };
  }

  /** Starts a line read from bytes: addresses by number, their text not built yet. */
  setAddrs(src: number, dst: number): void {
    this.srcV4 = src;
    this.dstV4 = dst;
    this.#src = '';
    this.#dst = '';
  }
}

/** Whether buf has `key` at i, before `end`. */
function has(buf: Buffer, i: number, end: number, key: string): boolean {
  const n = key.length;
  if (i + n > end) return false;
  for (let k = 0; k < n; k++) if (buf[i + k] !== key.charCodeAt(k)) return false;
  return true;
}

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

/** The decimal value of `key` at i, as readDec reads it (≤ 10 digits, ≤ max, then a blank or the end); -1 otherwise. */
function dec(buf: Buffer, i: number, end: number, key: string, max: number): number {
  if (!has(buf, i, end, key)) return -1;
  const a = i + key.length;
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

/** Like dec() for a hex value ("0x00" or "00"), as readHex reads it. */
function hex(buf: Buffer, i: number, end: number, key: string, max: number): number {
  if (!has(buf, i, end, key)) return -1;
  let j = i + key.length;
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

/** Reads lines of the common shape from bytes; one per parser (it caches the strings that repeat from line to line). */
export class ByteLineReader {
  readonly #years: YearInference;
  // strings that repeat from line to line: kept with the bytes they came from
  #host = '';
  #if1 = '';
  #if2 = '';
  #mac = '';
  #opts = '';
  #rawPrefix = '';
  #prefix = '';

  constructor(years: YearInference) {
    this.#years = years;
  }

  /**
   * Reads buf[a,b) (one line, no terminator) into `ev` — every field but `sid` and `line` — when it has the common
   * shape; false otherwise (`ev` is then partly written and must be filled again before use).
   */
  read(buf: Buffer, a: number, b: number, ev: LineEvent): boolean {
    // ---- "Mon DD HH:MM:SS " (traditional syslog, no year, no fraction: the rest go the full way)
    if (b - a < 40) return false;
    const mo = monthCode(buf, a);
    if (mo === 0 || buf[a + 3] !== SP) return false;
    let j = a + 4;
    if (buf[j] === SP) j++;
    const d0 = j;
    let day = 0;
    while (j < d0 + 2 && digit(buf[j])) day = day * 10 + (buf[j++]! - 48);
    if (j === d0 || day < 1 || day > 31 || buf[j] !== SP) return false;
    j++;
    if (digit(buf[j + 2]) && digit(buf[j + 3]) && buf[j + 4] === SP) return false; // "YYYY HH:MM:SS"
    const hh = two(buf, j);
    const mi = two(buf, j + 3);
    const ss = two(buf, j + 6);
    if (hh < 0 || mi < 0 || ss < 0 || buf[j + 2] !== 58 || buf[j + 5] !== 58 || hh > 23 || mi > 59 || ss > 60) return false;
    j += 8;
    if (buf[j] !== SP) return false;
    j++;
    // ---- host: printable, no "=" (so it cannot hold "IN="), not a tag ("kernel", "name:")
    const h0 = j;
    while (j < b) {
      const c = buf[j]!;
      if (c === SP) break;
      if (c < 33 || c > 126 || c === 61) return false;
      j++;
    }
    if (j === h0 || j >= b || buf[j - 1] === 58 || same(buf, h0, j, 'kernel')) return false;
    const h1 = j;
    // ---- "kernel:", then blanks and an optional "[ secs.usec]" uptime stamp
    if (!has(buf, j, b, ' kernel: ')) return false;
    j += 8;
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
    if (has(buf, msg, b, 'message repeated ')) return false;
    // ---- the prefix up to the first "IN=", printable ASCII; the kernel fields must begin there
    let fw = -1;
    for (let k = msg; k + 2 < b; k++) {
      const c = buf[k]!;
      if (c < 32 || c > 126) return false;
      if (c === 73 && buf[k + 1] === 78 && buf[k + 2] === 61) {
        fw = k;
        break;
      }
    }
    if (fw < 0) return false;
    const time = this.#years.resolve(mo, day, hh, mi, ss, 0);
    if (Number.isNaN(time)) return false;
    if (!this.#fields(buf, fw, b, ev)) return false;
    // ---- strings of the header and prefix, reused while they repeat
    let host = this.#host;
    if (!same(buf, h0, h1, host)) host = this.#host = buf.toString('latin1', h0, h1);
    let pa = msg;
    let pb = fw;
    while (pa < pb && buf[pa] === SP) pa++;
    while (pb > pa && buf[pb - 1] === SP) pb--;
    let prefix = '';
    if (pa < pb) {
      if (!same(buf, pa, pb, this.#rawPrefix)) {
        this.#rawPrefix = buf.toString('latin1', pa, pb);
        this.#prefix = cleanPrefix(this.#rawPrefix);
      }
      prefix = this.#prefix;
    }
    ev.time = time;
    ev.timeSource = 'syslog';
    ev.host = host;
    ev.prefix = prefix;
    return true;
  }

  /** Interface name in buf[a,b): '' when empty, null when not the kernel's (more than 15 or unprintable bytes). */
  #iface(buf: Buffer, a: number, b: number): string | null {
    if (a === b) return '';
    if (same(buf, a, b, this.#if1)) return this.#if1;
    if (same(buf, a, b, this.#if2)) return this.#if2;
    if (b - a > 15) return null;
    for (let i = a; i < b; i++) if (buf[i]! < 33 || buf[i]! > 126) return null;
    this.#if2 = this.#if1;
    this.#if1 = buf.toString('latin1', a, b);
    return this.#if1;
  }

  /** IPv4 address at buf[a..] (strict dotted quad, which is canonical) → its value, or -1; `at` is set to its end. */
  #addr(buf: Buffer, a: number, end: number): number {
    let dots = 0;
    let part = 0;
    let digits = 0;
    let num = 0;
    let i = a;
    for (; i < end; i++) {
      const c = buf[i]!;
      if (c === 46) {
        if (digits === 0) return -1;
        dots++;
        num = num * 256 + part;
        part = 0;
        digits = 0;
      } else if (c >= 48 && c <= 57) {
        if (digits === 1 && part === 0) return -1; // leading zero
        part = part * 10 + (c - 48);
        digits++;
        if (part > 255) return -1;
      } else {
        break;
      }
    }
    if (i >= end || buf[i] !== SP || dots !== 3 || digits === 0) return -1;
    at = i;
    return num * 256 + part;
  }

  /** The kernel fields buf[start,end) (start at "IN=") in the common layout into `ev`; false for anything else. */
  #fields(buf: Buffer, start: number, end: number, ev: LineEvent): boolean {
    let i = start;
    let e = wordEnd(buf, i + 3, end);
    if (e >= end) return false;
    const inIf = this.#iface(buf, i + 3, e);
    if (inIf === null) return false;
    i = e + 1;
    if (!has(buf, i, end, 'OUT=')) return false;
    e = wordEnd(buf, i + 4, end);
    if (e >= end) return false;
    const outIf = this.#iface(buf, i + 4, e);
    if (outIf === null || (inIf === '' && outIf === '')) return false;
    i = e + 1;
    let mac: string | undefined;
    if (has(buf, i, end, 'MAC=')) {
      // Ethernet: 14 bytes as "xx:" × 14 − 1 (other link types go the full way)
      e = i + 45;
      if (e >= end || buf[e] !== SP) return false;
      if (same(buf, i + 4, e, this.#mac)) {
        mac = this.#mac;
      } else {
        for (let k = i + 4; k < e; k += 3) {
          if (!isHexCode(buf[k]!) || !isHexCode(buf[k + 1]!) || (k + 2 < e && buf[k + 2] !== 58)) return false;
        }
        mac = this.#mac = buf.toString('latin1', i + 4, e);
      }
      i = e + 1;
    }
    if (!has(buf, i, end, 'SRC=')) return false;
    const src = this.#addr(buf, i + 4, end);
    if (src < 0) return false;
    i = at + 1;
    if (!has(buf, i, end, 'DST=')) return false;
    const dst = this.#addr(buf, i + 4, end);
    if (dst < 0) return false;
    const len = dec(buf, at + 1, end, 'LEN=', 65535);
    if (len < 0 || at >= end) return false;
    const tos = hex(buf, at + 1, end, 'TOS=', 255);
    if (tos < 0 || at >= end) return false;
    const prec = hex(buf, at + 1, end, 'PREC=', 255);
    if (prec < 0 || at >= end) return false;
    const ttl = dec(buf, at + 1, end, 'TTL=', 255);
    if (ttl < 0 || at >= end) return false;
    const id = dec(buf, at + 1, end, 'ID=', 65535);
    if (id < 0 || at >= end) return false;
    i = at + 1;
    let df = false;
    if (has(buf, i, end, 'DF ')) {
      df = true;
      i += 3;
    }
    if (!has(buf, i, end, 'PROTO=')) return false;
    i += 6;
    let proto: number;
    if (has(buf, i, end, 'TCP ')) proto = 6;
    else if (has(buf, i, end, 'UDP ')) proto = 17;
    else if (has(buf, i, end, 'ICMP ')) proto = 1;
    else return false;
    i += proto === 1 ? 5 : 4;
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
    if (proto === 1) {
      icmpType = dec(buf, i, end, 'TYPE=', 255);
      if (icmpType < 0 || at >= end) return false;
      icmpCode = dec(buf, at + 1, end, 'CODE=', 255);
      if (icmpCode < 0) return false;
      if (at < end) {
        // echo request/reply: ID= SEQ=; any other ICMP detail goes the full way
        icmpId = dec(buf, at + 1, end, 'ID=', 65535);
        if (icmpId < 0 || at >= end) return false;
        icmpSeq = dec(buf, at + 1, end, 'SEQ=', 65535);
        if (icmpSeq < 0) return false;
      } else if (icmpType === 0 || icmpType === 8) {
        return false; // an echo without ID=/SEQ= is an error: the full parser says which
      }
    } else {
      sport = dec(buf, i, end, 'SPT=', 65535);
      if (sport < 0 || at >= end) return false;
      dport = dec(buf, at + 1, end, 'DPT=', 65535);
      if (dport < 0 || at >= end) return false;
      if (proto === 17) {
        udpLen = dec(buf, at + 1, end, 'LEN=', 65535);
        if (udpLen < 0) return false;
      } else {
        win = dec(buf, at + 1, end, 'WINDOW=', 65535);
        if (win < 0 || at >= end) return false;
        res = hex(buf, at + 1, end, 'RES=', 255);
        if (res < 0 || at >= end) return false;
        i = at + 1;
        let f = 0;
        for (;;) {
          e = wordEnd(buf, i, end);
          const bit = flagBit(buf, i, e);
          if (bit === 0) break;
          if ((f & bit) !== 0 || e >= end) return false;
          f |= bit;
          i = e + 1;
        }
        flags = f;
        urgp = dec(buf, i, end, 'URGP=', 65535);
        if (urgp < 0) return false;
        if (at < end) {
          // "OPT (020405B4)": the TCP options, hex without blanks, ending the line
          i = at + 1;
          if (!has(buf, i, end, 'OPT (') || buf[end - 1] !== 41) return false;
          const o0 = i + 5;
          const o1 = end - 1;
          if ((o1 - o0) % 2 !== 0) return false;
          for (let k = o0; k < o1; k++) if (!isHexCode(buf[k]!)) return false;
          if (!same(buf, o0, o1, this.#opts)) this.#opts = buf.toString('latin1', o0, o1);
          tcpOptions = this.#opts;
          at = end;
        }
      }
    }
    if (at !== end) return false;
    ev.chain = inIf !== '' ? (outIf !== '' ? 'FORWARD' : 'INPUT') : 'OUTPUT';
    ev.inIf = inIf;
    ev.outIf = outIf;
    ev.mac = mac;
    ev.setAddrs(src, dst);
    // what this layout never has (the event may hold a fully parsed line's fields)
    ev.family = 4;
    ev.physIn = undefined;
    ev.physOut = undefined;
    ev.mf = false;
    ev.ce = false;
    ev.fragOffset = undefined;
    ev.flowLabel = undefined;
    ev.ipOptions = undefined;
    ev.ipOptGroups = 0;
    ev.seq = undefined;
    ev.ack = undefined;
    ev.uid = undefined;
    ev.gid = undefined;
    ev.mark = undefined;
    ev.len = len;
    ev.tos = tos;
    ev.prec = prec;
    ev.ttl = ttl;
    ev.ipId = id;
    ev.df = df;
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
}
