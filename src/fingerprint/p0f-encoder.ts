// Writes p0f log lines straight into a byte buffer: the same text as p0f-format.ts, without a string per line.
import type { EngineSink, MtuEvent, TcpEvent } from './engine.ts';
import type { MatchEntry } from './match-cache.ts';
import { matchName, p0fStamp } from './p0f-format.ts';
import { paramsText, rawSig } from './raw-sig.ts';

// Everything is stored 4 bytes at a time with DataView.setInt32 (little-endian words of text, the last one padded):
// on V8 an inlined store per 4 bytes beats both a byte loop and TypedArray#set's call overhead for short text. A store
// may write up to 3 bytes past the text; the buffer always keeps room for that, and the next store overwrites them.

const enc = new TextEncoder();

/** Little-endian word of up to 4 characters of `t` from `at` (missing ones are 0). */
function word(t: string, at: number): number {
  let v = 0;
  for (let i = 3; i >= 0; i--) v = (v << 8) | (t.charCodeAt(at + i) || 0);
  return v;
}

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
for (let n = 0; n < 256; n++) {
  OCTET[n] = word(`${n}.`, 0);
  OCTET_LEN[n] = String(n).length;
}
for (let n = 0; n < 10000; n++) {
  DEC4[n] = word(String(n), 0);
  DEC4_PAD[n] = word(String(n).padStart(4, '0'), 0);
  DEC4_LEN[n] = String(n).length;
}
const HEXC = enc.encode('0123456789abcdef');

const MODES = ['syn', 'syn+ack', 'sendsyn probe', 'sendsyn response', 'mtu'] as const;
const M_SYN = 0, M_SYNACK = 1, M_PROBE = 2, M_RESPONSE = 3, M_MTU = 4;
const SRV = words('|srv=');
const SUBJ_CLI = words('|subj=cli');
const SUBJ_SRV = words('|subj=srv');

/**
 * Per match-cache entry: where its encoded tails sit in the encoder's arena — "|os=…|dist=…|params=…|raw_sig=…\n",
 * plain and as a sendsyn flow prints it, and "|link=…|raw_mtu=N\n" — as word offset and byte length (-1: not yet).
 * Offsets are valid for one encoder and arena generation.
 */
class Tails {
  owner: P0fEncoder;
  gen: number;
  plainAt = -1;
  plainLen = 0;
  sendsynAt = -1;
  sendsynLen = 0;
  mtuAt = -1;
  mtuLen = 0;

  constructor(owner: P0fEncoder, gen: number) {
    this.owner = owner;
    this.gen = gen;
  }
}

/** Upper bound of the prefix and flow part of a line in bytes (tails, from signature labels, are checked apart). */
const HEAD_MAX = 512;
/** Arena size (words) past which it starts over: bounds memory under a flood of ever-different packets. */
const ARENA_MAX = 1 << 22;

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
  /** Every tail this encoder has encoded, as words, one after the other (one array: no pointer chasing per line). */
  #arena = new Int32Array(4096);
  #arenaTop = 0;
  #gen = 0;

  constructor(emit: (chunk: Uint8Array) => void, size = 1 << 16) {
    this.#emit = emit;
    this.#buf = new Uint8Array(Math.max(size, 8 * HEAD_MAX));
    this.#dv = new DataView(this.#buf.buffer);
  }

  tcp(ev: TcpEvent): void {
    const t = this.#tails(ev.entry);
    const sendsyn = ev.sendsyn;
    if ((sendsyn ? t.sendsynAt : t.plainAt) < 0) this.#encodeTail(t, ev);
    const at = sendsyn ? t.sendsynAt : t.plainAt;
    const len = sendsyn ? t.sendsynLen : t.plainLen;
    const o = ev.obs;
    if (!(o.time >= this.#secStart && o.time < this.#secStart + 1000)) this.#newSecond(o.time);
    if (this.#pos + HEAD_MAX + len > this.#buf.length) this.flush();
    const buf = this.#buf;
    const dv = this.#dv;
    const syn = ev.mode === 'syn';
    let p = putWords(dv, this.#pos, this.#prefix[sendsyn ? (syn ? M_PROBE : M_RESPONSE) : syn ? M_SYN : M_SYNACK]!);
    this.#flowStart = p;
    p = putFlow(buf, dv, p, o, syn);
    this.#flowEnd = p;
    this.#pos = this.#putTail(p, at, len);
  }

  mtu(ev: MtuEvent): void {
    const t = this.#tails(ev.entry);
    if (t.mtuAt < 0) {
      const len = this.#store(t, `|link=${ev.link ?? '???'}|raw_mtu=${ev.mtu}\n`);
      t.mtuAt = this.#arenaTop - ((len + 3) >> 2);
      t.mtuLen = len;
    }
    const o = ev.obs;
    if (!(o.time >= this.#secStart && o.time < this.#secStart + 1000)) this.#newSecond(o.time);
    if (this.#pos + HEAD_MAX + t.mtuLen > this.#buf.length) this.flush();
    const dv = this.#dv;
    let p = putWords(dv, this.#pos, this.#prefix[M_MTU]!);
    const fs = this.#flowStart;
    if (fs >= 0) {
      // the TCP line's flow part, 4 bytes at a time (it lies wholly before p, so reading past its end is harmless)
      const n = this.#flowEnd - fs;
      for (let i = 0; i < n; i += 4) dv.setInt32(p + i, dv.getInt32(fs + i, true), true);
      p += n;
    } else {
      // flushed since the TCP line: encode the flow part again
      p = putFlow(this.#buf, dv, p, o, ev.mode === 'syn');
    }
    this.#pos = this.#putTail(p, t.mtuAt, t.mtuLen);
  }

  /** Hands everything buffered to `emit`. */
  flush(): void {
    this.#flowStart = this.#flowEnd = -1;
    if (this.#pos === 0) return;
    this.#emit(this.#buf.subarray(0, this.#pos));
    this.#pos = 0;
  }

  /** Copies `len` bytes of the arena from word `at` to `p`; returns the new position. */
  #putTail(p: number, at: number, len: number): number {
    const buf = this.#buf;
    const arena = this.#arena;
    if (p + len + 4 > buf.length) {
      // longer than the buffer (an absurdly long label): out on its own
      this.#pos = p;
      this.flush();
      this.#emit(new Uint8Array(arena.buffer, at * 4, len).slice());
      return 0;
    }
    const dv = this.#dv;
    const n = (len + 3) >> 2;
    for (let i = 0; i < n; i++) dv.setInt32(p + 4 * i, arena[at + i]!, true);
    return p + len;
  }

  /** The entry's tails record, made afresh when it belongs to another encoder or an arena since cleared. */
  #tails(entry: MatchEntry): Tails {
    const t = entry.ext as Tails | undefined;
    if (t && t.owner === this && t.gen === this.#gen) return t;
    const n = new Tails(this, this.#gen);
    entry.ext = n;
    return n;
  }

  #encodeTail(t: Tails, ev: TcpEvent): void {
    const m = ev.match;
    const key = m.record && (m.record.tool || ev.sendsyn) ? 'app' : 'os';
    const dist = m.record?.sig.badTtl ? `<= ${m.dist}` : String(m.dist);
    const len = this.#store(t, `|${key}=${matchName(m)}|dist=${dist}|params=${paramsText(m, ev.ps.tos)}|raw_sig=${rawSig(ev.ps, ev.synMss)}\n`);
    const at = this.#arenaTop - ((len + 3) >> 2);
    if (ev.sendsyn) {
      t.sendsynAt = at;
      t.sendsynLen = len;
    } else {
      t.plainAt = at;
      t.plainLen = len;
    }
  }

  /** Appends text to the arena as words; returns its byte length (it ends at #arenaTop). */
  #store(t: Tails, s: string): number {
    const b = enc.encode(s);
    const n = (b.length + 3) >> 2;
    if (this.#arenaTop + n > ARENA_MAX) {
      // start over: other entries' records see another generation and are made afresh, this one is cleared now
      this.#arenaTop = 0;
      this.#gen++;
      t.gen = this.#gen;
      t.plainAt = t.sendsynAt = t.mtuAt = -1;
    }
    if (this.#arenaTop + n > this.#arena.length) {
      const a = new Int32Array(Math.max(this.#arena.length * 2, this.#arenaTop + n));
      a.set(this.#arena.subarray(0, this.#arenaTop));
      this.#arena = a;
    }
    const bytes = new Uint8Array(this.#arena.buffer, this.#arenaTop * 4, n * 4);
    bytes.fill(0);
    bytes.set(b);
    this.#arenaTop += n;
    return b.length;
  }

  /** Builds "[YYYY/MM/DD HH:MM:SS] mod=…|cli=" for the packet's second (UTC, as p0f-format prints it). */
  #newSecond(ms: number): void {
    this.#secStart = Math.floor(ms / 1000) * 1000;
    const stamp = p0fStamp(ms);
    this.#prefix = MODES.map((m) => words(`${stamp} mod=${m}|cli=`));
  }
}
