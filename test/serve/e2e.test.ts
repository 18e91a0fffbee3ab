// End to end: `probewatch serve` (a real child process) follows a log file the test writes; lines are appended; the
// profile shows the danger level, the OS guess from the logged TCP options, and geo/ASN from the MaxMind test databases.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const MMDB = '/work/shared/data/mmdb';
const mmdbDir = existsSync(join(MMDB, 'GeoLite2-City-Test.mmdb')) ? MMDB : join(root, 'fixtures/enrich/mmdb');
const TOKEN = 'e2e-token-0123456789abcdef';
const SRC = '89.160.20.130'; // GeoLite2 test data: Linköping, SE; AS29518 Bredband2

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** A kernel LOG line as rsyslog writes it, stamped now. */
function line(dport: number, opts: { ttl?: number; window?: number; len?: number; df?: boolean; options?: string } = {}): string {
  const d = new Date();
  const stamp = `${d.toLocaleString('en-US', { month: 'short' })} ${String(d.getDate()).padStart(2, ' ')} ${d.toTimeString().slice(0, 8)}`;
  return `${stamp} sensor1 kernel: [12345.678901] DROP IN=eth0 OUT= MAC=02:00:00:00:77:01:02:00:00:00:77:02:08:00 SRC=${SRC} DST=192.0.2.1 `
    + `LEN=${opts.len ?? 44} TOS=0x00 PREC=0x00 TTL=${opts.ttl ?? 47} ID=${1000 + dport} ${opts.df ? 'DF ' : ''}PROTO=TCP SPT=40001 DPT=${dport} `
    + `WINDOW=${opts.window ?? 1024} RES=0x00 SYN URGP=0 OPT (${opts.options ?? '020405B4'}) \n`;
}

describe('serve end to end', () => {
  it('turns appended log lines into a profile with danger level, OS guess and geo/ASN', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-e2e-'));
    dirs.push(dir);
    const log = join(dir, 'kern.log');
    writeFileSync(log, '');
    const cfg = join(dir, 'probewatch.yaml');
    writeFileSync(cfg, [
      'core:', `  dataDir: ${join(dir, 'data')}`, '  logLevel: info',
      'logs:', `  files: [${log}]`, '  pollInterval: 0.1', '  flushInterval: 0.1',
      'detect:', '  checkInterval: 1',
      'enrich:', `  mmdb: [${join(mmdbDir, 'GeoLite2-City-Test.mmdb')}, ${join(mmdbDir, 'GeoLite2-ASN-Test.mmdb')}]`,
      '  whois: false', '  rdns: false', '  bundledGeo: false', '  mmdbDirs: []',
      'respond:', '  dryRun: true',
      'api:', '  listen: 127.0.0.1:0', `  tokens: ["read:${TOKEN}"]`, '  indexInterval: 0.1',
    ].join('\n'));
    const proc: ChildProcess = spawn(process.execPath, [join(root, 'bin/probewatch.js'), 'serve', '--config', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
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
      const ready = (await (await fetch(`${url}/readyz`)).json()) as { ready: boolean; checks: { name: string }[] };
      expect(ready.checks.map((c) => c.name)).toContain(`log:${log}`);
      expect(ready.ready).toBe(true);

      // an nmap-style SYN scan of 40 ports, then one Linux connect() SYN with the kernel's usual options
      let text = '';
      for (let p = 1; p <= 40; p++) text += line(1000 + p);
      text += line(22, { ttl: 52, window: 64240, len: 60, df: true, options: '020405B40402080A9C2D4F6E0000000001030307' });
      appendFileSync(log, text);

      const h = { authorization: `Bearer ${TOKEN}` };
      type P = { dangerLevel: number; packets: number; os: { current: { name: string; via: string } | null; history: { name: string; tool: boolean }[] }; geo: { country: string; city: string } | null; as: { number: number; organization: string } | null; tags: string[] };
      let p: P | undefined;
      for (let i = 0; i < 120; i++) {
        const r = await fetch(`${url}/sources/${SRC}`, { headers: h });
        if (r.status === 200) {
          p = (await r.json()) as P;
          if (p.dangerLevel >= 2 && p.os.current && p.geo?.country && p.as?.number) break;
        }
        await new Promise((res) => setTimeout(res, 250));
      }
      expect(p, stderr.join('\n')).toBeDefined();
      expect(p!.packets).toBe(41);
      expect(p!.dangerLevel).toBeGreaterThanOrEqual(2);
      expect(p!.os.current).toMatchObject({ name: 'Linux', via: 'log' });
      expect(p!.os.history.some((g) => g.tool && g.name === 'NMap')).toBe(true);
      expect(p!.geo).toMatchObject({ country: 'SE', city: 'Linköping' });
      expect(p!.as).toMatchObject({ number: 29518 });

      // the same source through the list, the feed and the stats
      let listed: { ip: string; os: string | null; country: string | null }[] = [];
      for (let i = 0; i < 40 && !listed.some((x) => x.country === 'SE'); i++) {
        listed = ((await (await fetch(`${url}/sources?minDangerLevel=2&country=SE`, { headers: h })).json()) as { items: typeof listed }).items;
        await new Promise((res) => setTimeout(res, 250));
      }
      expect(listed.map((x) => x.ip)).toEqual([SRC]);
      const feed = (await (await fetch(`${url}/feed?format=ecs`, { headers: h })).json()) as { data: { source: { ip: string; geo?: { country_iso_code: string } } }[] };
      expect(feed.data.find((d) => d.source.ip === SRC)?.source.geo?.country_iso_code).toBe('SE');

      proc.kill('SIGTERM');
      const code = await new Promise<number | null>((res) => { proc.once('exit', (c) => { res(c); }); });
      expect(code).toBe(0);
    } finally {
      proc.kill('SIGKILL');
    }
  });
});
