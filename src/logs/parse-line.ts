// FirewallLineParser: one log line (any supported dialect) → packet, skip, counted error or loss notice.
//
// Public interface (stable; detect/analyze/follow build on it):
//   const p = new FirewallLineParser({ timezone?, now?, psadCompat?, maxLineLength?, futureToleranceMs?, bootTimeMs?, sidTag? });
//   p.parse(line: string, lineNo?: number): ParseResult      // one line without its newline
//   p.parseJournalEntry(entry: object, lineNo?): ParseResult // one parsed `journalctl -o json` object
//   p.overlong(head: string, lineNo?): ParseResult            // a line the reader cut at maxLineLength
//   ParseResult = {kind:'packet', event: PacketEvent} | {kind:'skip'} | {kind:'error', reason, detail?} | {kind:'loss', notice}
//
// Dialects: traditional syslog, RFC 3339/ISO (rsyslog high precision, journalctl -o short-iso), RFC 5424, journalctl
// -o short/short-precise/short-monotonic/json, bare dmesg and dmesg -T, nftables `log` (same kernel fields), ulogd
// LOGEMU. A line is a firewall line when it holds the kernel's interface header "IN=x OUT=y" (PHYSIN= allowed
// between, as older kernels print it) — psad's /IN=.*OUT=/ prefilter made exact. Anything else is skipped unless it
// is a rate-limit notice. A firewall line is either a complete PacketEvent or an error with a reason; never both.
//
// State kept between lines (only what the issue asks for): the time of the line before (a firewall line whose header
// cannot be read takes it, as psad does — psad uses "now" instead; we use the previous line's time so replay is
// deterministic) and whether the line before was a firewall line ("last message repeated N times" refers to it).
import { uptime } from 'node:os';
import type { LossNotice, PacketEvent, TimeSource } from '../domain/events.ts';
import { KernelFieldScanner } from './kernel-fields.ts';
import { printable } from './kernel-values.ts';
import { ByteLineReader } from './line-bytes.ts';
import { LineEvent } from './line-event.ts';
import { cleanPrefix } from './log-prefix.ts';
import { lossNoticeIn, rsyslogRepeat } from './loss-notice.ts';
import type { ErrorReason, ParseResult, ParserOptions } from './parse-types.ts';
import { HeaderReader, emptyHeader } from './syslog-header.ts';
import type { Header } from './syslog-header.ts';
import { YearInference, ZonedTime } from './zoned-time.ts';

export type { ErrorReason, ParseResult, ParserOptions } from './parse-types.ts';

/** Default cap on a line's length (characters); kernel LOG lines are under 1 KiB, rsyslog's default limit is 8 KiB. */
export const DEFAULT_MAX_LINE_LENGTH = 16_384;

const SKIP: ParseResult = Object.freeze({ kind: 'skip' });

/** Index of the kernel "IN=… [PHYSIN=… ]OUT=" header in s, or -1. */
export function findFirewallFields(s: string, from = 0): number {
  let p = s.indexOf('IN=', from);
  while (p >= 0) {
    let q = p + 3;
    const n = s.length;
    while (q < n && s.charCodeAt(q) !== 32) q++;
    if (s.startsWith(' OUT=', q)) return p;
    if (s.startsWith(' PHYSIN=', q)) {
      q += 8;
      while (q < n && s.charCodeAt(q) !== 32) q++;
      if (s.startsWith(' OUT=', q)) return p;
    }
    p = s.indexOf('IN=', p + 3);
  }
  return -1;
}

/** Control characters (other than tab), DEL, or U+FFFD (a decoder's mark for invalid UTF-8) in s: the offending class. */
function badChars(s: string): ErrorReason | null {
  let binary = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32) {
      if (c !== 9) binary = true;
    } else if (c === 0xfffd) {
      return 'invalid-utf8';
    } else if (c === 127) {
      binary = true;
    }
  }
  return binary ? 'binary' : null;
}

/**
 * psad's host rule for a header it cannot otherwise read: /^\s*((?:\S+\s+){2}\S+)\s+(\S+)\s+kernel:/ — three words,
 * then the host, then "kernel:". Returns '' when the line does not have that shape.
 */
function psadHost(s: string, kernelAt: number): string {
  let i = 0;
  const words: number[] = [];
  while (i < kernelAt && words.length < 10) {
    while (i < kernelAt && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
    if (i >= kernelAt) break;
    const a = i;
    while (i < kernelAt && s.charCodeAt(i) !== 32 && s.charCodeAt(i) !== 9) i++;
    words.push(a, i);
  }
  if (words.length !== 8) return ''; // exactly: three words, the host, then kernel:
  const host = s.slice(words[6], words[7]);
  return printable(host, 0, host.length) ? host : '';
}

function err(reason: ErrorReason, detail?: string): ParseResult {
  return detail === undefined ? { kind: 'error', reason } : { kind: 'error', reason, detail };
}

/** Parses firewall log lines; one instance per input stream (it remembers the previous line's time). */
export class FirewallLineParser {
  /** The options in force (defaults filled in). */
  readonly options: Readonly<Required<Omit<ParserOptions, 'timezone'>> & { timezone: string | undefined }>;
  readonly #now: () => number;
  readonly #headers: HeaderReader;
  readonly #scanner: KernelFieldScanner;
  readonly #header: Header = emptyHeader();
  readonly #scratch: Header = emptyHeader();
  readonly #sidTag: string;
  #lastTime = NaN;
  #pending: string | null = null; // last skipped line, read lazily when a later line needs its time
  #prevFirewall = false;
  #lastPrefix = '';
  #cleanPrefix = '';
  #sidPrefix = '';
  #sidValue = -1;

  /** Throws RangeError for an unknown time zone name. */
  constructor(opts: ParserOptions = {}) {
    const now = opts.now ?? Date.now;
    const psadCompat = opts.psadCompat ?? false;
    const maxLineLength = opts.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
    const futureToleranceMs = opts.futureToleranceMs ?? 86_400_000;
    const bootTimeMs = opts.bootTimeMs ?? Math.round(now() - uptime() * 1000);
    const sidTag = opts.sidTag ?? 'SID';
    this.options = { timezone: opts.timezone, now, psadCompat, maxLineLength, futureToleranceMs, bootTimeMs, sidTag };
    this.#now = now;
    this.#sidTag = sidTag;
    const zone = new ZonedTime(opts.timezone);
    // psad reads yearless stamps as UTC whatever the machine's zone
    const yearZone = psadCompat && opts.timezone === undefined ? new ZonedTime('UTC') : zone;
    const years = new YearInference(yearZone, now, futureToleranceMs, psadCompat);
    this.#headers = new HeaderReader(years, zone, bootTimeMs);
    this.#scanner = new KernelFieldScanner({ psadCompat });
    this.#bytes = new ByteLineReader(years);
    this.#event = new LineEvent(this.#scanner.v4);
    this.#result = { kind: 'packet', event: this.#event };
  }

  readonly #bytes: ByteLineReader;
  readonly #event: LineEvent;
  readonly #result: ParseResult;
  /** Lines parseBytes() read without decoding them (for tests and profiling). */
  byteLines = 0;

  /**
   * Parses the line buf[a,b) (without its terminator): the result parse() gives for its text. A packet comes as one
   * reused LineEvent, valid only until the next call (LineEvent.plain() copies it): the commonest firewall line is
   * read from the bytes into it, any other line is decoded, goes through parse() and its packet is copied into it.
   */
  parseBytes(buf: Buffer, a: number, b: number, lineNo = 0): ParseResult {
    const ev = this.#event;
    if (b - a <= this.options.maxLineLength && this.#bytes.read(buf, a, b, ev)) {
      const prefix = ev.prefix;
      let sid: number | undefined;
      if (prefix !== '') {
        if (prefix !== this.#sidPrefix) {
          this.#sidPrefix = prefix;
          this.#sidValue = this.#sid(prefix);
        }
        if (this.#sidValue >= 0) sid = this.#sidValue;
      }
      ev.sid = sid;
      ev.line = lineNo;
      this.#lastTime = ev.time;
      this.#pending = null;
      this.#prevFirewall = true;
      this.byteLines++;
      return this.#result;
    }
    const r = this.parse(buf.toString('utf8', a, b), lineNo);
    if (r.kind !== 'packet') return r;
    ev.copy(r.event);
    return this.#result;
  }

  /** ByteLineReader.peek() of the lines parseBytes() will read next: a guess, for prefetching. */
  peekV4(buf: Buffer, from: number, ends: Int32Array, n: number, src: Int32Array, dst: Int32Array): number {
    return this.#bytes.peek(buf, from, ends, n, src, dst);
  }

  /** Parses one line (without its line terminator; a trailing CR is ignored). `lineNo` is 1-based, for reports. */
  parse(line: string, lineNo = 0): ParseResult {
    let s = line;
    if (s.length > this.options.maxLineLength) return this.overlong(s.slice(0, this.options.maxLineLength), lineNo);
    if (s.charCodeAt(s.length - 1) === 13) s = s.slice(0, -1);
    let first = 0;
    while (first < s.length && s.charCodeAt(first) === 32) first++;
    if (s.charCodeAt(first) === 123 /* { */) return this.#json(s, lineNo);
    const fw = findFirewallFields(s);
    if (fw < 0) return this.#nonFirewall(s, lineNo);
    const h = this.#header;
    const readable = this.#headers.read(s, fw, h);
    if (readable) {
      const rep = rsyslogRepeat(s, h.msgStart);
      if (rep) return this.#repeat(rep.count, h, lineNo);
    }
    return this.#packet(s, fw, readable, lineNo);
  }

  /**
   * A line the reader had to cut at maxLineLength (`head` is its start): a 'too-long' error when the head is a
   * firewall line, otherwise a skip. Nothing of it is counted as a packet.
   */
  overlong(head: string, _lineNo = 0): ParseResult {
    if (findFirewallFields(head) >= 0) {
      this.#prevFirewall = true;
      return err('too-long', `longer than ${this.options.maxLineLength} characters`);
    }
    this.#prevFirewall = false;
    return SKIP;
  }

  /** Parses one `journalctl -o json` entry (already JSON-parsed): MESSAGE, __REALTIME_TIMESTAMP, _HOSTNAME. */
  parseJournalEntry(entry: unknown, lineNo = 0): ParseResult {
    if (typeof entry !== 'object' || entry === null) return SKIP;
    const e = entry as Record<string, unknown>;
    let msg = e.MESSAGE;
    if (Array.isArray(msg)) {
      // journald stores non-UTF-8 messages as byte arrays
      if (!msg.every((b) => Number.isInteger(b) && (b as number) >= 0 && (b as number) < 256)) return this.#jsonFail(msg, 'MESSAGE is not text or bytes');
      msg = Buffer.from(msg as number[]).toString('utf8');
    }
    if (typeof msg !== 'string') return this.#jsonFail('', 'no MESSAGE');
    const rt = typeof e.__REALTIME_TIMESTAMP === 'string' ? e.__REALTIME_TIMESTAMP : '';
    const us = /^\d{1,19}$/.test(rt) ? Number(rt) : NaN;
    const time = Number.isFinite(us) ? Math.floor(us / 1000) : NaN;
    const host = typeof e._HOSTNAME === 'string' ? e._HOSTNAME : '';
    if (msg.length > this.options.maxLineLength) return this.overlong(msg.slice(0, this.options.maxLineLength), lineNo);
    const fw = findFirewallFields(msg);
    if (fw < 0) {
      const n = lossNoticeIn(msg, 0, this.#prevFirewall);
      this.#prevFirewall = false;
      if (!Number.isNaN(time)) { this.#lastTime = time; this.#pending = null; }
      if (!n) return SKIP;
      return this.#loss(n.kind, n.count, Number.isNaN(time) ? this.#fallbackTime().time : time, lineNo);
    }
    const clean = msg.includes('\t') ? msg.replace(/\t/g, ' ') : msg;
    const bad = badChars(clean);
    if (bad) {
      this.#prevFirewall = true;
      return err(bad);
    }
    const h = this.#header;
    h.time = time;
    h.timeSource = Number.isNaN(time) ? 'none' : 'journal';
    h.host = host;
    h.tagged = true;
    h.msgStart = 0;
    // the kernel's uptime stamp is not in MESSAGE, but a relayed one may carry it
    return this.#packet(clean, findFirewallFields(clean), true, lineNo);
  }

  #jsonFail(raw: unknown, detail: string): ParseResult {
    const text = typeof raw === 'string' ? raw : '';
    if (findFirewallFields(text) >= 0) {
      this.#prevFirewall = true;
      return err('bad-json', detail);
    }
    this.#prevFirewall = false;
    return SKIP;
  }

  #json(s: string, lineNo: number): ParseResult {
    // cheap gate: only entries that could be firewall lines or loss notices are worth JSON.parse
    if (s.indexOf('IN=') < 0 && s.indexOf('uppressed') < 0 && s.indexOf('Missed ') < 0 && s.indexOf('repeated') < 0
      && s.indexOf('MESSAGE":[') < 0) {
      this.#prevFirewall = false;
      this.#pending = s.indexOf('__REALTIME_TIMESTAMP') >= 0 ? s : this.#pending;
      return SKIP;
    }
    let entry: unknown;
    try {
      entry = JSON.parse(s);
    } catch {
      if (findFirewallFields(s) >= 0) {
        this.#prevFirewall = true;
        return err('bad-json', 'not valid JSON');
      }
      this.#prevFirewall = false;
      return SKIP;
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      this.#prevFirewall = false;
      return SKIP;
    }
    return this.parseJournalEntry(entry, lineNo);
  }

  /** The time a line without a readable header gets: the line before's, else now. */
  #fallbackTime(): { time: number; source: TimeSource } {
    if (this.#pending !== null) {
      const p = this.#pending;
      this.#pending = null;
      const t = this.#timeOf(p);
      if (!Number.isNaN(t)) this.#lastTime = t;
    }
    if (!Number.isNaN(this.#lastTime)) return { time: this.#lastTime, source: 'inherited' };
    return { time: this.#now(), source: 'none' };
  }

  #timeOf(line: string): number {
    if (line.charCodeAt(0) === 123) {
      const m = /"__REALTIME_TIMESTAMP"\s*:\s*"(\d{1,19})"/.exec(line);
      return m ? Math.floor(Number(m[1]) / 1000) : NaN;
    }
    const h = this.#scratch;
    const ok = this.#headers.read(line, line.length, h);
    return ok ? h.time : NaN;
  }

  #nonFirewall(s: string, lineNo: number): ParseResult {
    const notice = lossNoticeIn(s, 0, this.#prevFirewall);
    this.#prevFirewall = false;
    if (!notice) {
      this.#pending = s;
      return SKIP;
    }
    const t = this.#timeOf(s);
    let time = t;
    if (Number.isNaN(t)) time = this.#fallbackTime().time;
    else { this.#lastTime = t; this.#pending = null; }
    return this.#loss(notice.kind, notice.count, time, lineNo);
  }

  #repeat(count: number, h: Header, lineNo: number): ParseResult {
    const time = Number.isNaN(h.time) ? this.#fallbackTime().time : h.time;
    if (!Number.isNaN(h.time)) { this.#lastTime = h.time; this.#pending = null; }
    this.#prevFirewall = true;
    return this.#loss('repeated', count, time, lineNo);
  }

  #loss(kind: LossNotice['kind'], count: number, time: number, line: number): ParseResult {
    return { kind: 'loss', notice: { kind, count, time, line } };
  }

  #packet(s: string, fw: number, readable: boolean, lineNo: number): ParseResult {
    const h = this.#header;
    let time = h.time;
    let source: TimeSource = h.timeSource;
    let prefixStart = h.msgStart;
    if (!readable) {
      // psad: the prefix is what follows the last "kernel:" before IN=; a leading uptime stamp is dropped
      const k = s.lastIndexOf('kernel:', fw);
      prefixStart = k >= 0 ? k + 7 : 0;
      h.host = k >= 0 ? psadHost(s, k) : '';
    }
    if (Number.isNaN(time)) {
      const f = this.#fallbackTime();
      time = f.time;
      source = f.source;
    } else {
      this.#lastTime = time;
      this.#pending = null;
    }
    this.#prevFirewall = true;
    const ev: PacketEvent | null = this.#scanner.scan(s, fw, s.length);
    // Control characters or U+FFFD make a line 'binary' / 'invalid-utf8' whatever else is wrong with it. The full
    // check runs only when something failed; on success the strings the event keeps are checked instead (the
    // scanner validated every number, address, interface and MAC), so a clean line is never scanned twice.
    if (!ev) {
      // tabs (some relays turn blanks into them) are rare: retry with blanks only after a failure
      if (s.includes('\t')) return this.parse(s.replace(/\t/g, ' '), lineNo);
      return err(badChars(s) ?? this.#scanner.reason, this.#scanner.detail);
    }
    // a tab in the header (some relays turn blanks into them) changes how the header reads ("kernel:\t" is no tag):
    // such a line is read with blanks, whatever the line before was (the prefix memo below must not skip this)
    if (s.lastIndexOf('\t', fw) >= 0) return this.parse(s.replace(/\t/g, ' '), lineNo);
    const host = h.host;
    const prefix = this.#prefix(s, prefixStart, fw);
    if ((host !== '' && !printable(host, 0, host.length)) || (prefix !== '' && prefix !== this.#cleanPrefix)) {
      if (s.includes('\t')) return this.parse(s.replace(/\t/g, ' '), lineNo); // a tab in the header or prefix
      if (host !== '' && !printable(host, 0, host.length)) return err(badChars(s) ?? 'garbled', 'host name');
      const bad = badChars(prefix);
      if (bad) return err(bad, 'log prefix');
      this.#cleanPrefix = prefix;
    }
    ev.time = time;
    ev.timeSource = source;
    ev.host = host === '' ? 'unknown' : host;
    ev.prefix = prefix;
    if (prefix !== '') {
      if (prefix !== this.#sidPrefix) {
        this.#sidPrefix = prefix;
        this.#sidValue = this.#sid(prefix);
      }
      if (this.#sidValue >= 0) ev.sid = this.#sidValue;
    }
    ev.line = lineNo;
    return { kind: 'packet', event: ev };
  }

  /** The log prefix in s[a,b): trimmed, after the last "kernel:" in it, without a "[ secs.usec]" stamp. */
  #prefix(s: string, a: number, b: number): string {
    while (a < b && s.charCodeAt(a) === 32) a++;
    while (b > a && s.charCodeAt(b - 1) === 32) b--;
    if (a === b) return '';
    const last = this.#lastPrefix;
    if (last.length === b - a && s.startsWith(last, a)) return last;
    const p = cleanPrefix(s.slice(a, b));
    this.#lastPrefix = p;
    return p;
  }

  /** fwsnort SID: the digits after the SID tag in the prefix (psad /SID(\d+)/), or -1. */
  #sid(prefix: string): number {
    let k = prefix.indexOf(this.#sidTag);
    while (k >= 0) {
      let j = k + this.#sidTag.length;
      const d0 = j;
      while (j < prefix.length && prefix.charCodeAt(j) >= 48 && prefix.charCodeAt(j) <= 57) j++;
      if (j > d0 && j - d0 <= 10) return Number(prefix.slice(d0, j));
      k = prefix.indexOf(this.#sidTag, k + 1);
    }
    return -1;
  }
}
