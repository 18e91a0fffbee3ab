// Reads the header in front of a kernel message: RFC 3164 / ISO / RFC 5424 stamps, PRI, host, tag, dmesg uptime stamps.
//
// Handles, at the start of a line (leading blanks allowed):
//   `<PRI>` (optional)  then one of
//   `Mon DD HH:MM:SS[.frac] [YYYY] host tag: `            traditional syslog, journalctl -o short / short-precise
//   `YYYY-MM-DD(T| )HH:MM:SS[.frac][Z|±HH:MM|±HHMM] host tag: `  rsyslog high precision, journalctl -o short-iso
//   `1 TIMESTAMP HOST APP PROCID MSGID SD MSG`            RFC 5424 (after <PRI>)
//   `[ 123.456789] `                                       bare dmesg (uptime; wall time = boot time + uptime)
//   `[ 123.456789] host kernel: `                         journalctl -o short-monotonic
//   `[Tue Nov 26 14:22:44 2024] `                          dmesg -T
// The tag is taken only when it is `kernel:` or `name[pid]:`, so a log prefix such as "DROP:" in a ulogd LOGEMU line
// (`Mon DD HH:MM:SS host PREFIX IN=…`, no tag) stays the prefix. A kernel uptime stamp after the tag is skipped.
import type { TimeSource } from '../domain/events.ts';
import type { YearInference, ZonedTime } from './zoned-time.ts';

/** What the header gave; filled in place to avoid an allocation per line. */
export interface Header {
  /** Event time in ms (NaN when the header has no usable time). */
  time: number;
  /** Where the time came from. */
  timeSource: TimeSource;
  /** Host name from the header, '' when none. */
  host: string;
  /** Index where the kernel message starts (after tag and uptime stamp). */
  msgStart: number;
  /** Whether a tag (`kernel:`, `name[pid]:`) was present. */
  tagged: boolean;
}

/** A fresh Header to reuse. */
export function emptyHeader(): Header {
  return { time: NaN, timeSource: 'none', host: '', msgStart: 0, tagged: false };
}

const SP = 32;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Value of the 2 decimal digits at i, or -1. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/** Month 1–12 from the 3 letters at i (any case), or 0; no allocation. */
function monthCode(s: string, i: number): number {
  const k = ((s.charCodeAt(i) | 0x20) << 16) | ((s.charCodeAt(i + 1) | 0x20) << 8) | (s.charCodeAt(i + 2) | 0x20);
  switch (k) {
    case 0x6a616e: return 1; // jan
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

/** Reads headers; one instance per parser (caches the last host string). */
export class HeaderReader {
  readonly #years: YearInference;
  readonly #zone: ZonedTime;
  readonly #bootTime: number;
  #lastHost = '';
  // scratch for the fractional-seconds reader
  #ms = 0;
  #end = 0;

  constructor(years: YearInference, zone: ZonedTime, bootTimeMs: number) {
    this.#years = years;
    this.#zone = zone;
    this.#bootTime = bootTimeMs;
  }

  /**
   * Reads the header of `s` (up to `limit`, the index where the kernel fields begin) into `h`. Returns false when no
   * known header is there; `h.msgStart` is then 0 and the caller falls back to psad's "after the last kernel:" rule.
   */
  read(s: string, limit: number, h: Header): boolean {
    h.time = NaN;
    h.timeSource = 'none';
    h.host = '';
    h.msgStart = 0;
    h.tagged = false;
    let i = 0;
    while (i < limit && s.charCodeAt(i) === SP) i++;
    if (i >= limit) return false;
    let c = s.charCodeAt(i);
    if (c === 60 /* < */) {
      let j = i + 1;
      while (j < limit && j < i + 5 && isDigit(s.charCodeAt(j))) j++;
      if (j === i + 1 || s.charCodeAt(j) !== 62 /* > */) return false;
      i = j + 1;
      if (s.charCodeAt(i) === 49 /* 1 */ && s.charCodeAt(i + 1) === SP) return this.#rfc5424(s, i + 2, limit, h);
      c = s.charCodeAt(i);
    }
    let j: number;
    if (c === 91 /* [ */) return this.#bracket(s, i, limit, h);
    if (isDigit(c)) {
      j = this.#iso(s, i, limit, h);
      if (j < 0) return false;
      h.timeSource = 'iso';
    } else {
      j = this.#traditional(s, i, limit, h);
      if (j < 0) return false;
      h.timeSource = 'syslog';
    }
    return this.#hostTag(s, j, limit, h, true);
  }

  /** After a stamp: optional host, optional tag, optional kernel uptime stamp. `j` is at the blank after the stamp. */
  #hostTag(s: string, j: number, limit: number, h: Header, wantHost: boolean): boolean {
    let i = j;
    while (i < limit && s.charCodeAt(i) === SP) i++;
    let tokEnd = i;
    while (tokEnd < limit && s.charCodeAt(tokEnd) !== SP) tokEnd++;
    if (wantHost && !this.#isTag(s, i, tokEnd) && !s.startsWith('IN=', i)) {
      h.host = this.#host(s, i, tokEnd);
      i = tokEnd;
      while (i < limit && s.charCodeAt(i) === SP) i++;
      tokEnd = i;
      while (tokEnd < limit && s.charCodeAt(tokEnd) !== SP) tokEnd++;
    }
    if (this.#isTag(s, i, tokEnd)) {
      h.tagged = true;
      i = tokEnd;
    } else if (h.timeSource === 'syslog') {
      h.timeSource = 'ulogd'; // "Mon DD HH:MM:SS host PREFIX IN=…": ulogd LOGEMU writes no tag
    }
    h.msgStart = this.#skipUptime(s, i, limit);
    return true;
  }

  /** Index after a kernel "[ secs.usec]" stamp (and blanks) at or after i, or i (after blanks) when none. */
  #skipUptime(s: string, i: number, limit: number): number {
    while (i < limit && s.charCodeAt(i) === SP) i++;
    if (s.charCodeAt(i) !== 91) return i;
    let j = i + 1;
    while (j < limit && s.charCodeAt(j) === SP) j++;
    const d0 = j;
    while (j < limit && isDigit(s.charCodeAt(j))) j++;
    if (j === d0 || s.charCodeAt(j) !== 46) return i;
    j++;
    const f0 = j;
    while (j < limit && isDigit(s.charCodeAt(j))) j++;
    if (j === f0) return i;
    while (j < limit && s.charCodeAt(j) === SP) j++;
    if (s.charCodeAt(j) !== 93) return i;
    j++;
    while (j < limit && s.charCodeAt(j) === SP) j++;
    return j;
  }

  /**
   * `kernel:` or `name[pid]:` (name of word characters, dots, slashes, dashes), or a bare `kernel` — what rsyslog's
   * traditional template writes for a message it received as RFC 5424 (APP-NAME without the colon).
   */
  #isTag(s: string, a: number, b: number): boolean {
    if (b - a === 6 && s.charCodeAt(a) === 107 && s.startsWith('kernel', a)) return true;
    if (b - a < 2 || s.charCodeAt(b - 1) !== 58 /* : */) return false;
    if (b - a === 7 && s.charCodeAt(a) === 107 && s.charCodeAt(a + 1) === 101 && s.charCodeAt(a + 2) === 114
      && s.charCodeAt(a + 3) === 110 && s.charCodeAt(a + 4) === 101 && s.charCodeAt(a + 5) === 108) return true; // "kernel:" 
    if (s.charCodeAt(b - 2) !== 93 /* ] */) return false;
    let k = b - 3;
    const d1 = k;
    while (k > a && isDigit(s.charCodeAt(k))) k--;
    if (k === d1 || s.charCodeAt(k) !== 91 || k === a) return false;
    for (let m = a; m < k; m++) {
      const c = s.charCodeAt(m);
      const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45 || c === 46 || c === 47;
      if (!ok) return false;
    }
    return true;
  }

  #host(s: string, a: number, b: number): string {
    const last = this.#lastHost;
    if (last.length === b - a && s.startsWith(last, a)) return last;
    const host = s.slice(a, b);
    this.#lastHost = host;
    return host;
  }

  /** Fraction ".ddd…" at i → this.#ms and this.#end (index after it). */
  #frac(s: string, i: number, limit: number): void {
    this.#ms = 0;
    this.#end = i;
    if (s.charCodeAt(i) !== 46 && s.charCodeAt(i) !== 44) return;
    let j = i + 1;
    let ms = 0;
    let n = 0;
    while (j < limit && isDigit(s.charCodeAt(j))) {
      if (n < 3) ms = ms * 10 + (s.charCodeAt(j) - 48);
      n++;
      j++;
    }
    if (n === 0) return;
    while (n < 3) { ms *= 10; n++; }
    this.#ms = ms;
    this.#end = j;
  }

  /** "Mon DD HH:MM:SS[.frac] [YYYY]" at i; returns the index after it, or -1. */
  #traditional(s: string, i: number, limit: number, h: Header): number {
    if (i + 15 > limit) return -1;
    const mo = monthCode(s, i);
    if (mo === 0 || s.charCodeAt(i + 3) !== SP) return -1;
    let j = i + 4;
    if (s.charCodeAt(j) === SP) j++;
    let d = 0;
    const d0 = j;
    while (j < d0 + 2 && isDigit(s.charCodeAt(j))) { d = d * 10 + (s.charCodeAt(j) - 48); j++; }
    if (j === d0 || d < 1 || d > 31 || s.charCodeAt(j) !== SP) return -1;
    j++;
    let year = -1;
    if (isDigit(s.charCodeAt(j + 2)) && isDigit(s.charCodeAt(j + 3)) && s.charCodeAt(j + 4) === SP) {
      const y1 = two(s, j);
      const y2 = two(s, j + 2);
      if (y1 < 0 || y2 < 0) return -1;
      year = y1 * 100 + y2;
      j += 5;
    }
    const hh = two(s, j);
    const mi = two(s, j + 3);
    const ss = two(s, j + 6);
    if (hh < 0 || mi < 0 || ss < 0 || s.charCodeAt(j + 2) !== 58 || s.charCodeAt(j + 5) !== 58 || hh > 23 || mi > 59 || ss > 60) return -1;
    this.#frac(s, j + 8, limit);
    const end = this.#end;
    if (end < limit && s.charCodeAt(end) !== SP) return -1;
    h.time = year >= 0
      ? this.#zone.toEpoch(year, mo, d, hh, mi, ss, this.#ms)
      : this.#years.resolve(mo, d, hh, mi, ss, this.#ms);
    if (Number.isNaN(h.time)) return -1;
    return end;
  }

  /** "YYYY-MM-DD(T| )HH:MM:SS[.frac][zone]" at i; sets h.time; returns the index after it, or -1. */
  #iso(s: string, i: number, limit: number, h: Header): number {
    if (i + 19 > limit) return -1;
    const y1 = two(s, i);
    const y2 = two(s, i + 2);
    const mo = two(s, i + 5);
    const d = two(s, i + 8);
    const sep = s.charCodeAt(i + 10);
    const hh = two(s, i + 11);
    const mi = two(s, i + 14);
    const ss = two(s, i + 17);
    if (y1 < 0 || y2 < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 60
      || s.charCodeAt(i + 4) !== 45 || s.charCodeAt(i + 7) !== 45 || (sep !== 84 && sep !== 116 && sep !== SP)
      || s.charCodeAt(i + 13) !== 58 || s.charCodeAt(i + 16) !== 58) return -1;
    const year = y1 * 100 + y2;
    this.#frac(s, i + 19, limit);
    let j = this.#end;
    const ms = this.#ms;
    const zc = s.charCodeAt(j);
    let t: number;
    if (zc === 90 || zc === 122 /* Z */) {
      t = Date.UTC(year, mo - 1, d, hh, mi, ss, ms);
      j++;
    } else if (zc === 43 || zc === 45 /* + - */) {
      const oh = two(s, j + 1);
      if (oh < 0 || oh > 23) return -1;
      let om = 0;
      let k = j + 3;
      if (s.charCodeAt(k) === 58) { om = two(s, k + 1); k += 3; } else if (isDigit(s.charCodeAt(k))) { om = two(s, k); k += 2; }
      if (om < 0 || om > 59) return -1;
      const off = (oh * 60 + om) * 60_000 * (zc === 45 ? -1 : 1);
      t = Date.UTC(year, mo - 1, d, hh, mi, ss, ms) - off;
      j = k;
    } else {
      t = this.#zone.toEpoch(year, mo, d, hh, mi, ss, ms);
    }
    if (new Date(Date.UTC(year, mo - 1, d)).getUTCDate() !== d) return -1; // 2025-02-30
    if (j < limit && s.charCodeAt(j) !== SP) return -1;
    h.time = t;
    return j;
  }

  /** RFC 5424 after "<PRI>1 ": TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG. */
  #rfc5424(s: string, i: number, limit: number, h: Header): boolean {
    let j: number;
    if (s.charCodeAt(i) === 45 /* - */ && s.charCodeAt(i + 1) === SP) {
      j = i + 1; // NILVALUE: no time; the caller inherits the previous line's
    } else {
      j = this.#iso(s, i, limit, h);
      if (j < 0) return false;
    }
    h.timeSource = Number.isNaN(h.time) ? 'none' : 'rfc5424';
    // HOSTNAME APP-NAME PROCID MSGID: four blank-separated tokens
    const fields: number[] = [];
    let k = j;
    for (let f = 0; f < 4; f++) {
      if (s.charCodeAt(k) !== SP) return false;
      k++;
      const a = k;
      while (k < limit && s.charCodeAt(k) !== SP) k++;
      if (k === a) return false;
      fields.push(a, k);
    }
    if (s.charCodeAt(k) !== SP) return false;
    k++;
    // STRUCTURED-DATA: "-" or one or more [id param="value"…] with \" \] \\ escapes inside values
    if (s.charCodeAt(k) === 45) {
      k++;
    } else if (s.charCodeAt(k) === 91) {
      while (s.charCodeAt(k) === 91) {
        let inQuote = false;
        k++;
        while (k < limit) {
          const c = s.charCodeAt(k);
          if (c === 92 /* \ */ && inQuote) { k += 2; continue; }
          if (c === 34) inQuote = !inQuote;
          else if (c === 93 && !inQuote) break;
          k++;
        }
        if (k >= limit) return false;
        k++;
      }
    } else {
      return false;
    }
    const hostA = fields[0]!;
    const hostB = fields[1]!;
    h.host = hostB - hostA === 1 && s.charCodeAt(hostA) === 45 ? '' : this.#host(s, hostA, hostB);
    h.tagged = true;
    if (s.charCodeAt(k) === SP) k++;
    if (s.charCodeAt(k) === 0xfeff) k++; // BOM before a UTF-8 MSG
    h.msgStart = this.#skipUptime(s, k, limit);
    return true;
  }

  /** "[ uptime]" (dmesg, journalctl short-monotonic) or "[Www Mmm DD HH:MM:SS YYYY]" (dmesg -T). */
  #bracket(s: string, i: number, limit: number, h: Header): boolean {
    const after = this.#skipUptime(s, i, limit);
    if (after !== i) {
      // uptime seconds: parse the digits inside the bracket
      let j = i + 1;
      while (s.charCodeAt(j) === SP) j++;
      let secs = 0;
      while (isDigit(s.charCodeAt(j))) { secs = secs * 10 + (s.charCodeAt(j) - 48); j++; }
      this.#frac(s, j, limit);
      h.time = this.#bootTime + secs * 1000 + this.#ms;
      h.timeSource = 'dmesg';
      // journalctl -o short-monotonic: "[ 12.3] host kernel: msg"
      let a = after;
      let b = a;
      while (b < limit && s.charCodeAt(b) !== SP) b++;
      let c = b;
      while (c < limit && s.charCodeAt(c) === SP) c++;
      let d = c;
      while (d < limit && s.charCodeAt(d) !== SP) d++;
      if (b > a && this.#isTag(s, c, d)) {
        h.host = this.#host(s, a, b);
        h.tagged = true;
        a = this.#skipUptime(s, d, limit);
      } else if (this.#isTag(s, a, b)) {
        h.tagged = true;
        a = this.#skipUptime(s, b, limit);
      }
      h.msgStart = a;
      return true;
    }
    // dmesg -T: "[Tue Nov 26 14:22:44 2024] "
    if (i + 26 > limit || s.charCodeAt(i + 4) !== SP) return false;
    const mo = monthCode(s, i + 5);
    if (mo === 0 || s.charCodeAt(i + 8) !== SP) return false;
    let j = i + 9;
    if (s.charCodeAt(j) === SP) j++;
    let d = 0;
    const d0 = j;
    while (j < d0 + 2 && isDigit(s.charCodeAt(j))) { d = d * 10 + (s.charCodeAt(j) - 48); j++; }
    if (j === d0 || s.charCodeAt(j) !== SP) return false;
    j++;
    const hh = two(s, j);
    const mi = two(s, j + 3);
    const ss = two(s, j + 6);
    const y1 = two(s, j + 9);
    const y2 = two(s, j + 11);
    if (hh < 0 || mi < 0 || ss < 0 || y1 < 0 || y2 < 0 || s.charCodeAt(j + 8) !== SP || s.charCodeAt(j + 13) !== 93) return false;
    if (hh > 23 || mi > 59 || ss > 60 || d < 1 || d > 31) return false;
    h.time = this.#zone.toEpoch(y1 * 100 + y2, mo, d, hh, mi, ss, 0);
    h.timeSource = 'dmesg';
    h.msgStart = this.#skipUptime(s, j + 14, limit);
    return true;
  }
}
