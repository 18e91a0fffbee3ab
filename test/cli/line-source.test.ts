// The byte reader hands over the same lines as the decoding reader — same text, numbers and cuts — whatever the chunk
// boundaries, line lengths around the limit, multi-byte characters, invalid UTF-8 and a missing final newline.
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readLineBytesFrom, readLinesFrom } from '../../src/cli/line-source.ts';

interface Got { text: string; no: number; cut: boolean }

async function viaText(chunks: Buffer[], limit: number): Promise<Got[]> {
  const out: Got[] = [];
  await readLinesFrom(Readable.from(chunks), limit, (batch) => { for (const l of batch) out.push({ ...l }); });
  return out;
}

async function viaBytes(chunks: Buffer[], limit: number): Promise<Got[]> {
  const out: Got[] = [];
  await readLineBytesFrom(Readable.from(chunks), limit, {
    bytes(buf, a, b, no) {
      expect(b - a).toBeLessThanOrEqual(limit);
      out.push({ text: buf.toString('utf8', a, b), no, cut: false });
    },
    text(text, no, cut) {
      out.push({ text, no, cut });
    },
  });
  return out;
}

const piece = fc.oneof(
  fc.constantFrom('a', 'IN=eth0 ', 'é', '€', '𝄞', '\n', '\n', '\r\n', ' '),
  fc.constantFrom(Buffer.from([0xff]), Buffer.from([0xe2, 0x82]), Buffer.from([0xf0, 0x9d]), Buffer.from([0x80])),
  fc.string({ maxLength: 30 }),
);

/** The pieces' bytes cut into chunks of the given sizes, in turn. */
function chunksOf(pieces: readonly (string | Buffer)[], sizes: readonly number[]): Buffer[] {
  const all = Buffer.concat(pieces.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
  const chunks: Buffer[] = [];
  for (let at = 0, k = 0; at < all.length; k++) {
    const n = sizes[k % sizes.length]!;
    chunks.push(all.subarray(at, at + n));
    at += n;
  }
  return chunks;
}

describe('line readers', () => {
  it('the byte reader gives the decoding reader\'s lines', async () => {
    await fc.assert(fc.asyncProperty(fc.array(piece, { maxLength: 60 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 1, max: 24 }), async (pieces, sizes, limit) => {
        const chunks = chunksOf(pieces, sizes);
        expect(await viaBytes(chunks, limit)).toEqual(await viaText(chunks, limit));
      }), { numRuns: 400 });
  });

  it('announces the lines of a chunk (LineSink.ahead) before handing them over, in order, each once', async () => {
    await fc.assert(fc.asyncProperty(fc.array(piece, { maxLength: 120 }), fc.array(fc.integer({ min: 1, max: 90 }), { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 1, max: 24 }), async (pieces, sizes, limit) => {
        const chunks = chunksOf(pieces, sizes);
        // announced lines not yet handed over: [buffer, start, end]
        const queue: [Buffer, number, number][] = [];
        let announced = 0;
        let handed = 0;
        const out: Got[] = [];
        await readLineBytesFrom(Readable.from(chunks), limit, {
          ahead(buf, from, ends, n) {
            expect(queue).toHaveLength(0);
            expect(n).toBeGreaterThan(0);
            for (let k = 0, a = from; k < n; a = ends[k]! + 1, k++) {
              expect(buf[ends[k]!]).toBe(10);
              expect(buf.subarray(a, ends[k]).includes(10)).toBe(false);
              queue.push([buf, a, ends[k]!]);
            }
            announced += n;
          },
          bytes(buf, a, b, no) {
            // a line carried over from the chunk before comes from the carry buffer, unannounced; any other was announced
            if (chunks.includes(buf)) {
              expect(queue[0]?.[0]).toBe(buf);
              expect(queue.shift()!.slice(1)).toEqual([a, b]);
              handed++;
            }
            out.push({ text: buf.toString('utf8', a, b), no, cut: false });
          },
          text(text, no, cut) {
            if (queue.length > 0) {
              expect(queue[0]![2] - queue[0]![1]).toBeGreaterThan(limit);
              queue.shift();
              handed++;
            }
            out.push({ text, no, cut });
          },
        });
        expect(queue).toHaveLength(0);
        expect(handed).toBe(announced);
        // and the lines are the decoding reader's, announced or not
        expect(out).toEqual(await viaText(chunks, limit));
      }), { numRuns: 300 });
  });

  it('keeps a bounded head of a line that never ends', async () => {
    const chunks = Array.from({ length: 50 }, () => Buffer.alloc(1000, 0x61));
    const got = await viaBytes(chunks, 100);
    expect(got).toEqual([{ text: 'a'.repeat(100), no: 1, cut: true }]);
  });
});
