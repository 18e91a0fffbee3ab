// The detector's shortcuts give the verdicts of the plain algorithm: own-mode level assignment skipping pairs that
// cannot change (per-source memo, walks of this interval's pairs only) and the expiry schedule of pair ids, against a
// directory that puts a fresh copy of every source back into the table at each interval (so no memo ever hits and
// scheduled ids go stale).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Detector } from '../../src/detect/engine.ts';
import { MemoryDirectory } from '../../src/detect/memory-directory.ts';
import { TcpFlag } from '../../src/domain/events.ts';
import type { PacketEvent } from '../../src/domain/events.ts';
import { exportSource, importSource } from '../../src/domain/scan-table-io.ts';
import { ev, rules, T0 } from './helpers.ts';

/**
 * A MemoryDirectory whose interval pass works on copies put back into the table (what a store-backed directory does after a
 * reload): no memo survives and the detector's scheduled ids go stale.
 */
class CopyingDirectory extends MemoryDirectory {
  override forEachTouched(id: number, fn: (s: number) => void): void {
    const t = this.table;
    super.forEachTouched(id, (s) => {
      const copy = structuredClone(exportSource(t, s));
      t.removeSource(s);
      this.generation++;
      fn(importSource(t, copy));
    });
  }
}

interface Pkt { src: number; dst: number; port: number; gapMs: number; kind: number }

const pkt = fc.record({
  src: fc.integer({ min: 0, max: 3 }),
  dst: fc.integer({ min: 0, max: 40 }),
  port: fc.integer({ min: 1, max: 30 }),
  // mostly within an interval, sometimes across intervals, now and then past SCAN_TIMEOUT
  gapMs: fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 5000, max: 60_000 }), fc.constant(4_000_000)),
  kind: fc.integer({ min: 0, max: 3 }),
});

function events(list: Pkt[]): PacketEvent[] {
  let t = T0;
  return list.map((p) => {
    t += p.gapMs;
    const base = { time: t, src: `198.51.100.${p.src + 1}`, dst: `203.0.113.${p.dst + 1}`, dport: p.port };
    if (p.kind === 3) return ev({ ...base, proto: 17, flags: undefined, window: undefined, udpLen: 8 });
    return ev({ ...base, flags: p.kind === 0 ? TcpFlag.SYN : p.kind === 1 ? TcpFlag.FIN : 0 });
  });
}

function verdicts(dir: MemoryDirectory, list: PacketEvent[], uniqueHosts: number[]): unknown {
  const d = new Detector(rules({ uniqueHosts, scanTimeout: 3600 }), dir, 'timed');
  for (const e of list) d.ingest(e);
  d.finish();
  return [...dir.sources.values()].sort((a, b) => (a.ip < b.ip ? -1 : 1)).map((s) => ({
    ip: s.ip, dl: s.dl, history: s.history, tags: [...s.tags].sort(),
    pairs: [...s.pairs.values()].map((p) => ({ dst: p.dst, live: p.live, absnum: p.absnum, sweep: p.sweep, scanTypes: p.scanTypes })),
  }));
}

describe('detector shortcuts (own mode, timed intervals)', () => {
  it('give the same levels, history, sweeps and labels as the full pass on fresh copies', () => {
    fc.assert(fc.property(fc.array(pkt, { minLength: 1, maxLength: 400 }), fc.constantFrom([10, 20, 50, 100, 500], [3, 5, 8, 12, 20]),
      (list, hosts) => {
        const h = [...hosts];
        const evs = events(list);
        expect(verdicts(new MemoryDirectory(), evs, h)).toEqual(verdicts(new CopyingDirectory(), evs, h));
      }), { numRuns: 100 });
  });

  it('a slow sweep is still a sweep and reaches the destination-count levels', () => {
    // one SYN to port 22 on each of 60 hosts, one every 4 s: many intervals, each adding one destination
    const evs = Array.from({ length: 60 }, (_, i) => ev({ time: T0 + i * 4000, src: '198.51.100.9', dst: `203.0.113.${i + 1}`, dport: 22 }));
    const dir = new MemoryDirectory();
    const d = new Detector(rules(), dir, 'timed');
    for (const e of evs) d.ingest(e);
    d.finish();
    const s = dir.get('198.51.100.9')!;
    expect(s.dl).toBe(3);
    expect([...s.pairs.values()].every((p) => p.sweep)).toBe(true);
  });
});
