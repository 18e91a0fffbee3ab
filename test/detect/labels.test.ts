// Own mode's labelling skips a pair seen as at its last labelling (labelStamp): after any change to what labelPair
// reads, the labels, tags and "changed" answer are those of a labelling that never skips.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { labelPair } from '../../src/detect/labels.ts';
import { exportSource } from '../../src/domain/scan-table-io.ts';
import { P_BITS, P_FLAG, P_LSTAMP, P_WPROTOS, PB_MARKS_SHIFT, PB_SWEEP, PB_UDP, PW, ScanTable } from '../../src/domain/scan-table.ts';
import { rules } from './helpers.ts';

/** One change to what labelPair reads of the pair. */
type Change =
  | { kind: 'bit'; bit: number }
  | { kind: 'mark'; mark: number }
  | { kind: 'flag'; mask: number }
  | { kind: 'flagMore'; name: string }
  | { kind: 'proto'; bit: number }
  | { kind: 'protoName'; name: string }
  | { kind: 'none' };

const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ kind: fc.constant('bit' as const), bit: fc.constantFrom(PB_SWEEP, PB_UDP) }),
  fc.record({ kind: fc.constant('mark' as const), mark: fc.integer({ min: 0, max: 7 }) }),
  // SYN, FIN, URG PSH FIN, NULL, ACK and one without an nmap option
  fc.record({ kind: fc.constant('flag' as const), mask: fc.constantFrom(0x02, 0x01, 0x29, 0, 0x10, 0x18) }),
  fc.record({ kind: fc.constant('flagMore' as const), name: fc.constantFrom('SYN', 'FIN', 'ACK') }),
  fc.record({ kind: fc.constant('proto' as const), bit: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ kind: fc.constant('protoName' as const), name: fc.constantFrom('gre', 'esp', 'sctp') }),
  fc.constant({ kind: 'none' as const }),
);

/** A table with one source and one pair (ids s, p). */
function table(): { t: ScanTable; s: number; p: number } {
  const t = new ScanTable();
  const s = t.addSource('198.51.100.7', 4, 0, -1);
  const p = t.addPair(s, t.dstId('203.0.113.9', -1), 0);
  return { t, s, p };
}

function apply(t: ScanTable, p: number, c: Change): void {
  const o = p * PW;
  switch (c.kind) {
    case 'bit': t.pi[o + P_BITS]! |= c.bit; break;
    case 'mark': t.pi[o + P_BITS]! |= c.mark << PB_MARKS_SHIFT; break;
    case 'flag': if (t.pi[o + P_FLAG] === 0) t.pi[o + P_FLAG] = t.flags.id(c.mask === 0 ? 'NULL' : flagText(c.mask)) + 1; break;
    case 'flagMore': { const x = t.extra(p); (x.flagMore ??= {})[c.name] = 1; break; }
    case 'proto': t.pi[o + P_WPROTOS]! |= 1 << c.bit; break;
    case 'protoName': { const x = t.extra(p); if (!(x.wprotos ??= []).includes(c.name)) x.wprotos.push(c.name); break; }
    case 'none': break;
  }
}

function flagText(mask: number): string {
  const names: [number, string][] = [[0x20, 'URG'], [0x10, 'ACK'], [0x08, 'PSH'], [0x04, 'RST'], [0x02, 'SYN'], [0x01, 'FIN']];
  return names.filter(([b]) => (mask & b) !== 0).map(([, n]) => n).join(' ');
}

describe('own-mode labelling with the label stamp', () => {
  it('gives the labels, tags and answers of a labelling that never skips', () => {
    const o = rules({ protocolScanThreshold: 3 }).opts;
    fc.assert(fc.property(fc.array(change, { minLength: 1, maxLength: 12 }), (changes) => {
      const a = table();
      const b = table();
      for (const c of changes) {
        apply(a.t, a.p, c);
        apply(b.t, b.p, c);
        // b forgets its stamp every time: it never skips
        b.t.pi[b.p * PW + P_LSTAMP] = 0;
        expect(labelPair(a.t, a.s, a.p, o)).toBe(labelPair(b.t, b.s, b.p, o));
        const ea = exportSource(a.t, a.s);
        const eb = exportSource(b.t, b.s);
        expect([...ea.pairs.values()][0]!.scanTypes).toEqual([...eb.pairs.values()][0]!.scanTypes);
        expect(ea.tags).toEqual(eb.tags);
      }
    }), { numRuns: 400 });
  });

  it('skips a pair labelled before and seen the same way', () => {
    const o = rules().opts;
    const { t, s, p } = table();
    t.pi[p * PW + P_FLAG] = t.flags.id('SYN') + 1;
    expect(labelPair(t, s, p, o)).toBe(true);
    expect(t.pi[p * PW + P_LSTAMP]).not.toBe(0);
    expect(labelPair(t, s, p, o)).toBe(false);
    t.pi[p * PW + P_BITS]! |= PB_SWEEP;
    expect(labelPair(t, s, p, o)).toBe(true);
    expect([...exportSource(t, s).pairs.values()][0]!.scanTypes).toEqual(['Nmap -sT or -sS scan', 'Port sweep SYN scan']);
  });
});
