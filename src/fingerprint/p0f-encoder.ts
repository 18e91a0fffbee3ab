// Writes p0f log lines straight into a byte buffer: the same text as p0f-format.ts, without a string per line.
import type { EngineSink, MtuEvent, TcpEvent } from './engine.ts';
import { matchName, p0fStamp } from './p0f-format.ts';
import { paramsText, rawSig } from './raw-sig.ts';

// Short pieces (digits, separators, the per-second line prefix) are stored 4 bytes at a time with DataView.setInt32
// (little-endian words of text, the last one padded): on V8 a few inlined stores beat TypedArray#set, a builtin call of
// ~150 instructions before its memcpy. The per-entry tails of a line ("|subj=…|os=…|raw_sig=…", ~120 bytes, and
// "|subj=…|link=…|raw_mtu=N", ~50) are one TypedArray#set each: a word loop costs ~25 instructions per 4 bytes. A word
// store may write up to 3 bytes past the text; the buffer always keeps room for that, and the next store overwrites them.

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

/**
 * Per match-cache entry number (TcpEvent.entryId, valid while the event's cacheEpoch stays that of the encoder's
 * tables) the encoder keeps three encoded tails, as views into byte blocks (null until first needed): the TCP line's
 * plain and sendsyn forms ("|subj=…|os=…|dist=…|params=…|raw_sig=…\n") and the MTU line's ("|subj=…|link=…|
 * raw_mtu=N\n"). The subject belongs to the tail because the entry's direction (part of the match key) decides it.
 */
const T_PLAIN = 0, T_SENDSYN = 1, T_MTU = 2;
/** Bytes of tails kept together in one block (a new block is started when one is full). */
const BLOCK = 1 << 16;
/** Tail bytes stored before the encoder starts over (re-encoding what is still used): bounds memory under floods. */
const STORED_MAX = 1 << 24;

/** Upper bound of the prefix and flow part of a line in bytes (tails, from signature labels, are checked apart). */
const HEAD_MAX = 512;

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

/** "ADDR/PORT|srv=ADDR/PORT" (client first: the reverse of the segment for a SYN+ACK). */
function putFlow(buf: Uint8Array, dv: DataView, p: number, o: TcpEvent['obs'], syn: boolean): number {
  p = putAddr(buf, dv, p, o.buf, syn ? o.srcOff : o.dstOff, o.family);
  p = putPort(buf, dv, p, syn ? o.sport : o.dport);
  p = putWords(dv, p, SRV);
  p = putAddr(buf, dv, p, o.buf, syn ? o.dstOff : o.srcOff, o.family);
  return putPort(buf, dv, p, syn ? o.dport : o.sport);
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
  /** Where the last TCP line's "ADDR/PORT|srv=ADDR/PORT" part sits in the buffer (-1: flushed since). */
  #flowStart = -1;
  #flowEnd = -1;
  /** The match cache numbering the tables below belong to (-1: none yet). */
  #epoch = -1;
  /** Three tails per entry number (T_PLAIN, T_SENDSYN, T_MTU). */
  #tails: (Uint8Array | null)[] = [];
  /** The block tails are appended to: tails of the hot entries sit side by side in memory. */
  #block = new Uint8Array(BLOCK);
  #blockTop = 0;
  #stored = 0;

  constructor(emit: (chunk: Uint8Array) => void, size = 1 << 16) {
    this.#emit = emit;
    this.#buf = new Uint8Array(Math.max(size, 8 * HEAD_MAX));
    this.#dv = new DataView(this.#buf.buffer);
    // V8 treats a field stored only once as a constant of the optimized code and deoptimizes that code when the
    // field first changes (here: when the first block is full, deep into a big file): store it twice up front
    this.#block = new Uint8Array(BLOCK);
  }

  tcp(ev: TcpEvent): void {
    const id = ev.entryId;
    const sendsyn = ev.sendsyn;
    if (ev.cacheEpoch !== this.#epoch) this.#restart(ev.cacheEpoch);
    const at = 3 * id + (sendsyn ? T_SENDSYN : T_PLAIN);
    const tail = (at >= 0 && at < this.#tails.length ? this.#tails[at] : null) ?? this.#encodeTail(ev);
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
    const id = ev.entryId;
    if (ev.cacheEpoch !== this.#epoch) this.#restart(ev.cacheEpoch);
    const at = 3 * id + T_MTU;
    const tail = (at >= 0 && at < this.#tails.length ? this.#tails[at] : null) ??
      this.#store(id, T_MTU, `|subj=${ev.mode === 'syn' ? 'cli' : 'srv'}|link=${ev.link ?? '???'}|raw_mtu=${ev.mtu}\n`);
    const o = ev.obs;
    if (!(o.time >= this.#secStart && o.time < this.#secStart + 1000)) this.#newSecond(o.time);
    if (this.#pos + HEAD_MAX + tail.length > this.#buf.length) this.flush();
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
    this.#pos = this.#putTail(p, tail);
  }

  /** Hands everything buffered to `emit`. */
  flush(): void {
    this.#flowStart = this.#flowEnd = -1;
    if (this.#pos === 0) return;
    this.#emit(this.#buf.subarray(0, this.#pos));
    this.#pos = 0;
  }

  /** Copies a tail to `p` (one memcpy); returns the new position. */
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

  /** Drops the tails kept (another match cache, or the cache started over), to keep them for `epoch` from now on. */
  #restart(epoch: number): void {
    this.#epoch = epoch;
    this.#tails = [];
    this.#stored = 0;
  }

  #encodeTail(ev: TcpEvent): Uint8Array {
    const m = ev.match;
    const key = m.record && (m.record.tool || ev.sendsyn) ? 'app' : 'os';
    const dist = m.record?.sig.badTtl ? `<= ${m.dist}` : String(m.dist);
    const text = `|subj=${ev.mode === 'syn' ? 'cli' : 'srv'}|${key}=${matchName(m)}|dist=${dist}|params=${paramsText(m, ev.ps.tos)}|raw_sig=${rawSig(ev.ps, ev.synMss)}\n`;
    return this.#store(ev.entryId, ev.sendsyn ? T_SENDSYN : T_PLAIN, text);
  }

  /**
   * Encodes `s` as entry `id`'s tail of `kind` (into the current block, or on its own when longer than a block) and
   * keeps it, unless the entry is not cached (id -1).
   */
  #store(id: number, kind: number, s: string): Uint8Array {
    const b = enc.encode(s);
    if (id < 0) return b;
    if (this.#stored + b.length > STORED_MAX) this.#restart(this.#epoch);
    this.#stored += b.length;
    let view = b;
    if (b.length <= BLOCK / 4) {
      if (this.#blockTop + b.length > BLOCK) {
        // the full block stays alive as long as views into it do
        this.#block = new Uint8Array(BLOCK);
        this.#blockTop = 0;
      }
      view = this.#block.subarray(this.#blockTop, this.#blockTop + b.length);
      view.set(b);
      this.#blockTop += b.length;
    }
    const tails = this.#tails;
    while (tails.length < 3 * id + 3) tails.push(null);
    tails[3 * id + kind] = view;
    return view;
  }

  /** Builds "[YYYY/MM/DD HH:MM:SS] mod=…|cli=" for the packet's second (UTC, as p0f-format prints it). */
  #newSecond(ms: number): void {
    this.#secStart = Math.floor(ms / 1000) * 1000;
    const stamp = p0fStamp(ms);
    this.#prefix = MODES.map((m) => words(`${stamp} mod=${m}|cli=`));
  }
}
