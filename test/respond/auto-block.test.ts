// Automatic blocking and the block commands for real, in network namespaces: detection notices make the service block
// (and never block allowlisted or local sources whatever their level); dry-run touches nothing; the CLI acts on the
// firewall with or without serve, and a running service picks its changes up through the shared store.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, resolve } from '../../src/config/load.ts';
import { importPsadConf } from '../../src/config/psad-conf.ts';
import type { Config } from '../../src/config/schema.ts';
import { createResponseService } from '../../src/respond/create.ts';
import { ATTACKER4, ATTACKER6, TestNet, VICTIM, canUseNetns } from './helpers/netns.ts';
import { notice } from './helpers/notices.ts';
import { TestStore } from './helpers/store.ts';

if (!canUseNetns()) throw new Error('these tests need root and iproute2 (ip netns): CI runs as root with the tools installed');

const net = new TestNet('auto');
const stores: TestStore[] = [];
const dirs: string[] = [];
beforeAll(async () => { await net.create(); }, 30_000);
afterAll(() => {
  net.destroySync();
  for (const s of stores) s.remove();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const BIN = join(import.meta.dirname, '../../bin/probewatch.js');
const STOCK_PSAD_CONF = join(import.meta.dirname, '../../fixtures/psad/psad.conf');
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', net.victim, process.execPath, BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

function cfg(over: Partial<Config['respond']> = {}): Config['respond'] {
  return {
    ...loadConfig({ env: {} }).config.respond, syslogTarget: '', blockBackend: 'nftables', nftTable: 'pwauto',
    autoIds: true, autoIdsDangerLevel: 3, autoBlockDl3Timeout: 2, autoBlockDl4Timeout: 3600, allowlist: [ATTACKER4[1], ATTACKER6[1]], ...over,
  };
}

async function service(over: Partial<Config['respond']> = {}, store = new TestStore()) {
  stores.push(store);
  const svc = await createResponseService(cfg(over), { blocks: store.blocks, log: store.log }, { runner: net.runner, localAddresses: () => [VICTIM.v4, VICTIM.v6] });
  return { svc, store };
}

describe('automatic blocking', () => {
  it('blocks sources reaching AUTO_IDS_DANGER_LEVEL for their level\'s timeout, IPv4 and IPv6, and never the never-block ones', async () => {
    const { svc, store } = await service();
    await svc.start();
    // warm the neighbour caches: once 2001:db8:1::2 is blocked, neighbour solicitations the attacker host sends from
    // that address are dropped too, which would also cut off its allowlisted sibling address
    expect(await Promise.all([...ATTACKER4, ...ATTACKER6].map((a) => net.reach(a)))).toEqual([true, true, true, true]);
    await svc.handle(notice(ATTACKER4[0], 2));
    expect(await net.reach(ATTACKER4[0])).toBe(true);
    await Promise.all([svc.handle(notice(ATTACKER4[0], 3, undefined, 2)), svc.handle(notice(ATTACKER6[0], 4)),
      svc.handle(notice(ATTACKER4[1], 5)), svc.handle(notice(ATTACKER6[1], 5)), svc.handle(notice(VICTIM.v4, 5)), svc.handle(notice('127.0.0.1', 5))]);
    expect(await Promise.all([net.reach(ATTACKER4[0]), net.reach(ATTACKER6[0]), net.reach(ATTACKER4[1]), net.reach(ATTACKER6[1])])).toEqual([false, false, true, true]);
    expect(svc.blocks().map((b) => [b.ip, b.level, b.origin, b.expiresAt! - b.createdAt])).toEqual([[ATTACKER4[0], 3, 'auto', 2000], [ATTACKER6[0], 4, 'auto', 3_600_000]]);
    expect(store.log.recent(ATTACKER4[1], 5).find((e) => e.kind === 'refuse')?.detail.reason).toMatch(/allowlisted/);
    expect(store.log.recent(VICTIM.v4, 5).find((e) => e.kind === 'refuse')?.detail.reason).toMatch(/address of this machine/);
    expect(store.log.profileState(ATTACKER6[0]).blockedUntil).toMatch(/^\d{4}-/);
    // the DL3 block expires on time; the DL4 one stays
    await new Promise((r) => setTimeout(r, 2300));
    await svc.reconcile();
    expect(await Promise.all([net.reach(ATTACKER4[0]), net.reach(ATTACKER6[0])])).toEqual([true, false]);
    await svc.unblock(ATTACKER6[0], 'api');
    expect(await net.reach(ATTACKER6[0])).toBe(true);
    await svc.stop();
  }, 30_000);

  it('dry-run decides and records but changes neither the firewall nor the stored blocks', async () => {
    net.inVictim(['nft', 'flush', 'ruleset']);
    const { svc, store } = await service({ dryRun: true, nftTable: 'pwdry' });
    await svc.handle(notice(ATTACKER4[0], 5));
    expect(await net.reach(ATTACKER4[0])).toBe(true);
    expect(store.blocks.list()).toEqual([]);
    expect(store.log.recent(ATTACKER4[0], 1)[0]).toMatchObject({ kind: 'block', channel: 'dry-run', detail: { dryRun: true } });
    expect((await net.runner(['nft', 'list', 'table', 'inet', 'pwdry'])).code).not.toBe(0);
    await svc.stop();
  });
});

describe('probewatch block / unblock / blocks', () => {
  it('act on the firewall directly, refuse never-block addresses, and a running service follows the store', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pwrsp-cli-'));
    dirs.push(dataDir);
    const env = ['--data-dir', dataDir];
    const b = await cli(['block', ATTACKER4[0], '--for', '10m', ...env]);
    expect(b).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^blocked ${ATTACKER4[0]} for 10m \\(until .*\\) \\(nftables\\)`)) as unknown });
    expect(await net.reach(ATTACKER4[0])).toBe(false);
    const v6 = await cli(['block', ATTACKER6[0], '--for', '0', ...env]);
    expect(v6.stdout).toContain('permanently');
    expect(await net.reach(ATTACKER6[0])).toBe(false);
    const refused = await cli(['block', VICTIM.v4, ...env]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/refusing to block 192\.0\.2\.1: 192\.0\.2\.1 is an address of this machine/);
    expect((await cli(['block', 'bogus', ...env])).code).toBe(2);
    const dry = await cli(['block', ATTACKER4[1], '--dry-run', ...env]);
    expect(dry.stdout).toMatch(/^dry run: would block/);
    expect(await net.reach(ATTACKER4[1])).toBe(true);

    // serve (here: the service on the same store) keeps the CLI's blocks and repairs them after a firewall reload
    const store = new TestStore();
    store.db.close();
    Object.assign(store, { dir: dataDir });
    store.reopen();
    const { svc } = await service({ nftTable: 'probewatch' }, store);
    expect((await svc.start()).removed).toEqual([]);
    net.inVictim(['nft', 'flush', 'ruleset']);
    expect(await net.reach(ATTACKER4[0])).toBe(true);
    expect((await svc.reconcile()).reapplied.sort()).toEqual([ATTACKER4[0], ATTACKER6[0]].sort());
    expect(await net.reach(ATTACKER4[0])).toBe(false);

    const list = await cli(['blocks', '--json', ...env]);
    expect((JSON.parse(list.stdout) as { ip: string; inFirewall: boolean; expiresAt: string | null }[]).map((r) => [r.ip, r.inFirewall, r.expiresAt === null])).toEqual([[ATTACKER4[0], true, false], [ATTACKER6[0], true, true]]);
    const un = await cli(['unblock', ATTACKER4[0], ...env]);
    expect(un).toMatchObject({ code: 0, stdout: `unblocked ${ATTACKER4[0]} (nftables)\n` });
    expect(await net.reach(ATTACKER4[0])).toBe(true);
    expect((await svc.reconcile()).reapplied).toEqual([]);
    expect(await net.reach(ATTACKER4[0])).toBe(true);
    expect((await cli(['unblock', ATTACKER4[0], ...env])).code).toBe(1);
    await svc.stop();
  }, 90_000);
});

describe('HOME_NET in psad\'s netmask form', () => {
  it('is never blocked, automatically or by the block command, while addresses outside it are', async () => {
    net.inVictim(['nft', 'flush', 'ruleset']); // the tests above leave blocks behind
    const dir = mkdtempSync(join(tmpdir(), 'pwrsp-home-'));
    dirs.push(dir);
    // psad.conf allows a dotted netmask and comma lists, in Snort brackets as its other address variables; ATTACKER4
    // are 192.0.2.2 and .3, i.e. 192.0.2.2/31
    const conf = join(dir, 'psad.conf');
    writeFileSync(conf, `HOME_NET [192.0.2.2/255.255.255.254, ${ATTACKER6[1]}/128];\nHOSTNAME fw-test;\n`);
    const psad = resolve(importPsadConf(STOCK_PSAD_CONF, [conf]).layers).config;
    expect(psad.detect.homeNet).toEqual(['[192.0.2.2/255.255.255.254', `${ATTACKER6[1]}/128]`]);
    const store = new TestStore();
    stores.push(store);
    // as serve wires it: respond's own HOME_NET plus detection's
    const svc = await createResponseService({ ...cfg({ nftTable: 'pwhome', allowlist: [] }), homeNet: psad.respond.homeNet }, { blocks: store.blocks, log: store.log },
      { runner: net.runner, localAddresses: () => [VICTIM.v4, VICTIM.v6], homeNet: psad.detect.homeNet });
    await svc.start();
    expect(await Promise.all([...ATTACKER4, ...ATTACKER6].map((a) => net.reach(a)))).toEqual([true, true, true, true]);
    await Promise.all([...ATTACKER4, ...ATTACKER6].map((a) => svc.handle(notice(a, 5))));
    expect(svc.blocks().map((b) => b.ip)).toEqual([ATTACKER6[0]]);
    expect(await Promise.all([net.reach(ATTACKER4[0]), net.reach(ATTACKER4[1]), net.reach(ATTACKER6[0])])).toEqual([true, true, false]);
    expect(store.log.recent(ATTACKER4[0], 5).find((e) => e.kind === 'refuse')?.detail.reason).toBe(`${ATTACKER4[0]} is in HOME_NET (192.0.2.2/31)`);
    expect(store.log.recent(ATTACKER6[1], 5).find((e) => e.kind === 'refuse')?.detail.reason).toMatch(/is in HOME_NET/);
    await svc.unblock(ATTACKER6[0], 'api');
    await svc.stop();

    // the block command reads the same psad.conf: exit 3, nothing in the firewall
    const env = ['--data-dir', join(dir, 'data'), '--psad-conf', conf];
    const refused = await cli(['block', ATTACKER4[1], ...env]);
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toContain(`refusing to block ${ATTACKER4[1]}: ${ATTACKER4[1]} is in HOME_NET (192.0.2.2/31)`);
    expect(await net.reach(ATTACKER4[1])).toBe(true);
    // a malformed entry stops the command with the coded error instead of leaving the network unprotected
    writeFileSync(conf, 'HOME_NET 192.0.2.2/255.255.0.255;\n');
    const bad = await cli(['block', ATTACKER4[1], ...env]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid HOME_NET entry "192\.0\.2\.2\/255\.255\.0\.255" in (detect|respond)\.homeNet: netmask 255\.255\.0\.255 is not contiguous/);
  }, 60_000);
});

