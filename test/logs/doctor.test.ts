// doctor against a network namespace with firewall rules this test creates (UFW-style limited LOG without TCP
// options, an nft log rule with all flags, an NFLOG rule), a log file with lines, errors and loss notices, capture
// capabilities and GeoIP files; and the CLI's exit status and JSON.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFirewall, firewallFindings } from '../../src/logs/doctor-firewall.ts';
import { checkCapture, checkGeo } from '../../src/logs/doctor-host.ts';
import { checkLogs } from '../../src/logs/doctor-logs.ts';
import { rulesFromIptablesSave, rulesFromNftJson, splitRule } from '../../src/logs/fw-rules.ts';
import { fwLine } from './helpers/lines.ts';

const NS = `pwlog-doc-${process.pid}`;
const EMPTY = `pwlog-doe-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'pwlog-doctor-'));
const ipx = (ns: string, ...a: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...a], { stdio: 'pipe' });
const hasTools = spawnSync('ip', ['-V']).status === 0 && spawnSync('nft', ['--version']).status === 0 && process.getuid?.() === 0;
if (!hasTools) process.stderr.write('SKIPPED doctor namespace tests: need root, iproute2 and nftables\n');

beforeAll(() => {
  if (!hasTools) return;
  for (const n of [NS, EMPTY]) {
    spawnSync('ip', ['netns', 'del', n]);
    execFileSync('ip', ['netns', 'add', n]);
  }
  ipx(NS, 'iptables', '-N', 'ufw-logging-deny');
  ipx(NS, 'iptables', '-A', 'ufw-logging-deny', '-m', 'limit', '--limit', '3/min', '--limit-burst', '10', '-j', 'LOG', '--log-prefix', '[UFW BLOCK] ');
  ipx(NS, 'ip6tables', '-A', 'INPUT', '-j', 'NFLOG', '--nflog-group', '5', '--nflog-prefix', 'v6 drop');
  ipx(NS, 'nft', 'add', 'table', 'inet', 'pwlogdoc');
  ipx(NS, 'nft', 'add chain inet pwlogdoc input { type filter hook input priority 0; }');
  ipx(NS, 'nft', 'add rule inet pwlogdoc input log prefix "pw drop " flags all');
});
afterAll(() => {
  if (hasTools) for (const n of [NS, EMPTY]) spawnSync('ip', ['netns', 'del', n]);
  rmSync(dir, { recursive: true, force: true });
});

describe('rule parsing', () => {
  it('splits quoted iptables-save words', () => {
    expect(splitRule('-A INPUT -j LOG --log-prefix "[UFW BLOCK] " --log-tcp-options')).toEqual(['-A', 'INPUT', '-j', 'LOG', '--log-prefix', '[UFW BLOCK] ', '--log-tcp-options']);
    expect(splitRule('-A X --comment "a \\"b\\"" -j LOG --log-prefix ""')).toEqual(['-A', 'X', '--comment', 'a "b"', '-j', 'LOG', '--log-prefix', '']);
  });
  it('reads limits, options and NFLOG groups; skips iptables-nft xt rules in nft JSON', () => {
    const r = rulesFromIptablesSave('*filter\n-A ufw-logging-deny -m limit --limit 3/min --limit-burst 10 -j LOG --log-prefix "[UFW BLOCK] "\n-A INPUT -j LOG --log-tcp-options --log-ip-options\n-A INPUT -j NFLOG --nflog-group 5\nCOMMIT\n', 'iptables');
    expect(r.map((x) => [x.kind, x.perMinute, x.tcpOptions, x.ufw, x.group])).toEqual([['LOG', 3, false, true, undefined], ['LOG', undefined, true, false, undefined], ['NFLOG', undefined, false, false, 5]]);
    const n = rulesFromNftJson({ nftables: [{ rule: { family: 'inet', table: 't', chain: 'c', expr: [{ limit: { rate: 5, per: 'second', burst: 10 } }, { log: { prefix: 'x', flags: 'tcp options' } }] } },
      { rule: { family: 'ip', table: 'filter', chain: 'INPUT', expr: [{ xt: { type: 'target', name: 'LOG' } }] } }, { rule: { family: 'inet', table: 't', chain: 'c', expr: [{ log: null }] } }] });
    expect(n.map((x) => [x.kind, x.perMinute, x.tcpOptions, x.prefix])).toEqual([['nft-log', 300, true, 'x'], ['nft-log', undefined, false, '']]);
  });
});

describe.skipIf(!hasTools)('doctor in a namespace', () => {
  it('reports the UFW-style limit, missing TCP options, NFLOG and the good nft rule', async () => {
    const f = await checkFirewall({ netns: NS });
    const ids = f.map((x) => `${x.severity}:${x.id}`);
    expect(ids).toContain('ok:fw.log-rules');
    expect(ids).toContain('warn:fw.rate-limited');
    expect(ids).toContain('warn:fw.no-tcp-options');
    expect(ids).toContain('info:fw.nflog');
    expect(ids).not.toContain('error:fw.no-log-rules');
    expect(ids).not.toContain('warn:fw.one-family'); // the inet table covers both
    const limited = f.find((x) => x.id === 'fw.rate-limited')!;
    expect(limited.title).toContain('3/min burst 10');
    expect(limited.title).toContain('UFW');
    expect(limited.fix).toMatch(/UFW/);
    const noOpt = f.filter((x) => x.id === 'fw.no-tcp-options');
    expect(noOpt).toHaveLength(1); // the nft rule has flags all
  });

  it('reports no rules at all as an error with the fix', async () => {
    const f = await checkFirewall({ netns: EMPTY });
    expect(f.map((x) => `${x.severity}:${x.id}`)).toEqual(['error:fw.no-log-rules']);
    expect(f[0]!.fix).toContain('--log-tcp-options');
  });
});

describe('doctor: logs, capture, GeoIP', () => {
  it('counts readable lines, errors and loss notices in a log file; a missing configured file is an error', async () => {
    const p = join(dir, 'kern.log');
    writeFileSync(p, [fwLine(1), fwLine(2), 'Nov 26 14:22:45 sensor kernel: net_ratelimit: 12 callbacks suppressed', fwLine(3).slice(0, 200),
      'Nov 26 14:22:46 sensor sshd[1]: hello', ''].join('\n'));
    const f = await checkLogs({ files: [p, join(dir, 'nope.log')], configured: true, journal: false, parserOptions: { timezone: 'UTC' }, now: () => Date.UTC(2026, 10, 26, 15) });
    const ids = f.map((x) => `${x.severity}:${x.id}`);
    expect(ids).toEqual(expect.arrayContaining(['ok:logs.lines', 'warn:logs.unreadable-lines', 'warn:logs.loss.callbacks-suppressed', 'error:logs.missing']));
    expect(f.find((x) => x.id === 'logs.lines')!.title).toContain('2 firewall lines');
    expect(f.find((x) => x.id === 'logs.unreadable-lines')!.title).toContain('truncated 1');
  });

  it('a log without firewall lines is a warning with the rsyslog fix', async () => {
    const p = join(dir, 'quiet.log');
    writeFileSync(p, 'Nov 26 14:22:46 sensor sshd[1]: hello\n');
    const f = await checkLogs({ files: [p], configured: true, journal: false });
    expect(f.map((x) => x.id)).toEqual(['logs.no-lines']);
    expect(f[0]!.fix).toContain('kern.*');
  });

  it('capture: without CAP_NET_RAW and with an unknown interface', async () => {
    const f = await checkCapture({ interfaces: ['pwlog-no-such0'], caps: 0n });
    const ids = f.map((x) => `${x.severity}:${x.id}`);
    expect(ids).toContain('error:capture.no-cap-net-raw');
    expect(ids.some((i) => i === 'error:capture.no-interface' || i === 'error:capture.no-libpcap')).toBe(true);
    expect((await checkCapture({ interfaces: [], caps: 1n << 13n })).map((x) => x.id)).toContain('capture.cap-net-raw');
  });

  it('GeoIP: reads the test databases, flags stale and unreadable ones, and none at all', async () => {
    const mm = fileURLToPath(new URL('../../fixtures/enrich/mmdb/', import.meta.url));
    const bad = join(dir, 'bad.mmdb');
    writeFileSync(bad, 'not a database');
    const f = await checkGeo({ files: [join(mm, 'GeoLite2-City-Test.mmdb'), join(mm, 'GeoLite2-ASN-Test.mmdb'), bad], now: () => Date.now(), staleDays: 100_000 });
    expect(f.map((x) => `${x.severity}:${x.id}`)).toEqual(['ok:geo.ok', 'ok:geo.ok', 'error:geo.unreadable']);
    const stale = await checkGeo({ files: [join(mm, 'GeoLite2-City-Test.mmdb')], staleDays: 0 });
    expect(stale.map((x) => x.id)).toEqual(['geo.stale', 'geo.no-asn']);
    const empty = mkdtempSync(join(dir, 'geo-'));
    expect((await checkGeo({ files: [], dirs: [empty, join(dir, 'absent')] })).map((x) => x.id)).toEqual(['geo.none']);
  });

  it('firewallFindings: unreadable listings are warnings telling to run as root', () => {
    const f = firewallFindings({ rules: [], read: [], failed: [{ cmd: 'iptables-save', message: 'Permission denied (you must be root)' }] });
    expect(f).toEqual([expect.objectContaining({ id: 'fw.unreadable', severity: 'warn' })]);
  });
});

describe.skipIf(!hasTools)('probewatch doctor (CLI)', () => {
  it('--json, exit 1 on errors; exit 0 when only warnings', () => {
    const cli = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
    const log = join(dir, 'cli.log');
    writeFileSync(log, `${fwLine(1)}\n`);
    const mm = fileURLToPath(new URL('../../fixtures/enrich/mmdb/GeoLite2-ASN-Test.mmdb', import.meta.url));
    const ok = spawnSync(process.execPath, ['--import', 'tsx', cli, 'doctor', '--netns', NS, '--log', log, '--mmdb', mm, '--json'], { encoding: 'utf8' });
    const doc = JSON.parse(ok.stdout) as { findings: { id: string; severity: string }[] };
    expect(doc.findings.some((f) => f.id === 'fw.rate-limited')).toBe(true);
    expect(doc.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(ok.status).toBe(0);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', cli, 'doctor', '--netns', EMPTY, '--log', log], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('no firewall rule logs packets');
    const usage = spawnSync(process.execPath, ['--import', 'tsx', cli, 'doctor', '--bogus'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
  });
});
