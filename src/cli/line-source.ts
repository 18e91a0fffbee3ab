// Reads a file or stdin as lines quickly (large chunks, manual splitting), cutting pathological lines at a limit so a
// 1 GB line without a newline cannot exhaust memory.
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { createRequire } from 'node:module';
import type { Readable, Transform } from 'node:stream';
import type { createGunzip as CreateGunzip } from 'node:zlib';

/** zlib's gunzip stream, loaded on first use: most inputs are plain files, and loading zlib cost every run ~10 ms. */
function gunzip(): Transform {
  const zlib = createRequire(import.meta.url)('node:zlib') as { createGunzip: typeof CreateGunzip };
  return zlib.createGunzip({ chunkSize: 1 << 20 });
}

/** One line: its text (cut at `limit`), 1-based number, and whether it was cut. */
export interface Line {
  text: string;
  no: number;
  cut: boolean;
}

/** Byte progress callback (bytes read so far). */
export type Progress = (bytes: number) => void;

/** The input `path` ("-" = stdin) as a byte stream; rotated logs are often gzip-compressed: "*.gz" is read through gunzip. */
function openInput(path: string): Readable {
  const raw: Readable = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: 1 << 20 });
  return path.endsWith('.gz') ? raw.pipe(gunzip()) : raw;
}

/**
 * Calls `onBatch` with arrays of lines from a byte stream. Lines longer than `limit` characters are delivered once,
 * cut, with `cut` set. The decoding reader: readLineBytes() gives the same lines without decoding.
 */
export async function readLinesFrom(stream: Readable, limit: number, onBatch: (lines: Line[]) => void, progress?: Progress): Promise<void> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let carryCut = false;
  let no = 0;
  let bytes = 0;
  const flush = (chunk: string, final: boolean): void => {
    const batch: Line[] = [];
    let text = carry.length > 0 ? carry + chunk : chunk;
    carry = '';
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      no++;
      let line = text.slice(start, nl);
      let cut = carryCut;
      carryCut = false;
      if (line.length > limit) {
        line = line.slice(0, limit);
        cut = true;
      }
      batch.push({ text: line, no, cut });
      start = nl + 1;
    }
    text = text.slice(start);
    if (text.length > limit) {
      // keep only the head of an overlong line; the rest until its newline is dropped
      if (!carryCut) {
        carry = text.slice(0, limit);
        carryCut = true;
      } else {
        carry = text.slice(0, limit);
      }
    } else {
      carry = text;
    }
    if (final && (carry.length > 0 || carryCut)) {
      no++;
      batch.push({ text: carry, no, cut: carryCut });
      carry = '';
      carryCut = false;
    }
    if (batch.length > 0) onBatch(batch);
  };
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    bytes += buf.length;
    flush(decoder.write(buf), false);
    progress?.(bytes);
  }
  flush(decoder.end(), true);
}

/** Receives the lines of readLineBytes(). */
export interface LineSink {
  /** A line of at most `limit` bytes: buf[a,b), without its terminator (the buffer is reused after the call). */
  bytes(buf: Buffer, a: number, b: number, no: number): void;
  /** A longer line, decoded; cut to `limit` characters when `cut` (the rest until its newline is dropped). */
  text(text: string, no: number, cut: boolean): void;
  /** After each chunk read. */
  chunk?(): void;
  /**
   * Before the next `n` lines of a chunk are handed over one by one: they start at `from` and end (before their
   * newline) at ends[0..n). A hint for prefetching what those lines will need; it must not change anything.
   */
  ahead?(buf: Buffer, from: number, ends: Int32Array, n: number): void;
}

/**
 * Lines looked ahead at once (see LineSink.ahead): the more, the more cache misses of the read-ahead overlap, until
 * what it reads no longer stays in cache. On the benchmark log 32 took ~3 % more CPU time than 64; 128 and 256 were
 * no better than 64 within the host's noise.
 */
const AHEAD = 64;

/**
 * Like readLinesFrom(), without decoding: lines of up to `limit` bytes are handed over as byte ranges of the read chunk
 * (no string, no object per line); longer ones are decoded and cut as readLinesFrom() cuts them, so both give the same
 * lines. At most 4 × `limit` bytes of a line are kept, so a line without end cannot exhaust memory. A plain file is
 * read synchronously into one reused buffer (no fresh memory per chunk); stdin and *.gz go through a stream.
 */
export async function readLineBytes(path: string, limit: number, sink: LineSink, progress?: Progress): Promise<void> {
  if (path === '-' || path.endsWith('.gz')) {
    await readLineBytesFrom(openInput(path), limit, sink, progress);
    return;
  }
  // opened synchronously, as it is read: fs/promises (and what it loads) is not worth loading for the one call
  const fd = openSync(path, 'r');
  try {
    const split = new LineSplitter(limit, sink);
    const buf = Buffer.allocUnsafe(1 << 20);
    let bytes = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      bytes += n;
      split.push(n === buf.length ? buf : buf.subarray(0, n));
      progress?.(bytes);
    }
    split.end();
  } finally {
    closeSync(fd);
  }
}

/** readLineBytes() over a byte stream. */
export async function readLineBytesFrom(stream: Readable, limit: number, sink: LineSink, progress?: Progress): Promise<void> {
  const split = new LineSplitter(limit, sink);
  let bytes = 0;
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    bytes += buf.length;
    split.push(buf);
    progress?.(bytes);
  }
  split.end();
}

/** Cuts chunks of bytes into lines for a LineSink, carrying a line that spans chunks over (bounded). */
class LineSplitter {
  readonly #limit: number;
  /** UTF-8 takes at most 4 bytes per character: more than this many bytes is always more than `limit` characters. */
  readonly #keep: number;
  readonly #sink: LineSink;
  #no = 0;
  /** The start of a line the previous chunk ended in. */
  #carry: Buffer | null = null;
  #carryLen = 0;
  #carryOver = false;
  #open = false;
  readonly #ends = new Int32Array(AHEAD);

  constructor(limit: number, sink: LineSink) {
    this.#limit = limit;
    this.#keep = limit * 4 + 4;
    this.#sink = sink;
  }

  /** The lines of one chunk (the chunk may be reused once this returns). */
  push(buf: Buffer): void {
    let pos = 0;
    if (this.#open) {
      const nl = buf.indexOf(10);
      this.#addCarry(buf, 0, nl < 0 ? buf.length : nl);
      if (nl < 0) return;
      this.#open = false;
      this.#endCarry();
      pos = nl + 1;
    }
    pos = this.#lines(buf, pos);
    if (pos < buf.length) {
      this.#open = true;
      this.#addCarry(buf, pos, buf.length);
    }
    this.#sink.chunk?.();
  }

  /**
   * Hands over the complete lines of buf from pos; returns where the first incomplete one starts. A loop of its own,
   * with nothing after it: V8 compiles it on the stack (OSR) in the middle of the first chunk, before any code after
   * the loop has run, and optimized code that reaches code without type feedback deoptimizes there. Inside push()
   * that happened at the end of every chunk (93 of the 1 MiB chunks of the benchmark log).
   */
  #lines(buf: Buffer, from: number): number {
    const sink = this.#sink;
    const limit = this.#limit;
    const ends = this.#ends;
    const ahead = sink.ahead !== undefined;
    let pos = from;
    for (;;) {
      let n = 0;
      for (let q = pos; n < AHEAD; n++) {
        const nl = buf.indexOf(10, q);
        if (nl < 0) break;
        ends[n] = nl;
        q = nl + 1;
      }
      if (n === 0) return pos;
      if (ahead) sink.ahead!(buf, pos, ends, n);
      for (let k = 0; k < n; k++) {
        const nl = ends[k]!;
        const no = ++this.#no;
        if (nl - pos <= limit) sink.bytes(buf, pos, nl, no);
        else this.#long(buf, pos, nl, false);
        pos = nl + 1;
      }
    }
  }

  /** End of input: a last line without a newline. */
  end(): void {
    if (this.#open) this.#endCarry();
    this.#open = false;
  }

  #long(buf: Buffer, a: number, b: number, over: boolean): void {
    const text = buf.toString('utf8', a, b);
    if (over || text.length > this.#limit) this.#sink.text(text.slice(0, this.#limit), this.#no, true);
    else this.#sink.text(text, this.#no, false);
  }

  #addCarry(buf: Buffer, a: number, b: number): void {
    const room = this.#keep - this.#carryLen;
    const n = Math.min(room, b - a);
    if (n < b - a) this.#carryOver = true;
    if (n <= 0) return;
    let carry = this.#carry;
    if (!carry || carry.length < this.#carryLen + n) {
      const grown = Buffer.allocUnsafe(Math.min(this.#keep, Math.max(this.#carryLen + n, 2 * (carry?.length ?? 0), 256)));
      if (carry) carry.copy(grown, 0, 0, this.#carryLen);
      this.#carry = carry = grown;
    }
    buf.copy(carry, this.#carryLen, a, a + n);
    this.#carryLen += n;
  }

  #endCarry(): void {
    const no = ++this.#no;
    const c = this.#carry ?? Buffer.alloc(0);
    if (!this.#carryOver && this.#carryLen <= this.#limit) this.#sink.bytes(c, 0, this.#carryLen, no);
    else this.#long(c, 0, this.#carryLen, this.#carryOver);
    this.#carryLen = 0;
    this.#carryOver = false;
  }
}
