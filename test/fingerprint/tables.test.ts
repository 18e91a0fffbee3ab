// The engine's numbers-only tables and the byte encoder against simple models: same answers under random churn.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyObservation } from '../../src/domain/observation.ts';
import { P0fEngine } from '../../src/fingerprint/engine.ts';
import type { MtuEvent, TcpEvent } from '../../src/fingerprint/engine.ts';
import { hashAddr, HostTable } from '../../src/fingerprint/host-table.ts';
import { P0fEncoder } from '../../src/fingerprint/p0f-encoder.ts';
import { formatMtuLine, formatTcpLine } from '../../src/fingerprint/p0f-format.ts';
import { SignatureDb } from '../../src/fingerprint/database.ts';

describe('HostTable', () => {
  it('finds, creates, touches and destroys like a Map with an insertion-ordered age list (20,000 operations per run)', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(3), fc.nat(300), fc.boolean()), { minLength: 200, maxLength: 20_000 }), (ops) => {
      const t = new HostTable(16);
      const model = new Map<string, number>();
      const order: string[] = [];
      const words = (k: number, v6: boolean): [number, number, number, number, number] =>
        v6 ? [6, 0x20010db8, k >> 4, 0, k & 15] : [4, (0xc0000200 + k) | 0, 0, 0, 0];
      for (const [op, k, v6] of ops) {
        const [fam, a, b, c, d] = words(k, v6);
        const key = `${v6 ? 6 : 4}:${k}`;
        const id = t.find(hashAddr(fam, a, b, c, d), fam, a, b, c, d);
        expect(id === -1).toBe(!model.has(key));
        if (id !== -1) expect(model.get(key)).toBe(id);
        if (op === 0 && id === -1) {
          model.set(key, t.create(hashAddr(fam, a, b, c, d), fam, a, b, c, d, k));
          order.push(key);
        } else if (op === 1 && id !== -1) {
          t.touch(id, k);
          order.splice(order.indexOf(key), 1);
          order.push(key);
          expect(t.lastSeen(id)).toBe(k);
        } else if (op === 2 && order.length > 0) {
          // p0f destroys the oldest host
          const oldest = order.shift()!;
          expect(t.oldest).toBe(model.get(oldest));
          t.destroy(t.oldest);
          model.delete(oldest);
        }
        expect(t.size).toBe(model.size);
      }
      // the age list, walked from the oldest, is the model's order
      const walked: number[] = [];
      for (let h = t.oldest; h !== -1; h = t.newer(h)) walked.push(h);
      expect(walked).toEqual(order.map((k) => model.get(k)));
    }), { numRuns: 30 });
  });
});

/** A SYN of the given source and label-driving window, as the engine sees it. */
function syn(src: number, win: number, mss: number, time: number): ReturnType<typeof emptyObservation> {
  const o = emptyObservation('pcap');
  const b = new Uint8Array(16);
  new DataView(b.buffer).setUint32(0, 0xc0000200 + src);
  new DataView(b.buffer).setUint32(4, 0xc6336401);
  b.set([2, 4, mss >> 8, mss & 255], 8);
  Object.assign(o, { buf: b, srcOff: 0, dstOff: 4, optOff: 8, optLen: 4, family: 4, ttl: 57, df: false, ipId: 1, flags: 0x02, win, sport: 40000 + src, dport: 80, seq: 1000 + src, ack: 0, time, headerLen: 44 });
  return o;
}

describe('P0fEncoder', () => {
  it('writes the text formatter\'s lines across buffer flushes, for labels longer than the buffer too', () => {
    const label = `label = s:unix:${'L'.repeat(9000)}:x`;
    const db = new SignatureDb([
      { name: 'long.fp', text: `classes = unix\n\n[tcp:request]\n${label}\nsig = *:64:0:*:8192,0:mss::0\n\n[mtu]\nlabel = ${'M'.repeat(3000)}\nsig = 1500\n` },
    ]);
    const chunks: Buffer[] = [];
    const text: string[] = [];
    const enc = new P0fEncoder((c) => { chunks.push(Buffer.from(c)); }, 4096);
    const engine = new P0fEngine(db, {
      tcp: (ev: TcpEvent) => { enc.tcp(ev); text.push(formatTcpLine(ev)); },
      mtu: (ev: MtuEvent) => { enc.mtu(ev); text.push(formatMtuLine(ev)); },
    });
    for (let i = 0; i < 400; i++) engine.process(syn(i, i % 3 === 0 ? 8192 : 1000 + i, i % 2 === 0 ? 1460 : 1400, 1_700_000_000_000 + i * 300));
    enc.flush();
    const lines = Buffer.concat(chunks).toString('utf8').split('\n').slice(0, -1);
    expect(lines.length).toBe(text.length);
    expect(lines).toEqual(text);
    expect(lines.some((l) => l.includes('L'.repeat(9000)))).toBe(true);
    expect(lines.some((l) => l.includes('M'.repeat(3000)))).toBe(true);
  });

});
