// psad's ENABLE_INTF_LOCAL_NETS (detect.intfLocalNets): the daemon commands take $HOME_NET from the interfaces, analyze does not.
import { networkInterfaces } from 'node:os';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadDetectRules } from '../../src/cli/detect-setup.ts';
import { localNetworks } from '../../src/cli/local-nets.ts';
import type { InterfaceTable } from '../../src/cli/local-nets.ts';
import { resolve } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { detector, ev, run } from '../detect/helpers.ts';

const v4 = (address: string, cidr: string): NetworkInterfaceInfo => ({ address, cidr, family: 'IPv4', netmask: '', mac: '00:00:00:00:00:00', internal: false });
const v6 = (address: string, cidr: string): NetworkInterfaceInfo => ({ address, cidr, family: 'IPv6', netmask: '', mac: '00:00:00:00:00:00', internal: false, scopeid: 0 });

const table: InterfaceTable = {
  lo: [v4('127.0.0.1', '127.0.0.1/8'), v6('::1', '::1/128')],
  eth0: [v4('203.0.113.7', '203.0.113.7/24'), v6('2001:db8:0:5::7', '2001:db8:0:5::7/64'), v6('fe80::1', 'fe80::1/64')],
  dummy0: [v4('192.0.2.1', '192.0.2.1/24')],
  eth1: [v4('198.51.100.130', '198.51.100.130/25'), v4('198.51.100.131', '198.51.100.131/25')],
};

describe('localNetworks', () => {
  it('lists each interface network once, as psad does: not lo, not dummy*, host bits cleared, IPv6 included', () => {
    expect(localNetworks(table)).toEqual(['203.0.113.0/24', '2001:db8:0:5::/64', 'fe80::/64', '198.51.100.128/25']);
  });

  it('reads this machine without failing (whatever it has)', () => {
    const nets = localNetworks();
    const expected = Object.entries(networkInterfaces()).filter(([n]) => n !== 'lo' && !/dummy/i.test(n)).flatMap(([, a]) => a ?? []).length;
    expect(nets.length).toBeLessThanOrEqual(expected);
    for (const n of nets) expect(n).toMatch(/^[0-9a-f.:]+\/\d+$/);
  });
});

/** The defaults with some detect settings changed. */
function withDetect(over: Partial<Config['detect']>): Config {
  const { config } = resolve([]);
  return { ...config, detect: { ...config.detect, ...over } };
}

describe('detect.intfLocalNets', () => {
  // psad signature 100001 (snort sid 1421) "SNMP AgentX/tcp request": tcp $EXTERNAL_NET any -> $HOME_NET 705, flags S
  const toLocal = ev({ src: '192.0.2.200', dst: '203.0.113.7', dport: 705 });
  const toOther = ev({ src: '192.0.2.201', dst: '198.18.0.9', dport: 705 });
  const sids = (daemon: boolean, over: Partial<Config['detect']> = {}): Map<string, number[]> => {
    const r = loadDetectRules(withDetect(over), { daemon, interfaces: table }).rules;
    const { d, dir } = detector(r);
    d.ingest(toLocal);
    d.ingest(toOther);
    d.finish();
    return new Map([...dir.sources.values()].map((s) => [s.ip, [...s.sigs.values()].map((h) => h.sid)]));
  };

  it('in follow/serve/ingest, $HOME_NET is the machine\'s networks: a signature to elsewhere does not fire', () => {
    const m = sids(true);
    expect(m.get('192.0.2.200')).toEqual([1421]);
    expect(m.get('192.0.2.201')).toEqual([]);
  });

  it('replaces a configured homeNet for signatures, and says so', () => {
    const loaded = loadDetectRules(withDetect({ homeNet: ['198.18.0.0/15'] }), { daemon: true, interfaces: table });
    expect(loaded.sources.localNets).toEqual(['203.0.113.0/24', '2001:db8:0:5::/64', 'fe80::/64', '198.51.100.128/25']);
    expect(loaded.sources.notes.join('\n')).toMatch(/detect\.homeNet \(198\.18\.0\.0\/15\) guards blocking only/);
  });

  it('leaves analyze, and daemons with the setting off, on homeNet ("any" fires for both)', () => {
    for (const m of [sids(false), sids(true, { intfLocalNets: false })]) {
      expect(m.get('192.0.2.200')).toEqual([1421]);
      expect(m.get('192.0.2.201')).toEqual([1421]);
    }
  });

  it('falls back to "any" on a machine with no networks but loopback', () => {
    const loaded = loadDetectRules(withDetect({}), { daemon: true, interfaces: { lo: table.lo } });
    expect(loaded.sources.localNets).toEqual(['any']);
    expect(run(loaded.rules, [toOther]).size).toBe(1);
  });
});
