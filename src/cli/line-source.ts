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

/**
 * Calls `onBatch` with arrays of lines from `path` ("-" = stdin). Lines longer than `limit` characters are delivered
 * once, cut, with `cut` set. Throws the stream's error (unreadable file) before any line when opening fails.
 */
export async function readLines(path: string, limit: number, onBatch: (lines: Line[]) => void, progress?: Progress): Promise<void> {
  // rotated logs are often gzip-compressed: read "*.gz" through gunzip
  const raw: Readable = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: 1 << 20 });
  const stream: Readable = path.endsWith('.gz') ? raw.pipe(createGunzip({ chunkSize: 1 << 20 })) : raw;
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
