// `probewatch fingerprint` end to end: output formats, exit codes, directories and stdin, the store.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { openStore } from '../../src/store/db.ts';
import { OsGuessRepository } from '../../src/store/os-guesses.ts';
import { CASES, fixtureText, p0fLines, ROOT } from './helpers.ts';

const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const tmp = mkdtempSync(join(tmpdir(), 'pw-fpcli-'));
afterAll(() => { rmSync(tmp, { recursive: true, force: true }); });

interface Run { code: number; stdout: string; stderr: string }

/** Runs the CLI from the TypeScript sources (never a stale build). */
function cli(args: string[], stdin?: Buffer): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env: { ...process.env, PROBEWATCH_DATA_DIR: undefined } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code) => { resolve({ code: code ?? -1, stdout, stderr }); });
    if (stdin) child.stdin.end(stdin);
    else child.stdin.end();
  });
}

const edge = (f: string): string => join(CASES, 'fp-edge', f);
const STOCK = ['--signatures', 'signatures/p0f.fp'];

describe('probewatch fingerprint', () => {
  it('--format p0f prints exactly the SYN, SYN+ACK and MTU lines of `TZ=UTC p0f -r FILE -o LOG`', async () => {
    const r = await cli(['fingerprint', ...STOCK, edge('match.pcap')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${p0fLines(fixtureText(edge('match.p0f.log'))).join('\n')}\n`);
    expect(r.stderr).toBe('');
  });

  it('uses modern.fp then p0f.fp by default', async () => {
    const r = await cli(['fingerprint', join(CASES, 'fp-linux-kernel', 'linux.pcap')]);
    expect(r.stdout).toBe(readFileSync(join(CASES, 'fp-linux-kernel', 'linux.modern.expected'), 'utf8'));
  });

  it('--format ndjson gives one self-contained record per fingerprint, --format json an array of them', async () => {
    const nd = await cli(['fingerprint', '--format', 'ndjson', join(CASES, 'fp-linux-kernel', 'linux.pcap')]);
    expect(nd.code).toBe(0);
    const recs = nd.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(recs).toHaveLength(25);
    expect(recs[0]).toMatchObject({
      mode: 'syn', family: 4, client: { ip: '192.0.2.10' }, server: { ip: '192.0.2.1', port: 80 }, subject: '192.0.2.10',
      label: 's:unix:Linux:4.19 and newer', class: 'unix', name: 'Linux', flavor: '4.19 and newer', quality: 'exact', tool: false,
      dist: 0, params: [], rawSig: '4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0', muonfp: '64240:2-4-8-1-3:1460:7',
      signature: { file: 'signatures/modern.fp', line: 34 }, mss: 1460, wscale: 7, quirks: ['df', 'id+'], mtu: 1500,
      link: 'Ethernet or modem', via: 'pcap',
    });
    expect(recs[1]).toMatchObject({ mode: 'syn+ack', subject: '192.0.2.1', client: { ip: '192.0.2.10' } });
    expect(recs[2]).toMatchObject({ family: 6, client: { ip: '2001:db8:10::10' }, quirks: ['flow'], muonfp: '64800:2-4-8-1-3:1440:7' });
    const js = await cli(['fingerprint', '--format', 'json', join(CASES, 'fp-linux-kernel', 'linux.pcap')]);
    expect(JSON.parse(js.stdout)).toEqual(recs);
    const empty = await cli(['fingerprint', '--format', 'json', edge('link-ipv4.pcap'), '--filter', 'port 9']);
    expect(JSON.parse(empty.stdout)).toEqual([]);
  });

  it('exits 0 with counted decode errors, 1 when an input cannot be read (after reading the others)', async () => {
    const bad = await cli(['fingerprint', ...STOCK, '--stats', edge('malformed.pcap')]);
    expect(bad.code).toBe(0);
    expect(bad.stderr).toMatch(/malformed\.pcap: Ethernet, 12 frames \(ok=3 fragment=2 truncated=4 bad-ip-header=1 bad-tcp-header=2\), 3 SYN, 0 SYN\+ACK, 7 decode errors/);
    const cut = await cli(['fingerprint', ...STOCK, edge('truncated-file.pcap')]);
    expect(cut.code).toBe(0);
    expect(cut.stderr).toContain('file truncated or corrupt');
    const text = join(tmp, 'notes.txt');
    writeFileSync(text, 'not a capture\n');
    const r = await cli(['fingerprint', ...STOCK, join(tmp, 'missing.pcap'), edge('link-raw.pcap'), text]);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(4);
    expect(r.stderr).toMatch(/cannot read .*missing\.pcap/);
    expect(r.stderr).toMatch(/cannot read .*notes\.txt/);
  });

  it('refuses a bad signature file with its name and line (exit 2), and bad usage (exit 2)', async () => {
    // in-process: these fail before anything is written to standard output
    const fp = join(tmp, 'bad.fp');
    writeFileSync(fp, 'classes = unix\n[tcp:request]\nlabel = s:unix:X:\nsig = *:64:0:*:*,*:mss:df:1\n');
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => { errors.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString()); return true; });
    try {
      expect(await main(['fingerprint', '--signatures', fp, edge('link-raw.pcap')])).toBe(2);
      expect(await main(['fingerprint', '--format', 'xml', edge('link-raw.pcap')])).toBe(2);
      expect(await main(['fingerprint', '--bogus', edge('link-raw.pcap')])).toBe(2);
      expect(await main(['fingerprint'])).toBe(2);
      expect(await main(['fingerprint', '--interface', 'lo', edge('link-raw.pcap')])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(errors.join('')).toContain(`${fp}:4: malformed payload class`);
    expect(errors.join('')).toContain('--format must be p0f, json or ndjson');
    expect(errors.join('')).toContain('give capture files or --interface, not both');
  });

  it('reads a directory of captures and standard input', async () => {
    const dir = await cli(['fingerprint', ...STOCK, join(CASES, 'fp-mkpcap-request-d0')]);
    expect(dir.stdout).toBe(`${p0fLines(fixtureText(join(CASES, 'fp-mkpcap-request-d0', 'input.p0f.log'))).join('\n')}\n`);
    const stdin = await cli(['fingerprint', ...STOCK, '-'], readFileSync(edge('quirks.pcap')));
    expect(stdin.code).toBe(0);
    expect(stdin.stdout).toBe(`${p0fLines(fixtureText(edge('quirks.p0f.log'))).join('\n')}\n`);
  });

  it('--data-dir keeps every guess on the source profile, counting repeats across runs', async () => {
    const data = join(tmp, 'data');
    const pcap = join(CASES, 'fp-edge', 'match.pcap');
    expect((await cli(['fingerprint', '--data-dir', data, pcap])).code).toBe(0);
    expect((await cli(['fingerprint', '--format', 'ndjson', '--data-dir', data, pcap])).code).toBe(0);
    const db = openStore(data);
    const repo = new OsGuessRepository(db);
    // NMap SYN scans from 192.0.2.x: a tool guess and a tag
    const scans = db.prepare("SELECT ip FROM os_guesses WHERE name = 'NMap'").pluck().all() as string[];
    expect(scans.length).toBeGreaterThanOrEqual(3);
    expect(repo.tags(scans[0]!)).toEqual(['NMap SYN scan']);
    const win = repo.forSource(db.prepare("SELECT ip FROM os_guesses WHERE label LIKE 's:win:Windows:7 or 8'").pluck().get() as string);
    expect(win.current).toMatchObject({ class: 'win', quality: 'exact', count: 2, via: 'pcap', mode: 'syn', mtu: 1500, link: 'Ethernet or modem' });
    expect(db.prepare("SELECT count(*) FROM profile_changes WHERE kind = 'os'").pluck().get()).toBeGreaterThan(10);
    db.close();
  });
});

