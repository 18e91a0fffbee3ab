// Live capture in network namespaces: kernel connect() SYNs and a tcpreplay'd crafted pcap, captured by `cap` (and node_pcap),
// must get the labels the offline reader gives the same packets.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintFile } from '../../src/cli/fingerprint-pipeline.ts';
import { P0F_LIMITS } from '../../src/fingerprint/engine.ts';
import { toRecord } from '../../src/fingerprint/record.ts';
import type { FingerprintRecord } from '../../src/fingerprint/record.ts';
import { CASES, defaultDb, ROOT } from './helpers.ts';

const A = `pwfp-lv-a-${process.pid}`;
const B = `pwfp-lv-b-${process.pid}`;
const IFA = `pwfla${process.pid % 100000}`;
const IFB = `pwflb${process.pid % 100000}`;
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const tmp = mkdtempSync(join(tmpdir(), 'pw-fplive-'));

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const root = process.getuid?.() === 0;
const tools = ['ip', 'tcpdump', 'tcpreplay', 'python3'].filter((t) => !has(t));
const skipWhy = !root ? 'needs root for network namespaces' : tools.length > 0 ? `needs ${tools.join(', ')}` : '';
if (skipWhy) process.stderr.write(`\n*** live-capture test SKIPPED: ${skipWhy} ***\n\n`);

const ip = (...args: string[]): void => { execFileSync('ip', args, { stdio: 'pipe' }); };
const inNs = (ns: string, ...args: string[]): string => execFileSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let listener: ChildProcess | null = null;

function cleanup(): void {
  listener?.kill();
  for (const ns of [A, B]) {
    try { ip('netns', 'del', ns); } catch { /* already gone */ }
  }
}

/** Runs `probewatch fingerprint --interface IFB …` inside B until it has captured `count` fingerprints. */
function liveRun(backend: string, count: number, traffic: () => void): Promise<{ code: number; records: FingerprintRecord[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', B, process.execPath, '--import', 'tsx', MAIN, 'fingerprint', '--interface', IFB, '--backend', backend,
      '--format', 'ndjson', '--count', String(count), '--duration', '60', '--stats'], { cwd: ROOT });
    let out = '';
    let err = '';
    let started = false;
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (!started && err.includes('capturing on')) {
        started = true;
        try { traffic(); } catch (e) { reject(e instanceof Error ? e : new Error(String(e))); }
      }
    });
    child.on('close', (code) => {
      resolve({ code: code ?? -1, stderr: err, records: out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as FingerprintRecord) });
    });
  });
}

/** The offline result for a capture file, with the same signatures. */
function offline(pcap: string): FingerprintRecord[] {
  const db = defaultDb();
  const recs: FingerprintRecord[] = [];
  fingerprintFile(pcap, db, { tcp: (ev) => { recs.push(toRecord(ev, db)); }, mtu: () => undefined }, P0F_LIMITS);
  return recs;
}

const key = (r: FingerprintRecord): string => `${r.mode} ${r.client.ip}/${r.client.port} ${r.server.ip}/${r.server.port}`;
const verdict = (r: FingerprintRecord): string => `${r.label ?? '???'} ${r.quality} dist=${r.dist} ${r.rawSig} ${r.muonfp}`;

describe.skipIf(skipWhy !== '')('live capture in network namespaces', () => {
  beforeAll(() => {
    cleanup();
    ip('netns', 'add', A);
    ip('netns', 'add', B);
    ip('link', 'add', IFA, 'netns', A, 'type', 'veth', 'peer', 'name', IFB, 'netns', B);
    ip('-n', A, 'addr', 'add', '192.0.2.10/24', 'dev', IFA);
    ip('-n', B, 'addr', 'add', '192.0.2.1/24', 'dev', IFB);
    ip('-n', A, 'addr', 'add', '2001:db8:77::10/64', 'dev', IFA, 'nodad');
    ip('-n', B, 'addr', 'add', '2001:db8:77::1/64', 'dev', IFB, 'nodad');
    for (const [ns, dev] of [[A, IFA], [B, IFB]] as const) {
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'link', 'set', dev, 'up');
    }
    listener = spawn('ip', ['netns', 'exec', B, 'python3', '-c', [
      'import socket, threading, time',
      'for fam, addr in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8:77::1")):',
      '    s = socket.socket(fam); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((addr, 80)); s.listen(64)',
      '    threading.Thread(target=lambda s=s: [c.close() for c, _ in iter(s.accept, None)], daemon=True).start()',
      'time.sleep(300)',
    ].join('\n')], { stdio: 'ignore' });
  }, 30_000);

  afterAll(() => {
    cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  const connect = (addr: string): void => {
    inNs(A, 'python3', '-c', `import socket\nf = socket.AF_INET6 if ":" in "${addr}" else socket.AF_INET\ns = socket.socket(f); s.settimeout(2)\ns.connect(("${addr}", 80)); s.close()`);
  };

  it('kernel connect() SYNs and SYN+ACKs (IPv4 and IPv6), via cap: the labels of the offline reader on a tcpdump of the same packets', async () => {
    const pcap = join(tmp, 'kernel.pcap');
    const td = spawn('ip', ['netns', 'exec', B, 'tcpdump', '--immediate-mode', '-i', IFB, '-U', '-s', '256', '-w', pcap, 'tcp[tcpflags] & tcp-syn != 0 or (ip6 and ip6[53] & 2 != 0)'], { stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((res) => { td.stderr.on('data', (d: Buffer) => { if (d.toString().includes('listening')) res(); }); });
    const live = await liveRun('cap', 4, () => {
      connect('192.0.2.1');
      connect('2001:db8:77::1');
    });
    td.kill('SIGINT');
    await new Promise((res) => td.on('close', res));
    expect(live.code).toBe(0);
    expect(live.records).toHaveLength(4);
    const off = offline(pcap);
    expect(off.map(key)).toEqual(live.records.map(key));
    expect(live.records.map(verdict)).toEqual(off.map(verdict));
    // and modern.fp knows this kernel: the point of checking its signatures against real SYNs
    for (const r of live.records) expect(r.label).toMatch(/^s:unix:Linux:4\.19 and newer/);
    expect(live.records.map((r) => [r.mode, r.family, r.via, r.iface])).toEqual([['syn', 4, 'live', IFB], ['syn+ack', 4, 'live', IFB], ['syn', 6, 'live', IFB], ['syn+ack', 6, 'live', IFB]]);
  }, 90_000);

  it('a crafted pcap replayed with tcpreplay, via cap and via node_pcap: the same labels as reading the file', async () => {
    const pcap = join(CASES, 'fp-mkpcap-request-d7', 'input.pcap');
    const expected = offline(pcap);
    expect(expected).toHaveLength(91);
    for (const backend of ['cap', 'pcap']) {
      const live = await liveRun(backend, expected.length, () => {
        inNs(A, 'tcpreplay', '-i', IFA, '--pps', '500', pcap);
      });
      expect(live.code).toBe(0);
      expect(live.records.map(key)).toEqual(expected.map(key));
      expect(live.records.map(verdict)).toEqual(expected.map(verdict));
      // node_pcap reads the kernel's drop counter; cap cannot
      expect(live.stderr).toMatch(backend === 'pcap' ? /kernel-drops=0/ : /kernel-drops=unknown/);
    }
  }, 120_000);

  it('explains a missing capture permission', () => {
    // an unprivileged user (nobody) with a home it may write (tsx keeps a cache there)
    const home = join(tmp, 'nobody');
    mkdirSync(home, { mode: 0o777 });
    chmodSync(tmp, 0o755);
    chmodSync(home, 0o777);
    let msg = '';
    try {
      execFileSync('ip', ['netns', 'exec', B, 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all',
        process.execPath, '--import', 'tsx', MAIN, 'fingerprint', '--interface', IFB, '--duration', '1'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: home, TMPDIR: home } });
    } catch (e) {
      const err = e as { status: number; stderr: string };
      expect(err.status).toBe(1);
      msg = err.stderr;
    }
    expect(msg).toMatch(/cannot capture on .*CAP_NET_RAW/);
  }, 60_000);
});
