// Writes p0f log lines straight into a byte buffer: the same text as p0f-format.ts, without a string per line.
import type { EngineSink, MtuEvent, TcpEvent } from './engine.ts';
import type { MatchEntry } from './match-cache.ts';
import { matchName, p0fStamp } from './p0f-format.ts';
import { paramsText, rawSig } from './raw-sig.ts';

const enc = new TextEncoder();

/**
 * Text as little-endian 32-bit words (the last one padded), to be stored 4 bytes at a time with DataView.setInt32:
 * on V8 one inlined store per 4 bytes beats both a byte loop and TypedArray#set's call overhead for short text.
 * Stores may write up to 3 bytes past the text; the buffer always keeps room for that.
 */
interface Words {
  w: Int32Array;
  len: number;
}

function words(s: string | Uint8Array): Words {
  const b = typeof s === 'string' ? enc.encode(s) : s;
  const p = new Uint8Array((b.length + 3) & ~3);
  p.set(b);
  return { w: new Int32Array(p.buffer), len: b.length };
}

/**
 * "d." for every octet value as one word (1–3 digits then '.') and its length; "d|" for every port (1–5 digits then
 * '|', two words). Built on first use.
 */
let OCTET: Int32Array | null = null;
let OCTET_LEN: Uint8Array | null = null;
let PORT: Int32Array | null = null;
let PORT_LEN: Uint8Array | null = null;

function numberTables(): void {
  if (OCTET) return;
  const word = (t: string, at: number): number => {
    let v = 0;
    for (let i = 3; i >= 0; i--) v = (v << 8) | (t.charCodeAt(at + i) || 0);
    return v;
  };
  OCTET = new Int32Array(256);
  OCTET_LEN = new Uint8Array(256);
  for (let n = 0; n < 256; n++) {
    const t = `${n}.`;
    OCTET[n] = word(t, 0);
    OCTET_LEN[n] = t.length - 1;
  }
  PORT = new Int32Array(65536 * 2);
  PORT_LEN = new Uint8Array(65536);
  for (let n = 0; n < 65536; n++) {
    const t = `${n}|`;
    PORT[2 * n] = word(t, 0);
    PORT[2 * n + 1] = word(t, 4);
    PORT_LEN[n] = t.length - 1;
  }
}
const HEXC = enc.encode('0123456789abcdef');

const MODES = ['syn', 'syn+ack', 'sendsyn probe', 'sendsyn response', 'mtu'] as const;
const M_SYN = 0, M_SYNACK = 1, M_PROBE = 2, M_RESPONSE = 3, M_MTU = 4;
const SRV = words('srv=');
const SUBJ_CLI = words('subj=cli');
const SUBJ_SRV = words('subj=srv');

/** Per match-cache entry: "|os=…|dist=…|params=…|raw_sig=…\n", plain and as a sendsyn flow prints it, and "|link=…|raw_mtu=N\n". */
class Tails {
  plain: Words | null = null;
  sendsyn: Words | null = null;
  mtu: Words | null = null;
}

/** Upper bound of the prefix and flow part of a line in bytes (tails, from signature labels, are checked apart). */
const HEAD_MAX = 512;

/** Stores `t` at `p`; returns the position after it. */
function putWords(dv: DataView, p: number, t: Words): number {
  const w = t.w;
  for (let i = 0; i < w.length; i++) dv.setInt32(p + 4 * i, w[i]!, true);
  return p + t.len;
}

/** A decimal port and '|'. */
function putPort(dv: DataView, p: number, n: number): number {
  const port = PORT!;
  dv.setInt32(p, port[2 * n]!, true);
  dv.setInt32(p + 4, port[2 * n + 1]!, true);
  return p + PORT_LEN![n]! + 1;
}

/** An address as p0f prints it, then '/'. */
function putAddr(buf: Uint8Array, dv: DataView, p: number, b: Uint8Array, off: number, family: 4 | 6): number {
  if (family === 4) {
    const ot = OCTET!;
    const ol = OCTET_LEN!;
    let v = b[off]!;
    dv.setInt32(p, ot[v]!, true);
    p += ol[v]! + 1;
    v = b[off + 1]!;
    dv.setInt32(p, ot[v]!, true);
    p += ol[v]! + 1;
    v = b[off + 2]!;
    dv.setInt32(p, ot[v]!, true);
    p += ol[v]! + 1;
    v = b[off + 3]!;
    dv.setInt32(p, ot[v]!, true);
    p += ol[v]! + 1;
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
  p = putPort(dv, p, syn ? o.sport : o.dport);
  p = putWords(dv, p, SRV);
  p = putAddr(buf, dv, p, o.buf, syn ? o.dstOff : o.srcOff, o.family);
  p = putPort(dv, p, syn ? o.dport : o.sport);
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

  constructor(emit: (chunk: Uint8Array) => void, size = 1 << 16) {
    this.#emit = emit;
    this.#buf = new Uint8Array(Math.max(size, 8 * HEAD_MAX));
    this.#dv = new DataView(this.#buf.buffer);
    numberTables();
  }

  tcp(ev: TcpEvent): void {
    const tail = this.#tail(ev.entry, ev);
    const o = ev.obs;
    if (!(o.time >= this.#secStart && o.time < this.#secStart + 1000)) this.#newSecond(o.time);
    if (this.#pos + HEAD_MAX + tail.len > this.#buf.length) this.flush();
    const buf = this.#buf;
    const dv = this.#dv;
    const syn = ev.mode === 'syn';
    let p = putWords(dv, this.#pos, this.#prefix[ev.sendsyn ? (syn ? M_PROBE : M_RESPONSE) : syn ? M_SYN : M_SYNACK]!);
    this.#flowStart = p;
    p = putFlow(buf, dv, p, o, syn);
    this.#flowEnd = p;
    if (p + tail.len + 4 > buf.length) {
      // a tail longer than the buffer (an absurdly long label): out on its own
      this.#pos = p;
      this.flush();
      this.#emit(new Uint8Array(tail.w.buffer, 0, tail.len));
      return;
    }
    this.#pos = putWords(dv, p, tail);
  }

  mtu(ev: MtuEvent): void {
    let t = ev.entry.ext as Tails | undefined;
    if (!t) ev.entry.ext = t = new Tails();
    const tail = (t.mtu ??= words(`|link=${ev.link ?? '???'}|raw_mtu=${ev.mtu}\n`));
    const o = ev.obs;
    if (!(o.time >= this.#secStart && o.time < this.#secStart + 1000)) this.#newSecond(o.time);
    if (this.#pos + HEAD_MAX + tail.len > this.#buf.length) this.flush();
    const buf = this.#buf;
    const dv = this.#dv;
    let p = putWords(dv, this.#pos, this.#prefix[M_MTU]!);
    const fs = this.#flowStart;
    const n = this.#flowEnd - fs;
    if (fs >= 0) {
      // the TCP line's flow part, 4 bytes at a time (it lies wholly before p, so reading past its end is harmless)
      for (let i = 0; i < n; i += 4) dv.setInt32(p + i, dv.getInt32(fs + i, true), true);
      p += n;
    } else {
      p = putFlow(buf, dv, p, o, ev.mode === 'syn');
    }
    if (p + tail.len + 4 > buf.length) {
      this.#pos = p;
      this.flush();
      this.#emit(new Uint8Array(tail.w.buffer, 0, tail.len));
      return;
    }
    this.#pos = putWords(dv, p, tail);
  }

  /** Hands everything buffered to `emit`. */
  flush(): void {
    this.#flowStart = this.#flowEnd = -1;
    if (this.#pos === 0) return;
    this.#emit(this.#buf.subarray(0, this.#pos));
    this.#pos = 0;
  }

  #tail(entry: MatchEntry, ev: TcpEvent): Words {
    let t = entry.ext as Tails | undefined;
    if (!t) entry.ext = t = new Tails();
    const cached = ev.sendsyn ? t.sendsyn : t.plain;
    if (cached) return cached;
    const m = ev.match;
    const key = m.record && (m.record.tool || ev.sendsyn) ? 'app' : 'os';
    const dist = m.record?.sig.badTtl ? `<= ${m.dist}` : String(m.dist);
    const w = words(`|${key}=${matchName(m)}|dist=${dist}|params=${paramsText(m, ev.ps.tos)}|raw_sig=${rawSig(ev.ps, ev.synMss)}\n`);
    if (ev.sendsyn) t.sendsyn = w;
    else t.plain = w;
    return w;
  }

  /** Builds "[YYYY/MM/DD HH:MM:SS] mod=…|cli=" for the packet's second (UTC, as p0f-format prints it). */
  #newSecond(ms: number): void {
    this.#secStart = Math.floor(ms / 1000) * 1000;
    const stamp = p0fStamp(ms);
    this.#prefix = MODES.map((m) => words(`${stamp} mod=${m}|cli=`));
  }
}
