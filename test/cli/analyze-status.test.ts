// analyze and status end to end: the report, the JSON document and its profile fields, malformed input, exit codes
// (0 read, 1 unreadable, 2 configuration), stdin, --data-dir state read back by status with working filters.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { openStore } from '../../src/store/db.ts';
import { EnrichStateRepo } from '../../src/store/enrich-state.ts';

const tmp = mkdtempSync(join(tmpdir(), 'pw-cli-'));
afterAll(() => { rmSync(tmp, { recursive: true, force: true }); });
const CASES = new URL('../../fixtures/cases/', import.meta.url).pathname;
const STOCK = new URL('../../fixtures/psad/psad.conf', import.meta.url).pathname;
const BIN = new URL('../../bin/probewatch.js', import.meta.url).pathname;
const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

/** Runs the CLI in-process, capturing stdout and stderr. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => { out += String(s); return true; });
  process.stderr.write = ((s: string | Uint8Array) => { err += String(s); return true; });
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}

const c1 = join(CASES, 'c1-nmap-stock', 'input.log.gz');
const synLog = join(tmp, 'syn.log');
writeFileSync(synLog, gunzipSync(readFileSync(join(CASES, 'psad-syn_scan_1000_1500', 'input.log.gz'))));

describe('probewatch analyze', () => {
  it('prints a psad -A style report in compatibility mode', async () => {
    const r = await cli('analyze', '--psad-conf', STOCK, '--no-progress', synLog);
    expect(r.code).toBe(0);
    expect(r.out).toContain('psad compatibility mode');
    expect(r.out).toMatch(/Level 3: 1 IP addresses/);
    expect(r.out).toMatch(/192\.168\.10\.55 +DL: 3, Packets: 1002, Sig count: 8/);
    expect(r.out).toContain('Scan types: Nmap -sT or -sS scan');
    expect(r.out).toContain('Signature match: "MISC Microsoft SQL Server communication attempt"');
    expect(r.out).toContain('Scanned ports: TCP 1000-1500');
    expect(r.out).toMatch(/\[\+\] Scan types \(sources at level 1 and above, top 1\):\n {6}Nmap -sT or -sS scan: 1 source\n/);
    expect(r.out).toMatch(/\[\+\] Chains and interfaces \(packets from sources at [^)]*\):\n {6}Chain: INPUT, Intf: eth1: 1002 pkts\n/);
  });

  it('--json gives one document with full profiles, totals and errors', async () => {
    const r = await cli('analyze', '--json', c1);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { sources: Record<string, unknown>[]; totals: Record<string, unknown>; errors: Record<string, unknown> };
    expect(doc.sources.length).toBe(49);
    const top = doc.sources[0]!;
    for (const k of ['ip', 'dangerLevel', 'packets', 'destinations', 'protocols', 'scanTypes', 'signatures', 'firstSeen', 'lastSeen']) {
      expect(top, k).toHaveProperty(k);
    }
    expect(top).toMatchObject({ ip: '203.0.113.17', dangerLevel: 4, family: 4 });
    const v6 = doc.sources.find((s) => s.family === 6)!;
    expect(v6.ip).toBe('2001:db8:1::7');
    expect(doc.totals).toMatchObject({ mode: 'probewatch', lines: 3886, packets: 3886, sources: 49 });
    expect(doc.errors).toMatchObject({ errors: 0, unreadable: [] });
    // nothing was asked to look anything up: every provider says it is off and why, none is left 'pending'
    const states = doc.sources.flatMap((s) => Object.values(s.enrichment as Record<string, { state: string; reason: string }>));
    expect(states.length).toBe(4 * 49);
    expect(states.every((x) => x.state === 'disabled' && /--mmdb|--whois/.test(x.reason))).toBe(true);
    // levels are ordered: most dangerous first
    const levels = doc.sources.map((s) => s.dangerLevel as number);
    expect([...levels].sort((a, b) => b - a)).toEqual(levels);
  });

  it('counts malformed lines by reason with samples and still exits 0', async () => {
    const bad = join(tmp, 'bad.log');
    writeFileSync(bad, [
      readFileSync(synLog, 'utf8').split('\n')[0],
      'Mar 11 20:35:11 linux kernel: DROP IN=eth1 OUT= SRC=192.168.10.55 DST=192.168.10.1 LEN=44 TOS=0x00 PREC=0x00 TTL=38 ID=1 PROTO=TCP SPT=1 DINDOW=3072 RES=0x00 SYN URGP=0',
      'Mar 11 20:35:11 linux sshd[1]: Accepted publickey',
      `Mar 11 20:35:11 linux kernel: DROP IN=eth1 OUT= SRC=192.0.2.1 DST=192.0.2.2 ${'X'.repeat(20_000)}`,
    ].join('\n'));
    const r = await cli('analyze', '--json', bad);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { errors: { errors: number; skipped: number; byReason: Record<string, number>; samples: Record<string, { line: number }[]> } };
    expect(doc.errors.errors).toBe(2);
    expect(doc.errors.skipped).toBe(1);
    expect(Object.keys(doc.errors.byReason).sort()).toEqual(['missing-field', 'too-long'].sort());
    expect(doc.errors.samples['too-long']![0]!.line).toBe(4);
  });

  it('exits 1 when an input cannot be read, 2 on a configuration error naming key, file and line', async () => {
    const r1 = await cli('analyze', '--no-progress', join(tmp, 'nope.log'));
    expect(r1.code).toBe(1);
    expect(r1.out).toContain('Could not read');
    const conf = join(tmp, 'bad.conf');
    writeFileSync(conf, 'HOME_NET any;\nSCAN_TIMEOUT soon;\n');
    const r2 = await cli('analyze', '--psad-conf', conf, synLog);
    expect(r2.code).toBe(2);
    expect(r2.err).toContain('SCAN_TIMEOUT');
    expect(r2.err).toContain(`${conf}:2`);
    const r3 = await cli('analyze', '--bogus', synLog);
    expect(r3.code).toBe(2);
    expect((await cli('analyze')).code).toBe(2);
  });

  it('draws a progress bar with lines/s on a terminal, not into a pipe', () => {
    // util-linux script(1) gives the child a pseudo-terminal, as an operator's shell would
    const run = (tty: boolean): string => {
      const cmd = [process.execPath, '--import', 'tsx', MAIN, 'analyze', '--json', c1].map((a) => `'${a}'`).join(' ');
      const r = tty
        ? spawnSync('script', ['-qec', `${cmd} >/dev/null`, '/dev/null'], { encoding: 'utf8', timeout: 60_000 })
        : spawnSync('sh', ['-c', `${cmd} >/dev/null`], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status).toBe(0);
      return `${r.stdout}${r.stderr}`;
    };
    expect(run(true)).toMatch(/3,886 lines 100\.0% +[\d,]+ lines\/s/);
    expect(run(false)).not.toMatch(/lines\/s/);
  }, 120_000);

  it('reads stdin ("-") in a real process', () => {
    const r = spawnSync(process.execPath, [BIN, 'analyze', '--json', '-'], { input: readFileSync(synLog), encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as { sources: { ip: string }[] }).sources[0]!.ip).toBe('192.168.10.55');
  });

  it('ends quietly when the reader goes away (| head): JSON and report', () => {
    // 6,000 IPv6 sources: megabytes of JSON, so writes go on after the reader has closed its end
    const log = join(tmp, 'many.log');
    writeFileSync(log, Array.from({ length: 6000 }, (_, i) => `Mar 11 20:35:11 linux kernel: DROP IN=eth1 OUT= SRC=2001:0db8:0000:0000:0000:0000:0001:${(i + 1).toString(16).padStart(4, '0')} DST=2001:0db8:0000:0000:0000:0000:0000:0001 LEN=60 TC=0 HOPLIMIT=52 FLOWLBL=0 PROTO=TCP SPT=40000 DPT=${(i % 1000) + 1} WINDOW=1024 RES=0x00 SYN URGP=0\n`).join(''));
    for (const json of ['--json', '--no-progress']) {
      // a real shell pipeline: head reads 100 bytes and exits, analyze's later writes meet a closed pipe (the status is
      // analyze's, through pipefail; paths go as arguments, not into the script)
      const r = spawnSync('bash', ['-c', 'set -o pipefail; "$0" "$1" analyze --no-progress "$2" "$3" | head -c 100 > /dev/null', process.execPath, BIN, json, log],
        { encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
      expect(r.status).toBe(0);
    }
  }, 60_000);
});

describe('probewatch status', () => {
  const data = join(tmp, 'data');
  it('reads what analyze --data-dir stored, with --min-dl and --ip filters', async () => {
    expect((await cli('analyze', '--data-dir', data, '--no-progress', c1)).code).toBe(0);
    const all = await cli('status', '--data-dir', data, '--json', '--limit', '0');
    const doc = JSON.parse(all.out) as { sources: { ip: string; dangerLevel: number }[]; totals: { sources: number; levels: Record<string, number> } };
    expect(doc.totals.sources).toBe(49);
    expect(doc.sources.length).toBe(49);
    const hi = JSON.parse((await cli('status', '--data-dir', data, '--json', '--min-dl', '3')).out) as { sources: { ip: string; dangerLevel: number }[] };
    expect(hi.sources.map((s) => [s.ip, s.dangerLevel])).toEqual([['203.0.113.17', 4], ['203.0.113.10', 3], ['203.0.113.11', 3]]);
    const one = await cli('status', '--data-dir', data, '--ip', '2001:DB8:1:0::7');
    expect(one.code).toBe(0);
    expect(one.out).toContain('SRC:  2001:db8:1::7');
    expect(one.out).not.toContain('SRC:  203.0.113.17');
    const text = await cli('status', '--data-dir', data, '--min-dl', '4');
    expect(text.out).toMatch(/Top 1 attackers:\n {6}203\.0\.113\.17 +DL: 4/);
    expect((await cli('status', '--data-dir', data, '--ip', '192.0.2.254')).code).toBe(1);
    expect((await cli('status', '--data-dir', data, '--min-dl', '9')).code).toBe(2);
    expect((await cli('status', '--data-dir', join(tmp, 'none'))).code).toBe(1);
  });

  it('shows whole profiles: enrichment the store holds, and whois/rDNS policy-skipped below enrich.minDangerLevel', async () => {
    const db = openStore(data);
    new EnrichStateRepo(db).write('203.0.113.17', [{
      provider: 'geo', state: { state: 'done', fetchedAt: '2026-01-10T12:00:00.000Z', source: 'GeoLite2-City' },
      data: { country: 'NL', countryName: 'Netherlands', city: 'Amsterdam', latitude: 52.37, longitude: 4.89 },
    }], Date.UTC(2026, 0, 10, 12));
    db.close();
    type P = { ip: string; dangerLevel: number; geo: { country: string } | null; enrichment: Record<string, { state: string }> };
    const doc = JSON.parse((await cli('status', '--data-dir', data, '--json', '--limit', '0')).out) as { sources: P[] };
    const hit = doc.sources.find((s) => s.ip === '203.0.113.17')!;
    expect(hit.geo?.country).toBe('NL');
    expect(hit.enrichment.geo!.state).toBe('done');
    const low = doc.sources.find((s) => s.dangerLevel === 0 || s.dangerLevel === 1)!;
    expect(low.enrichment.whois!.state).toBe('skipped');
    const text = await cli('status', '--data-dir', data, '--ip', '203.0.113.17');
    expect(text.out).toMatch(/Geo: NL, Amsterdam/);
  });
});
