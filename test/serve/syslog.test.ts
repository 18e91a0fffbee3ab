// `probewatch serve` configured only through PROBEWATCH_* variables (a child process): a syslog receiver on UDP and on TCP
// (octet-counted framing), RFC 3164 and RFC 5424 lines from two sensors about one source, the profile naming both sensors,
// the sensor filter, readiness per listener; plus the table of flags the issue names, each with its variable.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMON_OPTIONS } from '../../src/cli/command.ts';
import { FILE_FLAG_ENV, withFileEnv } from '../../src/cli/file-env.ts';
import { settingFlags } from '../../src/cli/serve.ts';
import type { SettingDoc } from '../../src/config/define.ts';
import { loadConfig } from '../../src/config/load.ts';
import { SECTIONS } from '../../src/config/schema.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SHARED = '/work/shared/data/mmdb';
const mmdbDir = existsSync(join(SHARED, 'GeoLite2-City-Test.mmdb')) ? SHARED : join(root, 'fixtures/enrich/mmdb');
const TOKEN = 'syslog-token-0123456789abcdef';
const SRC = '89.160.20.130'; // test data: Linköping, SE; AS29518

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

describe('serve flags and their environment variables', () => {
  // the list of the issue, verbatim
  const NAMED = ['data-dir', 'listen', 'log', 'journal', 'syslog-listen', 'interface', 'mmdb', 'psad-conf', 'token-file', 'no-whois', 'no-rdns'];
  it('offers every flag the issue names, each with a PROBEWATCH_* variable', () => {
    const flags = { ...settingFlags(), ...COMMON_OPTIONS } as Record<string, unknown>;
    const envOf = new Map<string, string>();
    for (const s of SECTIONS) for (const d of Object.values<SettingDoc>(s.docs)) if (d.flag && d.env) envOf.set(d.flag, d.env);
    for (const [f, e] of Object.entries(FILE_FLAG_ENV)) envOf.set(f, e);
    for (const f of NAMED) {
      expect(flags[f], f).toBeDefined();
      expect(envOf.get(f.replace(/^no-/, '')), f).toMatch(/^PROBEWATCH_[A-Z_]+$/);
    }
  });

  it('maps each variable to the same setting as its flag; flags win', () => {
    const env = {
      PROBEWATCH_DATA_DIR: '/tmp/pw-x', PROBEWATCH_LISTEN: '127.0.0.1:9999', PROBEWATCH_LOG: '/tmp/a.log,/tmp/b.log', PROBEWATCH_JOURNAL: 'yes',
      PROBEWATCH_SYSLOG_LISTEN: 'udp://127.0.0.1:5514,tcp://[::1]:5514', PROBEWATCH_INTERFACES: 'eth0,eth1', PROBEWATCH_MMDB: '/x/a.mmdb',
      PROBEWATCH_TOKEN_FILE: '/etc/pw/tokens', PROBEWATCH_WHOIS: 'false', PROBEWATCH_RDNS: '0',
    };
    const c = loadConfig({ env }).config;
    expect([c.core.dataDir, c.api.listen, c.logs.files, c.logs.journal, c.logs.syslogListen, c.fingerprint.interfaces, c.enrich.mmdb, c.api.tokenFile, c.enrich.whois, c.enrich.rdns])
      .toEqual(['/tmp/pw-x', '127.0.0.1:9999', ['/tmp/a.log', '/tmp/b.log'], true, ['udp://127.0.0.1:5514', 'tcp://[::1]:5514'], ['eth0', 'eth1'], ['/x/a.mmdb'], '/etc/pw/tokens', false, false]);
    expect(loadConfig({ env, flags: { listen: '127.0.0.1:1', whois: true } }).config.api).toMatchObject({ listen: '127.0.0.1:1' });
    expect(withFileEnv({ config: undefined }, { PROBEWATCH_CONFIG: '/etc/pw.yaml', PROBEWATCH_PSAD_CONF: '/etc/psad/psad.conf' }))
      .toEqual({ config: '/etc/pw.yaml', 'psad-conf': '/etc/psad/psad.conf' });
    expect(withFileEnv({ config: '/mine.yaml' }, { PROBEWATCH_CONFIG: '/etc/pw.yaml' })).toEqual({ config: '/mine.yaml' });
  });
});

/** A port free on 127.0.0.1 for TCP and for UDP at the time of asking. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((r) => {
      const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => { r(p); }); });
    });
    const ok = await new Promise<boolean>((r) => {
      const u = createSocket('udp4');
      u.once('error', () => { u.close(); r(false); });
      u.bind(port, '127.0.0.1', () => { u.close(); r(true); });
    });
    if (ok) return port;
  }
}

/** A kernel LOG message body (after the syslog header). */
const body = (dport: number): string =>
  `DROP IN=eth0 OUT= MAC=02:00:00:00:77:01:02:00:00:00:77:02:08:00 SRC=${SRC} DST=192.0.2.1 LEN=44 TOS=0x00 PREC=0x00 TTL=47 ID=${dport} `
  + `PROTO=TCP SPT=40001 DPT=${dport} WINDOW=1024 RES=0x00 SYN URGP=0 `;

function rfc3164(host: string, dport: number): string {
  const d = new Date();
  const stamp = `${d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' })} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}`;
  return `<4>${stamp} ${host} kernel: [12345.678901] ${body(dport)}`;
}

const rfc5424 = (host: string, dport: number): string => `<4>1 ${new Date().toISOString()} ${host} kernel - - - ${body(dport)}`;

describe('serve syslog receiver (child process, configured by environment only)', () => {
  it('takes RFC 3164 over UDP and RFC 5424 over octet-counted TCP, and the profile says which sensors saw the source', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-syslog-'));
    dirs.push(dir);
    const [udp, tcp] = [await freePort(), await freePort()];
    const tokens = join(dir, 'tokens');
    writeFileSync(tokens, `${TOKEN}\n`);
    chmodSync(tokens, 0o600);
    const cfg = join(dir, 'pw.yaml');
    // what has no variable of its own comes from the file named by PROBEWATCH_CONFIG
    writeFileSync(cfg, ['logs:', '  syslogHost: message', '  flushInterval: 0.1', 'detect:', '  checkInterval: 1', 'api:', '  indexInterval: 0.1',
      'enrich:', '  bundledGeo: false', '  mmdbDirs: []', 'respond:', '  dryRun: true'].join('\n'));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH, HOME: dir, PROBEWATCH_CONFIG: cfg, PROBEWATCH_DATA_DIR: join(dir, 'data'), PROBEWATCH_LISTEN: '127.0.0.1:0',
      PROBEWATCH_SYSLOG_LISTEN: `udp://127.0.0.1:${udp},tcp://127.0.0.1:${tcp}`, PROBEWATCH_TOKEN_FILE: tokens,
      PROBEWATCH_MMDB: `${join(mmdbDir, 'GeoLite2-City-Test.mmdb')},${join(mmdbDir, 'GeoLite2-ASN-Test.mmdb')}`,
      PROBEWATCH_WHOIS: 'false', PROBEWATCH_RDNS: 'false', PROBEWATCH_LOG_LEVEL: 'info',
    };
    const proc: ChildProcess = spawn(process.execPath, [join(root, 'bin/probewatch.js'), 'serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const stderr: string[] = [];
    try {
      const url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: proc.stderr! }).on('line', (l) => {
          stderr.push(l);
          const m = /API listening on (http:\/\/\S+)/.exec(l);
          if (m) resolve(m[1]!);
        });
        proc.once('exit', (c) => { reject(new Error(`serve exited ${String(c)}\n${stderr.join('\n')}`)); });
      });
      const ready = (await (await fetch(`${url}/readyz`)).json()) as { ready: boolean; checks: { name: string; ready: boolean }[] };
      expect(ready.checks.filter((c) => c.name.startsWith('syslog:')).map((c) => [c.name, c.ready]).sort())
        .toEqual([[`syslog:tcp://127.0.0.1:${tcp}`, true], [`syslog:udp://127.0.0.1:${udp}`, true]]);
      expect(ready.ready).toBe(true);

      // sensor fw-a: 20 ports in RFC 3164 datagrams
      const u = createSocket('udp4');
      for (let p = 1; p <= 20; p++) await new Promise<void>((r, j) => { u.send(rfc3164('fw-a', 1000 + p), udp, '127.0.0.1', (e) => { if (e) j(e); else r(); }); });
      u.close();
      // sensor fw-b: 20 other ports in RFC 5424 messages, octet-counted on one connection, split at awkward places
      let stream = '';
      for (let p = 21; p <= 40; p++) {
        const m = Buffer.from(rfc5424('fw-b', 1000 + p));
        stream += `${m.length} ${m.toString()}`;
      }
      await new Promise<void>((resolve, reject) => {
        const s = connect(tcp, '127.0.0.1', () => {
          const b = Buffer.from(stream);
          for (let i = 0; i < b.length; i += 97) s.write(b.subarray(i, i + 97));
          s.end();
        });
        s.on('close', () => { resolve(); });
        s.on('error', reject);
      });

      const h = { authorization: `Bearer ${TOKEN}` };
      type P = { packets: number; dangerLevel: number; sensors: string[]; geo: { country: string } | null; as: { number: number } | null };
      let p: P | undefined;
      for (let i = 0; i < 80; i++) {
        const r = await fetch(`${url}/sources/${SRC}`, { headers: h });
        if (r.status === 200) {
          p = (await r.json()) as P;
          if (p.packets === 40 && p.dangerLevel >= 2 && p.geo) break;
        }
        await new Promise((res) => setTimeout(res, 250));
      }
      expect(p, stderr.join('\n')).toMatchObject({ packets: 40, sensors: ['fw-a', 'fw-b'], geo: { country: 'SE' }, as: { number: 29518 } });
      expect(p!.dangerLevel).toBeGreaterThanOrEqual(2);
      let listed: { ip: string; sensors: string[] }[] = [];
      for (let i = 0; i < 40 && listed.length === 0; i++) {
        listed = ((await (await fetch(`${url}/sources?sensor=fw-b`, { headers: h })).json()) as { items: typeof listed }).items;
        if (listed.length === 0) await new Promise((res) => setTimeout(res, 250));
      }
      expect(listed.map((x) => [x.ip, x.sensors])).toEqual([[SRC, ['fw-a', 'fw-b']]]);
      expect(((await (await fetch(`${url}/sources?sensor=fw-c`, { headers: h })).json()) as { items: unknown[] }).items).toEqual([]);

      proc.kill('SIGTERM');
      expect(await new Promise<number | null>((res) => { proc.once('exit', (c) => { res(c); }); })).toBe(0);
    } finally {
      proc.kill('SIGKILL');
    }
  });
});
