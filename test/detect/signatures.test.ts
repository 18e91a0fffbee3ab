// Signature matching through the per-port, per-flag and per-type indexes and the exact-value checks that reject most
// candidates early gives what testing every signature in full gives, for psad's own signature file, in both modes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newSigPacket } from '../../src/detect/signatures/match.ts';
import type { SigMatch, SigPacket } from '../../src/detect/signatures/match.ts';
import { ipv4Key } from '../../src/domain/int-table.ts';
import { rules, text } from './helpers.ts';

// values the bundled signatures ask for exactly, and others
const V4 = ['198.51.100.7', '203.0.113.1', '66.151.158.177', '216.80.99.202', '212.146.0.34', '232.1.2.3', '255.255.255.7', '10.0.0.1'];
const V6 = ['2001:db8::1', '2001:db8::2'];
// (with every fixed source port of a rule: rules keyed on one are looked up by it)
const PORTS = [0, 1, 21, 23, 80, 139, 445, 500, 1433, 2002, 2140, 2589, 3150, 3344, 3345, 3389, 4120, 5900, 6666, 6881, 8080, 10101, 12345,
  20432, 27374, 31337, 31789, 31790, 40000, 65535];
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

  it('wide-port rules (flag-keyed or not) are looked up by the exact source port some require, the others kept with each', () => {
    // any destination port: none goes to the per-port index; some are keyed by flags; most need one source port
    const file = [
      'alert tcp any any -> any any (msg:"A any"; ttl:64; sid:9001; psad_id:19001; psad_dl:2;)',
      'alert tcp any 20432 -> any any (msg:"B 20432"; sid:9002; psad_id:19002; psad_dl:3;)',
      'alert tcp any 1024: -> any any (msg:"C wide"; window:1024; sid:9003; psad_id:19003; psad_dl:2;)',
      'alert tcp any 31790 -> any any (msg:"D 31790"; ttl:64; sid:9004; psad_id:19004; psad_dl:2;)',
      'alert udp any 2140 -> any any (msg:"E 2140"; sid:9005; psad_id:19005; psad_dl:2;)',
      'alert udp any any -> any any (msg:"F any"; ttl:221; sid:9006; psad_id:19006; psad_dl:2;)',
      'alert tcp any 20432 -> any any (msg:"G 20432 too"; ttl:0; sid:9007; psad_id:19007; psad_dl:2;)',
      // keyed by their flags first, then by source port
      'alert tcp any 20432 -> any any (msg:"H SYN 20432"; flags:S; sid:9008; psad_id:19008; psad_dl:2;)',
      'alert tcp any any -> any any (msg:"I SYN any"; flags:S; ttl:64; sid:9009; psad_id:19009; psad_dl:2;)',
      'alert tcp any 10101 -> any any (msg:"J SYN 10101"; flags:S; window:1024; sid:9010; psad_id:19010; psad_dl:2;)',
      'alert tcp any 31790 -> any any (msg:"K FIN 31790"; flags:F; sid:9011; psad_id:19011; psad_dl:2;)',
      // enough source ports among the unkeyed tcp rules for a Map (the flag-keyed ones stay few)
      ...PORTS.slice(0, 17).map((port, i) => `alert tcp any ${port} -> any any (msg:"P${port}"; sid:${9100 + i}; psad_id:${19100 + i}; psad_dl:2;)`),
    ].join('\n');
    for (const compat of [true, false]) {
      const set = rules({ compat }, { signatures: text('signatures', `${file}\n`) }).signatures;
      let hits = 0;
      fc.assert(fc.property(packet, (x) => {
        const a: SigMatch[] = [];
        const b: SigMatch[] = [];
        const na = set.match(build(x), a);
        const nb = set.matchPlain(build({ ...x, numbers: false }), b);
        hits += nb;
        expect(sids(a, na)).toEqual(sids(b, nb));
      }), { numRuns: 3000 });
      expect(hits).toBeGreaterThan(300);
    }
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
