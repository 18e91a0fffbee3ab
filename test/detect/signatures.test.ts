// Signature matching through the per-port, per-flag and per-type indexes and the exact-value checks that reject most
// candidates early gives what testing every signature in full gives, for psad's own signature file, in both modes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newSigPacket } from '../../src/detect/signatures/match.ts';
import type { SigMatch, SigPacket } from '../../src/detect/signatures/match.ts';
import { ipv4Key } from '../../src/domain/int-table.ts';
import { rules } from './helpers.ts';

// values the bundled signatures ask for exactly, and others
const V4 = ['198.51.100.7', '203.0.113.1', '66.151.158.177', '216.80.99.202', '212.146.0.34', '232.1.2.3', '255.255.255.7', '10.0.0.1'];
const V6 = ['2001:db8::1', '2001:db8::2'];
const PORTS = [0, 1, 21, 23, 80, 139, 445, 1433, 2589, 3389, 5900, 6666, 6881, 8080, 10101, 12345, 20432, 27374, 31337, 31789, 31790, 40000, 65535];
const FLAGS = [0x02, 0x01, 0x29, 0x00, 0x03, 0x12, 0x10, 0x04, 0x3f, 0x2b];
const FLAG_TEXT: Record<number, string> = { 2: 'SYN', 1: 'FIN', 41: 'URG PSH FIN', 0: 'NULL', 3: 'SYN FIN', 18: 'ACK SYN', 16: 'ACK', 4: 'RST', 63: 'URG ACK PSH RST SYN FIN', 43: 'URG PSH SYN FIN' };

const packet = fc.record({
  v6: fc.boolean(), src: fc.constantFrom(...V4), dst: fc.constantFrom(...V4), proto: fc.constantFrom('tcp', 'udp', 'icmp', 'icmp6', '47'),
  // (a packet without a destination port, dp -1, is left out: the per-port index never offers it the narrow-port rules,
  // while the full test would read it as port 0)
  sp: fc.constantFrom(...PORTS, -1), dp: fc.constantFrom(...PORTS), flags: fc.constantFrom(...FLAGS), ttl: fc.constantFrom(0, 64, 221, 255),
  id: fc.constantFrom(0, 413, 39426, 1234), window: fc.constantFrom(0, 1024, 55808, -1), seq: fc.constantFrom(0, 6060842, 1958810375, 5),
  len: fc.constantFrom(28, 44, 60, 120, 1500), itype: fc.integer({ min: 0, max: 20 }), icode: fc.integer({ min: 0, max: 5 }),
  ipOpts: fc.constantFrom('', '', '8307', '890B', '0000'), sameip: fc.boolean(), numbers: fc.boolean(),
});

function build(x: { v6: boolean; src: string; dst: string; proto: string; sp: number; dp: number; flags: number; ttl: number; id: number;
  window: number; seq: number; len: number; itype: number; icode: number; ipOpts: string; sameip: boolean; numbers: boolean }): SigPacket {
  const p = newSigPacket();
  p.family = x.v6 ? 6 : 4;
  p.src = x.v6 ? V6[0]! : x.src;
  p.dst = x.v6 ? (x.sameip ? V6[0]! : V6[1]!) : x.sameip ? x.src : x.dst;
  p.proto = x.proto;
  p.sp = x.sp;
  p.dp = x.dp;
  p.flags = x.flags;
  p.flagsText = FLAG_TEXT[x.flags]!;
  p.ttl = x.ttl;
  p.ipId = x.id;
  p.window = x.window;
  p.tcpSeq = x.seq;
  p.ipLen = x.len;
  p.udpLen = x.len - 20;
  p.itype = x.itype;
  p.icode = x.icode;
  p.ipOpts = x.ipOpts;
  p.intf = 'eth0';
  // the engine hands IPv4 addresses over as numbers when it has them (and leaves the text empty then)
  if (!x.v6 && x.numbers) {
    p._src4 = ipv4Key(p.src);
    p._dst4 = ipv4Key(p.dst);
    p.src = '';
    p.dst = '';
  }
  return p;
}

const sids = (out: SigMatch[], n: number): number[] => out.slice(0, n).map((m) => m.sig.sid).sort((a, b) => a - b);

describe('signature matching', () => {
  it('the indexes and exact-value checks give what testing every signature gives', () => {
    const sets = [rules({ compat: true }).signatures, rules({ compat: false }).signatures];
    let hits = 0;
    fc.assert(fc.property(packet, fc.boolean(), (x, compat) => {
      const set = sets[compat ? 0 : 1]!;
      const a: SigMatch[] = [];
      const b: SigMatch[] = [];
      const na = set.match(build(x), a);
      const nb = set.matchPlain(build({ ...x, numbers: false }), b);
      hits += nb;
      expect(sids(a, na)).toEqual(sids(b, nb));
    }), { numRuns: 4000 });
    // enough of them matched something (the comparison is not only between empty results)
    expect(hits).toBeGreaterThan(400);
  });

  it('rules keyed by flags follow the text psad compares even when it is not the mask\'s own (the per-mask memo)', () => {
    const set = rules({ compat: true }).signatures;
    fc.assert(fc.property(packet, fc.constantFrom(...FLAGS), (x, textOf) => {
      const p = build({ ...x, proto: 'tcp' });
      p.flagsText = FLAG_TEXT[textOf]!;
      const q = build({ ...x, proto: 'tcp', numbers: false });
      q.flagsText = p.flagsText;
      const a: SigMatch[] = [];
      const b: SigMatch[] = [];
      expect(sids(a, set.match(p, a))).toEqual(sids(b, set.matchPlain(q, b)));
    }), { numRuns: 1500 });
  });
});
