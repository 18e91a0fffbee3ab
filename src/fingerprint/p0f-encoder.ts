// Writes p0f log lines straight into a byte buffer: the same text as p0f-format.ts, without a string per line.
import type { EngineSink, MtuEvent, TcpEvent } from './engine.ts';
import type { MatchEntry } from './match-cache.ts';
import { matchName, p0fStamp } from './p0f-format.ts';
import { paramsText, rawSig } from './raw-sig.ts';

// Short and medium pieces (digits, separators, the per-second line prefix, the MTU tail) are stored 4 bytes at a time
// with DataView.setInt32 (little-endian words of text, the last one padded): on V8 a dozen inlined stores beat
// TypedArray#set, a builtin call of ~100 instructions before its memcpy; only the long per-signature tail of a TCP line
// (~110 bytes) is one TypedArray#set. A word store may write up to 3 bytes past the text; the buffer always keeps room
// for that, and the next store overwrites them.

const enc = new TextEncoder();

/** Text as words, and its length in bytes. */
interface Words {
  w: Int32Array;
  len: number;
}

function words(s: string): Words {
  const b = enc.encode(s);
  const p = new Uint8Array((b.length + 3) & ~3);
  p.set(b);
  return { w: new Int32Array(p.buffer), len: b.length };
}

/** "d." for every octet value as one word (1–3 digits then '.'), and the digit count. */
const OCTET = new Int32Array(256);
const OCTET_LEN = new Uint8Array(256);
/** 0–9999 as a word, plain ("7") and zero-padded to four digits ("0007"), and the plain digit count. */
const DEC4 = new Int32Array(10000);
const DEC4_PAD = new Int32Array(10000);
const DEC4_LEN = new Uint8Array(10000);
// built with arithmetic, not strings: 10,000 String() calls were a noticeable part of start-up
for (let n = 0; n < 10000; n++) {
  const len = n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : 4;
  let plain = 0;
  let pad = 0;
  for (let i = 0, v = n; i < 4; i++, v = Math.floor(v / 10)) {
    // digit i from the right: byte (len - 1 - i) of the plain word, byte (3 - i) of the padded one
    const c = 48 + (v % 10);
    if (i < len) plain |= c << (8 * (len - 1 - i));
    pad |= c << (8 * (3 - i));
  }
  DEC4[n] = plain;
  DEC4_PAD[n] = pad;
  DEC4_LEN[n] = len;
  if (n < 256) {
    OCTET[n] = plain | (46 << (8 * len));
    OCTET_LEN[n] = len;
  }
}
const HEXC = enc.encode('0123456789abcdef');

const MODES = ['syn', 'syn+ack', 'sendsyn probe', 'sendsyn response', 'mtu'] as const;
const M_SYN = 0, M_SYNACK = 1, M_PROBE = 2, M_RESPONSE = 3, M_MTU = 4;
const SRV = words('|srv=');
const SUBJ_CLI = words('|subj=cli');
const SUBJ_SRV = words('|subj=srv');

/**
 * Per match-cache entry: its encoded tails — "|os=…|dist=…|params=…|raw_sig=…\n", plain and as a sendsyn flow prints
 * it, and "|link=…|raw_mtu=N\n" — as views into the encoder's arena (one allocation per tail, none per line).
 */
class Tails {
  readonly owner: P0fEncoder;
  plain: Uint8Array | null = null;
  sendsyn: Uint8Array | null = null;
  mtu: Words | null = null;

  constructor(owner: P0fEncoder) {
    this.owner = owner;
  }
}

/** Upper bound of the prefix and flow part of a line in bytes (tails, from signature labels, are checked apart). */
const HEAD_MAX = 512;
/** Bytes of tails kept together in one arena block (a new block is started when one is full). */
const ARENA_BLOCK = 1 << 16;

/** Stores `t` at `p`; returns the position after it. */
function putWords(dv: DataView, p: number, t: Words): number {
  const w = t.w;
  for (let i = 0; i < w.length; i++) dv.setInt32(p + 4 * i, w[i]!, true);
  return p + t.len;
}

/** A decimal port (0–65535). */
function putPort(buf: Uint8Array, dv: DataView, p: number, n: number): number {
  if (n < 10000) {
    dv.setInt32(p, DEC4[n]!, true);
    return p + DEC4_LEN[n]!;
  }
  const hi = (n / 10000) | 0;
  buf[p] = 48 + hi;
  dv.setInt32(p + 1, DEC4_PAD[n - hi * 10000]!, true);
  return p + 5;
}

/** An address as p0f prints it, then '/'. */
function putAddr(buf: Uint8Array, dv: DataView, p: number, b: Uint8Array, off: number, family: 4 | 6): number {
  if (family === 4) {
    let v = b[off]!;
    dv.setInt32(p, OCTET[v]!, true);
    p += OCTET_LEN[v]! + 1;
    v = b[off + 1]!;
    dv.setInt32(p, OCTET[v]!, true);
    p += OCTET_LEN[v]! + 1;
    v = b[off + 2]!;
    dv.setInt32(p, OCTET[v]!, true);
    p += OCTET_LEN[v]! + 1;
    v = b[off + 3]!;
    dv.setInt32(p, OCTET[v]!, true);
    p += OCTET_LEN[v]! + 1;
    buf[p - 1] = 47;
    return p;
  }
  // p0f prints eight groups in unpadded hex, no "::" compression
  for (let g = 0; g < 8; g++) {
    if (g > 0) buf[p++] = 58;
    const v = (b[off + 2 * g]! << 8) | b[off + 2 * g + 1]!;
    if (v >= 0x1000) buf[p++] = HEXC[v >> 12]!;
    if (v >= 0x100) buf[p++] = HEXC[(v >> 8) & 15]!;
    if (v >= 0x10) buf[p++] = HEXC[(v >> 4) & 15]!;
    buf[p++] = HEXC[v & 15]!;
  }
  buf[p++] = 47;
  return p;
}

/** "ADDR/PORT|srv=ADDR/PORT|subj=cli" (or the reverse and subj=srv for a SYN+ACK). */
function putFlow(buf: Uint8Array, dv: DataView, p: number, o: TcpEvent['obs'], syn: boolean): number {
  p = putAddr(buf, dv, p, o.buf, syn ? o.srcOff : o.dstOff, o.family);
  p = putPort(buf, dv, p, syn ? o.sport : o.dport);
  p = putWords(dv, p, SRV);
  p = putAddr(buf, dv, p, o.buf, syn ? o.dstOff : o.srcOff, o.family);
  p = putPort(buf, dv, p, syn ? o.dport : o.sport);
  return putWords(dv, p, syn ? SUBJ_CLI : SUBJ_SRV);
}

/**
 * An EngineSink producing exactly formatTcpLine / formatMtuLine text, newline-terminated, as bytes. Full chunks go to
 * `emit`, which must consume them before returning (the buffer is reused); call flush() at the end.
 */
export class P0fEncoder implements EngineSink {
  readonly #emit: (chunk: Uint8Array) => void;
  readonly #buf: Uint8Array;
  readonly #dv: DataView;
  #pos = 0;
  /** Start (ms) of the second the cached prefixes show. */
  #secStart = NaN;
  /** "[YYYY/MM/DD HH:MM:SS] mod=…|cli=" of that second, per mode. */
  #prefix: Words[] = [];
  /** Where the last TCP line's "ADDR/PORT|srv=ADDR/PORT|subj=…" part sits in the buffer (-1: flushed since). */
  #flowStart = -1;
  #flowEnd = -1;
  /** The block tails are appended to: tails of the hot entries sit side by side in memory. */
  #arena = new Uint8Array(ARENA_BLOCK);
  #arenaTop = 0;

  constructor(emit: (chunk: Uint8Array) => void, size = 1 << 16) {
    this.#emit = emit;
    this.#buf = new Uint8Array(Math.max(size, 8 * HEAD_MAX));
    this.#dv = new DataView(this.#buf.buffer);
  }

  tcp(ev: TcpEvent): void {
    const t = this.#tails(ev.entry);
    const sendsyn = ev.sendsyn;
    const tail = (sendsyn ? t.sendsyn : t.plain) ?? this.#encodeTail(t, ev);
    const o = ev.obs;
    if (!(o.time >= this.#secStart && o.time < this.#secStart + 1000)) this.#newSecond(o.time);
    if (this.#pos + HEAD_MAX + tail.length > this.#buf.length) this.flush();
    const buf = this.#buf;
    const dv = this.#dv;
    const syn = ev.mode === 'syn';
    let p = putWords(dv, this.#pos, this.#prefix[sendsyn ? (syn ? M_PROBE : M_RESPONSE) : syn ? M_SYN : M_SYNACK]!);
    this.#flowStart = p;
    p = putFlow(buf, dv, p, o, syn);
    this.#flowEnd = p;
    this.#pos = this.#putTail(p, tail);
  }

  mtu(ev: MtuEvent): void {
    const t = this.#tails(ev.entry);
    const tail = (t.mtu ??= words(`|link=${ev.link ?? '???'}|raw_mtu=${ev.mtu}\n`));
    const o = ev.obs;
    if (!(o.time >= this.#secStart && o.time < this.#secStart + 1000)) this.#newSecond(o.time);
    if (this.#pos + HEAD_MAX + tail.len + 4 > this.#buf.length) this.flush();
    const buf = this.#buf;
    const dv = this.#dv;
    let p = putWords(dv, this.#pos, this.#prefix[M_MTU]!);
    const fs = this.#flowStart;
    if (fs >= 0) {
      // the TCP line's flow part, 4 bytes at a time (it lies wholly before p, so reading past its end is harmless;
      // copyWithin would be a call into C++)
      const n = this.#flowEnd - fs;
      for (let i = 0; i < n; i += 4) dv.setInt32(p + i, dv.getInt32(fs + i, true), true);
      p += n;
    } else {
      // flushed since the TCP line: encode the flow part again
      p = putFlow(buf, dv, p, o, ev.mode === 'syn');
    }
    // an [mtu] label longer than the buffer (absurd, but signature files are user input) goes out on its own
    this.#pos = p + tail.len + 4 <= buf.length ? putWords(dv, p, tail) : this.#putTail(p, new Uint8Array(tail.w.buffer, 0, tail.len));
  }

  /** Hands everything buffered to `emit`. */
  flush(): void {
    this.#flowStart = this.#flowEnd = -1;
    if (this.#pos === 0) return;
    this.#emit(this.#buf.subarray(0, this.#pos));
    this.#pos = 0;
  }

  /** Copies a tail to `p` (one memcpy: tails are long enough for TypedArray#set to beat word stores); returns the new position. */
  #putTail(p: number, tail: Uint8Array): number {
    const buf = this.#buf;
    if (p + tail.length > buf.length) {
      // longer than the buffer (an absurdly long label): out on its own
      this.#pos = p;
      this.flush();
      this.#emit(tail);
      return 0;
    }
    buf.set(tail, p);
    return p + tail.length;
  }

  /** The entry's tails record, made afresh when the entry was first seen by another encoder. */
  #tails(entry: MatchEntry): Tails {
    const t = entry.ext as Tails | undefined;
    if (t && t.owner === this) return t;
    const n = new Tails(this);
    entry.ext = n;
    return n;
  }

  #encodeTail(t: Tails, ev: TcpEvent): Uint8Array {
    const m = ev.match;
    const key = m.record && (m.record.tool || ev.sendsyn) ? 'app' : 'os';
    const dist = m.record?.sig.badTtl ? `<= ${m.dist}` : String(m.dist);
    const b = this.#store(`|${key}=${matchName(m)}|dist=${dist}|params=${paramsText(m, ev.ps.tos)}|raw_sig=${rawSig(ev.ps, ev.synMss)}\n`);
    if (ev.sendsyn) t.sendsyn = b;
    else t.plain = b;
    return b;
  }

  /** The text's bytes, appended to the arena block (or on their own when longer than a block). */
  #store(s: string): Uint8Array {
    const b = enc.encode(s);
    if (b.length > ARENA_BLOCK / 4) return b;
    if (this.#arenaTop + b.length > ARENA_BLOCK) {
      // the full block stays alive as long as views into it do
      this.#arena = new Uint8Array(ARENA_BLOCK);
      this.#arenaTop = 0;
    }
    const view = this.#arena.subarray(this.#arenaTop, this.#arenaTop + b.length);
    view.set(b);
    this.#arenaTop += b.length;
    return view;
  }

  /** Builds "[YYYY/MM/DD HH:MM:SS] mod=…|cli=" for the packet's second (UTC, as p0f-format prints it). */
  #newSecond(ms: number): void {
    this.#secStart = Math.floor(ms / 1000) * 1000;
    const stamp = p0fStamp(ms);
    this.#prefix = MODES.map((m) => words(`${stamp} mod=${m}|cli=`));
  }
}
