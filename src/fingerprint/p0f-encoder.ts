// Writes p0f log lines straight into a byte buffer: the same text as p0f-format.ts, without a string per line.
import type { EngineSink, MtuEvent, TcpEvent } from './engine.ts';
import { matchName } from './p0f-format.ts';
import { paramsText, rawSig } from './raw-sig.ts';

const enc = new TextEncoder();
const bytes = (s: string): Uint8Array => enc.encode(s);

/** Decimal digits of 0–65535 (ports, octets, MTUs): 5 bytes per number, with its length, built on first use. */
let DIGITS: Uint8Array | null = null;
let DIGITS_LEN: Uint8Array | null = null;

function digitTables(): [Uint8Array, Uint8Array] {
  if (!DIGITS || !DIGITS_LEN) {
    DIGITS = new Uint8Array(65536 * 5);
    DIGITS_LEN = new Uint8Array(65536);
    for (let n = 0; n < 65536; n++) {
      const t = String(n);
      DIGITS_LEN[n] = t.length;
      for (let i = 0; i < t.length; i++) DIGITS[n * 5 + i] = t.charCodeAt(i);
    }
  }
  return [DIGITS, DIGITS_LEN];
}
const HEXC = bytes('0123456789abcdef');

const MOD_SYN = bytes(' mod=syn|');
const MOD_SYNACK = bytes(' mod=syn+ack|');
const MOD_PROBE = bytes(' mod=sendsyn probe|');
const MOD_RESPONSE = bytes(' mod=sendsyn response|');
const MOD_MTU = bytes(' mod=mtu|');
const CLI = bytes('cli=');
const SRV = bytes('|srv=');
const SUBJ_CLI = bytes('|subj=cli');
const SUBJ_SRV = bytes('|subj=srv');

/** Per match-cache entry: the encoded "|os=…|dist=…|params=…|raw_sig=…\n", plain and as a sendsyn flow prints it. */
interface Tail {
  plain?: Uint8Array;
  sendsyn?: Uint8Array;
}

/** Upper bound of one line in bytes (labels come from signature files; longer lines take the slow path). */
const LINE_MAX = 1024;

/**
 * An EngineSink producing exactly formatTcpLine / formatMtuLine text, newline-terminated, as bytes. Full chunks go to
 * `emit`, which must consume them before returning (the buffer is reused); call flush() at the end.
 */
export class P0fEncoder implements EngineSink {
  readonly #emit: (chunk: Uint8Array) => void;
  readonly #buf: Uint8Array;
  #pos = 0;
  /** Start (ms) of the second the cached stamp shows. */
  #secStart = -Infinity;
  readonly #stamp = new Uint8Array(21);
  /** Where the last TCP line's "cli=…|subj=…" part sits in the buffer (reused by the MTU line that follows). */
  #flowStart = 0;
  #flowEnd = 0;
  /** "|link=…|raw_mtu=N\n" per link name and MTU. */
  readonly #mtuTails = new Map<string | null, Map<number, Uint8Array>>();
  readonly #digits: Uint8Array;
  readonly #digitsLen: Uint8Array;

  constructor(emit: (chunk: Uint8Array) => void, size = 1 << 20) {
    this.#emit = emit;
    this.#buf = new Uint8Array(Math.max(size, 4 * LINE_MAX));
    [this.#digits, this.#digitsLen] = digitTables();
  }

  tcp(ev: TcpEvent): void {
    // room for this line and the MTU line that may follow, so the flow part can be copied within the buffer
    if (this.#pos + 2 * LINE_MAX > this.#buf.length) this.flush();
    const tail = this.#tail(ev);
    this.#putStamp(ev.obs.time);
    this.#put(ev.sendsyn ? (ev.mode === 'syn' ? MOD_PROBE : MOD_RESPONSE) : ev.mode === 'syn' ? MOD_SYN : MOD_SYNACK);
    this.#flowStart = this.#pos;
    this.#putFlow(ev);
    this.#flowEnd = this.#pos;
    if (this.#pos + tail.length + LINE_MAX > this.#buf.length) {
      this.flush();
      if (tail.length + LINE_MAX > this.#buf.length) {
        this.#emit(tail);
        return;
      }
    }
    this.#buf.set(tail, this.#pos);
    this.#pos += tail.length;
  }

  mtu(ev: MtuEvent): void {
    const tail = this.#mtuTail(ev.link, ev.mtu);
    if (this.#pos + LINE_MAX + tail.length > this.#buf.length) this.flush();
    this.#putStamp(ev.obs.time);
    this.#put(MOD_MTU);
    if (this.#flowEnd > this.#flowStart) {
      this.#buf.copyWithin(this.#pos, this.#flowStart, this.#flowEnd);
      this.#pos += this.#flowEnd - this.#flowStart;
    } else {
      // the buffer was flushed since the TCP line (only with very long labels): encode the flow part again
      this.#putFlow(ev);
    }
    this.#buf.set(tail, this.#pos);
    this.#pos += tail.length;
  }

  /** Hands everything buffered to `emit`. */
  flush(): void {
    if (this.#pos === 0) return;
    this.#emit(this.#buf.subarray(0, this.#pos));
    this.#pos = 0;
    this.#flowStart = this.#flowEnd = 0;
  }

  #tail(ev: TcpEvent): Uint8Array {
    let t = ev.entry.ext as Tail | undefined;
    if (!t) ev.entry.ext = t = {};
    const cached = ev.sendsyn ? t.sendsyn : t.plain;
    if (cached) return cached;
    const m = ev.match;
    const key = m.record && (m.record.tool || ev.sendsyn) ? 'app' : 'os';
    const dist = m.record?.sig.badTtl ? `<= ${m.dist}` : String(m.dist);
    const b = bytes(`|${key}=${matchName(m)}|dist=${dist}|params=${paramsText(m, ev.ps.tos)}|raw_sig=${rawSig(ev.ps, ev.synMss)}\n`);
    if (ev.sendsyn) t.sendsyn = b;
    else t.plain = b;
    return b;
  }

  #mtuTail(link: string | null, mtu: number): Uint8Array {
    let byMtu = this.#mtuTails.get(link);
    if (!byMtu) this.#mtuTails.set(link, (byMtu = new Map<number, Uint8Array>()));
    let b = byMtu.get(mtu);
    if (!b) byMtu.set(mtu, (b = bytes(`|link=${link ?? '???'}|raw_mtu=${mtu}\n`)));
    return b;
  }

  #putFlow(ev: { mode: 'syn' | 'syn+ack'; obs: TcpEvent['obs'] }): void {
    const o = ev.obs;
    this.#put(CLI);
    if (ev.mode === 'syn') {
      this.#putAddr(o.buf, o.srcOff, o.family);
      this.#buf[this.#pos++] = 47;
      this.#putInt(o.sport);
      this.#put(SRV);
      this.#putAddr(o.buf, o.dstOff, o.family);
      this.#buf[this.#pos++] = 47;
      this.#putInt(o.dport);
      this.#put(SUBJ_CLI);
    } else {
      this.#putAddr(o.buf, o.dstOff, o.family);
      this.#buf[this.#pos++] = 47;
      this.#putInt(o.dport);
      this.#put(SRV);
      this.#putAddr(o.buf, o.srcOff, o.family);
      this.#buf[this.#pos++] = 47;
      this.#putInt(o.sport);
      this.#put(SUBJ_SRV);
    }
  }

  #put(b: Uint8Array): void {
    const buf = this.#buf;
    let p = this.#pos;
    // short constants: a loop beats TypedArray.set's call overhead
    if (b.length < 32) for (let i = 0; i < b.length; i++) buf[p++] = b[i]!;
    else {
      buf.set(b, p);
      p += b.length;
    }
    this.#pos = p;
  }

  #putInt(n: number): void {
    const d = this.#digits;
    const buf = this.#buf;
    let p = this.#pos;
    const at = n * 5;
    const len = this.#digitsLen[n]!;
    for (let i = 0; i < len; i++) buf[p++] = d[at + i]!;
    this.#pos = p;
  }

  #putAddr(b: Uint8Array, off: number, family: 4 | 6): void {
    const buf = this.#buf;
    if (family === 4) {
      const d = this.#digits;
      const dl = this.#digitsLen;
      let p = this.#pos;
      for (let i = 0; i < 4; i++) {
        if (i > 0) buf[p++] = 46;
        const v = b[off + i]!;
        const at = v * 5;
        const len = dl[v]!;
        for (let j = 0; j < len; j++) buf[p++] = d[at + j]!;
      }
      this.#pos = p;
      return;
    }
    // p0f prints eight groups in unpadded hex, no "::" compression
    for (let g = 0; g < 8; g++) {
      if (g > 0) buf[this.#pos++] = 58;
      const v = (b[off + 2 * g]! << 8) | b[off + 2 * g + 1]!;
      let started = false;
      for (let sh = 12; sh >= 0; sh -= 4) {
        const nib = (v >> sh) & 15;
        if (nib !== 0 || started || sh === 0) {
          buf[this.#pos++] = HEXC[nib]!;
          started = true;
        }
      }
    }
  }

  #putStamp(ms: number): void {
    const st = this.#stamp;
    if (ms < this.#secStart || ms >= this.#secStart + 1000) {
      const sec = Math.floor(ms / 1000);
      this.#secStart = sec * 1000;
      const d = new Date(sec * 1000);
      const two = (at: number, v: number): void => { st[at] = 48 + Math.floor(v / 10); st[at + 1] = 48 + (v % 10); };
      const y = d.getUTCFullYear();
      st[0] = 91;
      st[1] = 48 + Math.floor(y / 1000) % 10; st[2] = 48 + Math.floor(y / 100) % 10; st[3] = 48 + Math.floor(y / 10) % 10; st[4] = 48 + y % 10;
      st[5] = 47; two(6, d.getUTCMonth() + 1); st[8] = 47; two(9, d.getUTCDate());
      st[11] = 32; two(12, d.getUTCHours()); st[14] = 58; two(15, d.getUTCMinutes()); st[17] = 58; two(18, d.getUTCSeconds());
      st[20] = 93;
    }
    const buf = this.#buf;
    let p = this.#pos;
    for (let i = 0; i < 21; i++) buf[p++] = st[i]!;
    this.#pos = p;
  }
}
