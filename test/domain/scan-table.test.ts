// The scan table's slabs and indexes behave as the maps they replace through any sequence of additions, removals (ids
// reused, index entries shifted back) and growth: every source, pair and port counter is found again with its values,
// pairs keep their insertion order, and a source exported and imported again is the same source.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdIndex } from '../../src/domain/id-index.ts';
import { exportSource, importSource } from '../../src/domain/scan-table-io.ts';
import { P_INTERVAL, P_PACKETS, P_SEQ, P_SIGS, PW, S_INTERVAL, S_PACKETS, S_SIGS, SW, ScanTable } from '../../src/domain/scan-table.ts';

describe('IdIndex', () => {
  it('agrees with a Map through sets, deletes and growth (keys crowded into few slots, negative and unsigned ones)', () => {
    const op = fc.tuple(fc.constantFrom('set', 'delete', 'get'), fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constant(0xffffffff),
      fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 })), fc.nat());
    fc.assert(fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
      const m = new IdIndex();
      const ref = new Map<number, number>();
      for (const [kind, key, v] of ops) {
        const k = key | 0;
        if (kind === 'set') {
          m.set(key, v);
          ref.set(k, v);
        } else if (kind === 'delete') {
          expect(m.delete(key)).toBe(ref.delete(k));
        }
        expect(m.get(key)).toBe(ref.get(k) ?? -1);
        expect(m.size).toBe(ref.size);
      }
      for (const [k, v] of ref) expect(m.get(k)).toBe(v);
    }), { numRuns: 300 });
  });
});

const ADDRS = [...Array.from({ length: 12 }, (_, i) => `198.51.100.${i}`), '255.255.255.255', '203.0.113.200', '2001:db8::1', '2001:db8::2'];
const DSTS = ['203.0.113.1', '203.0.113.2', '10.0.0.1', '2001:db8::99', '255.0.0.1'];

type Op = ['add', number] | ['pair', number, number, number] | ['port', number, number] | ['remove', number] | ['sig', number, number, number];
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.tuple(fc.constant('add' as const), fc.nat(ADDRS.length - 1)),
  fc.tuple(fc.constant('pair' as const), fc.nat(ADDRS.length - 1), fc.nat(DSTS.length - 1), fc.integer({ min: 1, max: 5 })),
  fc.tuple(fc.constant('port' as const), fc.nat(ADDRS.length - 1), fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 3 * 65536 - 1 }))),
  fc.tuple(fc.constant('remove' as const), fc.nat(ADDRS.length - 1)),
  fc.tuple(fc.constant('sig' as const), fc.nat(ADDRS.length - 1), fc.nat(DSTS.length - 1), fc.integer({ min: 1, max: 4 })),
);

describe('ScanTable', () => {
  it('finds every source, pair and port counter again after additions, removals and growth', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      // the smallest slabs, so they grow (and the indexes rehash) many times over
      const t = new ScanTable(1);
      // the model: per address, its pairs (insertion order, packets) and ports
      const ref = new Map<string, { pairs: Map<string, number>; ports: Map<number, number>; sigs: Map<number, number>; pairSigs: Map<string, number> }>();
      for (const o of ops) {
        const ip = ADDRS[o[1]]!;
        const v4 = ip.includes(':') ? -1 : ip.split('.').reduce((n, x) => n * 256 + Number(x), 0);
        // IPv4 sources by text or (every other address) by their signed number, as detection looks them up
        const byNumber = v4 >= 0 && o[1] % 2 === 0;
        let s = t.findSource(byNumber ? '' : ip, byNumber ? v4 | 0 : -1);
        if (o[0] === 'add') {
          if (s < 0) {
            t.addSource(ip, v4 >= 0 ? 4 : 6, 1000, v4);
            ref.set(ip, { pairs: new Map(), ports: new Map(), sigs: new Map(), pairSigs: new Map() });
          }
          continue;
        }
        if (o[0] === 'remove') {
          if (s >= 0) t.removeSource(s);
          ref.delete(ip);
          continue;
        }
        if (s < 0) {
          s = t.addSource(ip, v4 >= 0 ? 4 : 6, 1000, -1);
          ref.set(ip, { pairs: new Map(), ports: new Map(), sigs: new Map(), pairSigs: new Map() });
        }
        const r = ref.get(ip)!;
        if (o[0] === 'pair') {
          const dst = DSTS[o[2]]!;
          // by its signed number when IPv4 (both ways must give the same id: the 'sig' case below goes by text)
          const dn = dst.includes(':') ? -1 : dst.split('.').reduce((n, x) => n * 256 + Number(x), 0);
          const d = dn >= 0 ? t.dstId('', dn | 0) : t.dstId(dst, -1);
          let p = t.findPair(s, d);
          if (p < 0) {
            p = t.addPair(s, d, 1000);
            // a new pair is scheduled nowhere; the expiry bucket (kept beside the rows) follows it through growth
            expect(t.pexp[p]).toBe(-1);
          }
          t.pi[p * PW + P_PACKETS]! += o[3];
          t.pexp[p] = t.pi[p * PW + P_PACKETS]!;
          t.si[s * SW + S_PACKETS]! += o[3];
          r.pairs.set(dst, (r.pairs.get(dst) ?? 0) + o[3]);
        } else if (o[0] === 'sig') {
          // a hit of signature o[3] on pair (source, DSTS[o[2]]), through the slabs as detection files one
          const dst = DSTS[o[2]]!;
          const d = t.dstId(dst, -1);
          let p = t.findPair(s, d);
          if (p < 0) {
            p = t.addPair(s, d, 1000);
            r.pairs.set(dst, r.pairs.get(dst) ?? 0);
          }
          const h = t.hits;
          let x = h.findPair(t.pi[p * PW + P_SIGS]!, o[3], h.names.id('tcp'), h.names.id('INPUT'));
          if (x < 0) x = h.addPair(t.pi[p * PW + P_SIGS]!, p, o[3], h.names.id('tcp'), h.names.id('INPUT'), false, t.flagNa);
          t.pi[p * PW + P_SIGS] = x + 1;
          h.hitPair(x, true, 80, 2);
          let y = h.findSource(t.si[s * SW + S_SIGS]!, o[3]);
          if (y < 0) y = h.addSource(t.si[s * SW + S_SIGS]!, s, { sid: o[3], msg: `m${o[3]}`, dl: 2, proto: 'tcp', fwsnort: false, first: 1, last: 1 });
          t.si[s * SW + S_SIGS] = y + 1;
          h.hitSource(y, 2, 80);
          r.sigs.set(o[3], (r.sigs.get(o[3]) ?? 0) + 1);
          r.pairSigs.set(`${dst} ${o[3]}`, (r.pairSigs.get(`${dst} ${o[3]}`) ?? 0) + 1);
        } else {
          t.ports.add(s, o[2]);
          r.ports.set(o[2], (r.ports.get(o[2]) ?? 0) + 1);
        }
      }
      expect(t.sourceCount).toBe(ref.size);
      let pairs = 0;
      for (const ip of ADDRS) {
        const s = t.findSource(ip, -1);
        const r = ref.get(ip);
        expect(s >= 0, ip).toBe(r !== undefined);
        if (!r) continue;
        pairs += r.pairs.size;
        // through the indexes, not only the per-source lists
        for (const [dst, n] of r.pairs) expect(t.pi[t.findPair(s, t.dstId(dst, -1)) * PW + P_PACKETS]).toBe(n);
        // the arrays beside the rows too (a pair made by a 'sig' op only is still unscheduled)
        for (const [dst, n] of r.pairs) expect(t.pexp[t.findPair(s, t.dstId(dst, -1))]).toBe(n > 0 ? n : -1);
        // and no pair where there is none, whatever pair the source's last-pair hint names (freed, reused by another)
        for (const dst of DSTS) if (!r.pairs.has(dst)) expect(t.findPair(s, t.dstId(dst, -1)), `${ip} ${dst}`).toBe(-1);
        for (const [k, n] of r.ports) expect(t.ports.count(s, k)).toBe(n);
        // psad's tcp/23 counters (a Map in the table, a record in the exported state)
        const mirai = [...r.pairs.keys()].slice(0, 2).map((dst, i): [string, number] => [dst, i + 3]);
        if (mirai.length > 0) t.mirai[s] = new Map(mirai);
        const st = exportSource(t, s);
        expect(st.mirai).toEqual(Object.fromEntries(mirai));
        expect([...st.pairs.keys()]).toEqual([...r.pairs.keys()]);
        expect([...st.pairs.values()].map((p) => p.packets)).toEqual([...r.pairs.values()]);
        expect(new Map([...st.ports].sort((a, b) => a[0] - b[0]))).toEqual(new Map([...r.ports].sort((a, b) => a[0] - b[0])));
        expect(new Map([...st.sigs].map(([sid, h]) => [sid, h.count]))).toEqual(new Map([...r.sigs].sort((a, b) => a[0] - b[0]).map(([k, v]) => [k, v])));
        const pairSigs = new Map<string, number>();
        for (const ps of st.pairs.values()) for (const h of ps.sigs) pairSigs.set(`${ps.dst} ${h.sid}`, h.packets);
        expect(new Map([...pairSigs].sort())).toEqual(new Map([...r.pairSigs].sort()));
        // out and back in: the same source
        const copy = structuredClone(st);
        t.removeSource(s);
        const back = importSource(t, copy);
        expect(exportSource(t, back)).toEqual(st);
        expect(t.mirai[back] ?? new Map()).toEqual(new Map(mirai));
      }
      expect(t.pairCount).toBe(pairs);
      let ports = 0;
      t.ports.forEach(() => ports++);
      expect(ports).toBe([...ref.values()].reduce((n, r) => n + r.ports.size, 0));
    }), { numRuns: 300 });
  });
});

describe('ScanTable.intervalPairs', () => {
  it('reads ahead (prefetch) without changing a thing, for known and unknown sources and destinations', () => {
    const addr = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
    fc.assert(fc.property(fc.array(fc.tuple(addr, addr), { maxLength: 200 }), fc.array(fc.tuple(addr, addr), { maxLength: 64 }), fc.nat(3),
      (made, ahead, removals) => {
        const t = new ScanTable(2);
        for (const [sv, dv] of made) {
          let s = t.findSource('', sv);
          if (s < 0) s = t.addSource(`v4:${sv}`, 4, 1000, sv);
          const d = t.dstId('', dv);
          if (t.findPair(s, d) < 0) t.addPair(s, d, 1000);
        }
        // freed rows and shifted index entries too
        for (let k = 0; k < removals && k < made.length; k++) {
          const s = t.findSource('', made[k]![0]);
          if (s >= 0) t.removeSource(s);
        }
        const arrays = (): unknown[] => [t.si, t.pi, t.pnext, t.pexp, t.slive].map((a) => Array.from(a));
        const before = arrays();
        const dsts = t.dsts.text.length;
        const sources = t.sourceCount;
        const pairs = t.pairCount;
        const src = Int32Array.from(ahead.map(([sv]) => sv));
        const dst = Int32Array.from(ahead.map(([, dv]) => dv));
        expect(Number.isInteger(t.prefetch(src, dst, ahead.length))).toBe(true);
        expect(arrays()).toEqual(before);
        // nothing added to an index either
        expect([t.dsts.text.length, t.sourceCount, t.pairCount]).toEqual([dsts, sources, pairs]);
      }), { numRuns: 300 });
  });

  it('lists the same pairs in the same order from the index by source as from the per-source lists', () => {
    // pairs made and touched in one interval, sources removed (their rows freed and reused out of order) and made again
    const step = fc.tuple(fc.constantFrom('pair', 'pair', 'pair', 'remove'), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 7 }));
    fc.assert(fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
      const t = new ScanTable(1);
      for (const [kind, a, b] of steps) {
        const ip = `198.51.100.${a + 1}`;
        let s = t.findSource(ip, -1);
        if (kind === 'remove') {
          if (s >= 0) t.removeSource(s);
          continue;
        }
        if (s < 0) {
          s = t.addSource(ip, 4, 1000, -1);
          t.si[s * SW + S_INTERVAL] = 0;
        }
        const d = t.dstId(`203.0.113.${b + 1}`, -1);
        let p = t.findPair(s, d);
        if (p < 0) p = t.addPair(s, d, 1000);
        // touched in interval 0, as the detector's counting does it
        if (t.pi[p * PW + P_INTERVAL] !== 0) {
          t.pi[p * PW + P_INTERVAL] = 0;
          t.intervalPush(s, p);
        }
      }
      const sources = [...Array(6).keys()].map((a) => t.findSource(`198.51.100.${a + 1}`, -1)).filter((s) => s >= 0);
      const listed = sources.map((s) => [...t.ibuf.subarray(0, t.intervalPairs(s))]);
      t.indexPairsBySource();
      const indexed = sources.map((s) => [...t.ibuf.subarray(0, t.intervalPairs(s))]);
      t.dropPairIndex();
      expect(indexed).toEqual(listed);
      // insertion order
      for (const l of listed) for (let i = 1; i < l.length; i++) expect(t.pi[l[i - 1]! * PW + P_SEQ]).toBeLessThan(t.pi[l[i]! * PW + P_SEQ]!);
    }), { numRuns: 400 });
  });
});

describe('PortCounts.totalsByKey', () => {
  it('sums every counter by key, as a walk over all counters does, through growth and removals', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(30), fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 3 * 65536 - 1 })),
      fc.integer({ min: 1, max: 9 })), { maxLength: 400 }), fc.array(fc.nat(30), { maxLength: 5 }), (adds, removed) => {
      const t = new ScanTable();
      for (const [s, key, n] of adds) t.ports.add(s, key, n);
      for (const s of removed) t.ports.removeSource(s);
      const want = new Map<number, number>();
      t.ports.forEach((_s, k, n) => want.set(k, (want.get(k) ?? 0) + n));
      const { keys, counts } = t.ports.totalsByKey();
      const got = new Map<number, number>();
      keys.forEach((k, i) => got.set(k, counts[i]!));
      // each key once, each with packets
      expect(keys).toHaveLength(got.size);
      expect([...counts].every((n) => n > 0)).toBe(true);
      expect(got).toEqual(want);
    }), { numRuns: 60 });
  });
});
