// HOME_NET as psad.conf writes it: CIDR, dotted netmask, IPv6, comma lists, brackets, any/NOT_USED, coded errors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CidrSet } from '../../src/domain/address.ts';
import { isProbewatchError } from '../../src/domain/errors.ts';
import { homeNetText, parseHomeNet } from '../../src/domain/home-net.ts';
import { rules } from '../detect/helpers.ts';

const texts = (entries: string[]): string[] | null => parseHomeNet(entries, 'respond.homeNet')?.map((c) => c.text) ?? null;

function failure(entries: string[]): { code: string; message: string; detail: unknown } {
  try {
    parseHomeNet(entries, 'detect.homeNet');
  } catch (e) {
    if (isProbewatchError(e)) return { code: e.code, message: e.message, detail: e.detail };
    throw e;
  }
  throw new Error(`${JSON.stringify(entries)} was accepted`);
}

describe('parseHomeNet', () => {
  it('reads CIDR, dotted netmask, bare addresses and IPv6 networks, in lists and brackets', () => {
    expect(texts(['192.168.10.0/255.255.255.0'])).toEqual(['192.168.10.0/24']);
    expect(texts(['192.168.10.0/255.255.255.0, 10.0.0.0/8'])).toEqual(['192.168.10.0/24', '10.0.0.0/8']);
    expect(texts(['[192.168.10.0/255.255.255.0, 2001:DB8:aa::/48]'])).toEqual(['192.168.10.0/24', '2001:db8:aa::/48']);
    // psad.conf's importer splits at commas, leaving the brackets on the first and last parts
    expect(texts(['[192.168.10.0/255.255.254.0', '203.0.113.9]'])).toEqual(['192.168.10.0/23', '203.0.113.9/32']);
    expect(texts(['198.51.100.77/255.255.255.0'])).toEqual(['198.51.100.0/24']);
    expect(texts(['0.0.0.0/0.0.0.0'])).toEqual(['0.0.0.0/0']);
    expect(texts(['10.0.0.0/8', '10.0.0.0/255.0.0.0'])).toEqual(['10.0.0.0/8']);
  });

  it('treats empty, any and NOT_USED as no network, and skips them inside a list', () => {
    for (const none of [[], [''], ['any'], ['ANY'], ['NOT_USED'], ['not_used'], ['NOTUSED'], ['[any]'], [' , ']]) expect(texts(none), JSON.stringify(none)).toBeNull();
    expect(texts(['any, 10.0.0.0/8'])).toEqual(['10.0.0.0/8']);
    expect(homeNetText(['NOT_USED'], 'detect.homeNet')).toEqual(['any']);
    expect(homeNetText(['192.168.10.0/255.255.255.0'], 'detect.homeNet')).toEqual(['192.168.10.0/24']);
  });

  it('refuses a malformed entry with PW_ERR_HOME_NET naming the setting, the entry and what is wrong', () => {
    expect(failure(['192.168.10.0/255.0.255.0'])).toMatchObject({
      code: 'PW_ERR_HOME_NET', detail: { key: 'detect.homeNet', entry: '192.168.10.0/255.0.255.0' },
      message: expect.stringMatching(/^invalid HOME_NET entry "192\.168\.10\.0\/255\.0\.255\.0" in detect\.homeNet: netmask 255\.0\.255\.0 is not contiguous/),
    });
    expect(failure(['10.0.0.0/8, 192.168.10.0/33']).message).toMatch(/"192\.168\.10\.0\/33".*prefix length \/33 is longer than 32 bits/);
    expect(failure(['2001:db8::/129']).message).toMatch(/longer than 128 bits/);
    expect(failure(['2001:db8::/ffff:ffff::']).message).toMatch(/IPv6 network takes a prefix length/);
    expect(failure(['192.168.10.0/255.255.255']).message).toMatch(/"255\.255\.255" is neither a prefix length nor a dotted netmask/);
    expect(failure(['192.168.10.0/']).message).toMatch(/neither a prefix length nor a dotted netmask/);
    expect(failure(['CHANGEME']).message).toMatch(/"CHANGEME" is not an IPv4 or IPv6 address/);
    expect(failure(['192.168.300.0/24']).message).toMatch(/not an IPv4 or IPv6 address/);
  });

  it('a dotted netmask means the same network as its prefix length, for every length', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), (n, len) => {
      const ip = [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
      const maskN = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
      const mask = [24, 16, 8, 0].map((s) => (maskN >>> s) & 255).join('.');
      const a = parseHomeNet([`${ip}/${mask}`], 'k')!;
      expect(a.map((c) => c.text)).toEqual(parseHomeNet([`${ip}/${len}`], 'k')!.map((c) => c.text));
      expect(new CidrSet(a).has(ip)).toBe(true);
    }), { numRuns: 500 });
  });

  it('never crashes on arbitrary text: a list of networks or PW_ERR_HOME_NET', () => {
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 60 }), { maxLength: 4 }), (entries) => {
      try {
        const r = parseHomeNet(entries, 'k');
        expect(r === null || r.length > 0).toBe(true);
      } catch (e) {
        expect(isProbewatchError(e) && e.code === 'PW_ERR_HOME_NET').toBe(true);
      }
    }), { numRuns: 2000 });
  });

  it('detection reads HOME_NET the same way (netmask form, NOT_USED) and names detect.homeNet in errors', () => {
    expect(rules({ homeNet: ['192.168.10.0/255.255.255.0, 2001:db8:aa::/48'] }).homeNet?.map((c) => c.text)).toEqual(['192.168.10.0/24', '2001:db8:aa::/48']);
    expect(rules({ homeNet: ['NOT_USED'] }).homeNet).toBeNull();
    expect(() => rules({ homeNet: ['192.168.10.0/255.0.255.0'] })).toThrow(expect.objectContaining({ code: 'PW_ERR_HOME_NET', detail: expect.objectContaining({ key: 'detect.homeNet' }) }));
  });
});
