// Reads a file or stdin as lines quickly (large chunks, manual splitting), cutting pathological lines at a limit so a
// 1 GB line without a newline cannot exhaust memory.
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

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
  return path.endsWith('.gz') ? raw.pipe(createGunzip({ chunkSize: 1 << 20 })) : raw;
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
}

/**
 * Like readLinesFrom(), without decoding: lines of up to `limit` bytes are handed over as byte ranges of the read chunk
 * (no string, no object per line); longer ones are decoded and cut as readLinesFrom() cuts them, so both give the same
 * lines. At most 4 × `limit` bytes of a line are kept, so a line without end cannot exhaust memory.
 */
export async function readLineBytes(path: string, limit: number, sink: LineSink, progress?: Progress): Promise<void> {
  await readLineBytesFrom(openInput(path), limit, sink, progress);
}

/** readLineBytes() over a byte stream. */
export async function readLineBytesFrom(stream: Readable, limit: number, sink: LineSink, progress?: Progress): Promise<void> {
  // UTF-8 takes at most 4 bytes per character: more than this many bytes is always more than `limit` characters
  const keep = limit * 4 + 4;
  let no = 0;
  let bytes = 0;
  // the start of a line the previous chunk ended in
  let carry: Buffer | null = null;
  let carryLen = 0;
  let carryOver = false;
  const long = (buf: Buffer, a: number, b: number, over: boolean): void => {
    const text = buf.toString('utf8', a, b);
    if (over || text.length > limit) sink.text(text.slice(0, limit), no, true);
    else sink.text(text, no, false);
  };
  const addCarry = (buf: Buffer, a: number, b: number): void => {
    const room = keep - carryLen;
    const n = Math.min(room, b - a);
    if (n < b - a) carryOver = true;
    if (n <= 0) return;
    if (!carry || carry.length < carryLen + n) {
      const grown = Buffer.allocUnsafe(Math.min(keep, Math.max(carryLen + n, 2 * (carry?.length ?? 0), 256)));
      if (carry) carry.copy(grown, 0, 0, carryLen);
      carry = grown;
    }
    buf.copy(carry, carryLen, a, a + n);
    carryLen += n;
  };
  const endCarry = (): void => {
    no++;
    const c = carry ?? Buffer.alloc(0);
    if (!carryOver && carryLen <= limit) sink.bytes(c, 0, carryLen, no);
    else long(c, 0, carryLen, carryOver);
    carry = null;
    carryLen = 0;
    carryOver = false;
  };
  let open = false;
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    bytes += buf.length;
    let pos = 0;
    if (open) {
      const nl = buf.indexOf(10);
      addCarry(buf, 0, nl < 0 ? buf.length : nl);
      if (nl < 0) {
        progress?.(bytes);
        continue;
      }
      open = false;
      endCarry();
      pos = nl + 1;
    }
    for (;;) {
      const nl = buf.indexOf(10, pos);
      if (nl < 0) break;
      no++;
      if (nl - pos <= limit) sink.bytes(buf, pos, nl, no);
      else long(buf, pos, nl, false);
      pos = nl + 1;
    }
    if (pos < buf.length) {
      open = true;
      addCarry(buf, pos, buf.length);
    }
    sink.chunk?.();
    progress?.(bytes);
  }
  if (open) endCarry();
}
