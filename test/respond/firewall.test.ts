// Real blocking in network namespaces: nftables, ipset and iptables backends, IPv4 and IPv6 alike — traffic passes
// before, is dropped while blocked, passes after expiry; a firewall reload is repaired; a restart restores blocks;
// never-block addresses are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../src/domain/clock.ts';
import type { Clock } from '../../src/domain/clock.ts';
import { Blocker } from '../../src/respond/blocker.ts';
import type { FirewallBackend } from '../../src/respond/firewall/backend.ts';
import { IpsetBackend } from '../../src/respond/firewall/ipset.ts';
import { IptablesBackend } from '../../src/respond/firewall/iptables.ts';
import { NftablesBackend } from '../../src/respond/firewall/nftables.ts';
import { NeverBlock } from '../../src/respond/never-block.ts';
import { ATTACKER4, ATTACKER6, TestNet, VICTIM, canUseNetns } from './helpers/netns.ts';
import { TestStore } from './helpers/store.ts';

if (!canUseNetns()) throw new Error('these tests need root and iproute2 (ip netns): CI runs as root with the tools installed');

const net = new TestNet('fw');
const stores: TestStore[] = [];
beforeAll(async () => { await net.create(); }, 30_000);
afterAll(() => {
  net.destroySync();
  for (const s of stores) s.remove();
});

const guard = (): NeverBlock => new NeverBlock({ allowlist: [ATTACKER4[1], `${ATTACKER6[1]}/128`], homeNet: ['203.0.113.0/24'], localAddresses: () => [VICTIM.v4, VICTIM.v6, '127.0.0.1', '::1'] });

function blocker(backend: FirewallBackend, store: TestStore, clock: Clock = systemClock): Blocker {
  return new Blocker({ backend, blocks: store.blocks, log: store.log, guard: guard(), clock });
}

const both = async (): Promise<[boolean, boolean]> => Promise.all([net.reach(ATTACKER4[0]), net.reach(ATTACKER6[0])]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Simulates `systemctl reload` of a firewall that does not know about probewatch: everything of ours is gone. */
function reloadFirewall(kind: string): void {
  if (kind === 'nftables') net.inVictim(['nft', 'flush', 'ruleset']);
  if (kind === 'ipset' || kind === 'iptables') {
    for (const t of ['iptables', 'ip6tables']) {
      net.inVictim([t, '-w', '-F']);
      net.inVictim([t, '-w', '-X']);
    }
    if (kind === 'ipset') net.inVictim(['ipset', 'destroy']);
  }
}

const BACKENDS: [string, () => FirewallBackend][] = [
  ['nftables', () => new NftablesBackend(net.runner, 'pwtest')],
  ['ipset', () => new IpsetBackend(net.runner, 'pwtest')],
  ['iptables', () => new IptablesBackend(net.runner, 'PWTEST')],
];

describe.each(BACKENDS)('%s backend in a network namespace', (kind, make) => {
  it('drops IPv4 and IPv6 traffic while blocked and lets it through after expiry', async () => {
    const store = new TestStore();
    stores.push(store);
    const b = blocker(make(), store);
    expect(await both()).toEqual([true, true]);
    await b.block(ATTACKER4[0], 2, { reason: 'test', origin: 'cli', level: 3 });
    await b.block(ATTACKER6[0], 2, { reason: 'test', origin: 'cli', level: 3 });
    expect(await both()).toEqual([false, false]);
    // an unrelated address from the same attacker host still gets through: only the blocked source is dropped
    expect(await net.reach(ATTACKER4[1])).toBe(true);
    await sleep(2300);
    // nftables and ipset expire entries in the kernel; iptables needs the reconcile pass serve runs periodically
    const backend = make();
    expect(await both()).toEqual(backend.kernelTimeouts ? [true, true] : [false, false]);
    const rep = await b.reconcile();
    expect(rep.expired.sort()).toEqual([ATTACKER4[0], ATTACKER6[0]].sort());
    expect(await both()).toEqual([true, true]);
    expect(b.list()).toEqual([]);
    const kinds = store.log.recent(ATTACKER4[0], 10).map((e) => e.kind);
    expect(kinds).toEqual(['expire', 'block']);
    await make().teardown();
  }, 30_000);

  it('re-applies blocks lost to a firewall reload, and restores them after a restart', async () => {
    const store = new TestStore();
    stores.push(store);
    let b = blocker(make(), store);
    await b.block(ATTACKER4[0], 0, { reason: 'permanent', origin: 'cli', level: 5 });
    await b.block(ATTACKER6[0], 3600, { reason: 'an hour', origin: 'cli', level: 4 });
    expect(await both()).toEqual([false, false]);
    reloadFirewall(kind);
    expect(await both()).toEqual([true, true]);
    const rep = await b.reconcile();
    expect(rep.rebuilt).toBe(true);
    expect(rep.reapplied.sort()).toEqual([ATTACKER4[0], ATTACKER6[0]].sort());
    expect(await both()).toEqual([false, false]);

    // restart: firewall gone (reboot), store reopened, a fresh blocker restores from the store
    reloadFirewall(kind);
    store.reopen();
    b = blocker(make(), store);
    expect((await b.reconcile()).reapplied).toHaveLength(2);
    expect(await both()).toEqual([false, false]);
    const six = b.get(ATTACKER6[0])!;
    expect(six.expiresAt! - six.createdAt).toBe(3600_000);

    // an entry the store does not know (another tool, an unblock elsewhere) is removed as stray
    await b.unblock(ATTACKER6[0], 'cli');
    await make().add(ATTACKER6[0], 6, null);
    expect((await b.reconcile()).removed).toEqual([ATTACKER6[0]]);
    expect(await both()).toEqual([false, true]);
    await b.unblock(ATTACKER4[0], 'cli');
    expect(await both()).toEqual([true, true]);
    await make().teardown();
  }, 30_000);
});

describe('never-block list', () => {
  it('refuses local, loopback, unspecified, link-local, HOME_NET and allowlisted addresses, and logs why', async () => {
    const store = new TestStore();
    stores.push(store);
    const b = blocker(new NftablesBackend(net.runner, 'pwtest'), store, new ManualClock(1_000_000));
    const refused: [string, RegExp][] = [
      [VICTIM.v4, /address of this machine/], [VICTIM.v6, /address of this machine/], ['127.0.0.1', /loopback/], ['127.1.2.3', /loopback/],
      ['::1', /loopback/], ['0.0.0.0', /unspecified/], ['::', /unspecified/], ['fe80::1', /link-local/], ['::ffff:127.0.0.1', /loopback/],
      [ATTACKER4[1], /allowlisted/], [ATTACKER6[1], /allowlisted/], ['203.0.113.9', /HOME_NET/], ['224.0.0.1', /multicast/],
    ];
    for (const [ip, why] of refused) {
      await expect(b.block(ip, 60, { reason: 't', origin: 'api' })).rejects.toMatchObject({ code: 'PW_ERR_BLOCK_REFUSED', message: expect.stringMatching(why) as unknown });
    }
    await expect(b.block('not-an-ip', 60, { reason: 't', origin: 'api' })).rejects.toMatchObject({ code: 'PW_ERR_INVALID_ADDRESS' });
    expect(b.list()).toEqual([]);
    expect((await net.runner(['nft', 'list', 'table', 'inet', 'pwtest'])).code).not.toBe(0);
    expect(store.log.recent('127.0.0.1', 1)[0]).toMatchObject({ kind: 'refuse', ok: false });
    expect(await net.reach(ATTACKER4[1])).toBe(true);
  });
});
