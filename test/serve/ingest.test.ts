// `probewatch ingest`: log and pcap files into a store, alone and beside a running serve on the same data directory.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { inputKind, ingest } from '../../src/cli/ingest.ts';
import { loadConfig } from '../../src/config/load.ts';
import { Service, stderrLogger } from '../../src/service.ts';
import { openStore } from '../../src/store/db.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const PCAP = join(root, 'fixtures/cases/fp-linux-kernel/linux.pcap');
const dirs: string[] = [];
const tmp = (): string => { const d = mkdtempSync(join(tmpdir(), 'pw-ingest-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const env = { ...process.env, PROBEWATCH_DRY_RUN: '1', PROBEWATCH_WHOIS: 'false', PROBEWATCH_RDNS: 'false' };

/** Runs the CLI without blocking this process's event loop (an in-process serve must keep running). */
function cli(args: string[]): Promise<{ status: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin/probewatch.js'), ...args], { env, encoding: 'utf8' }, (e, _out, stderr) => {
      resolve({ status: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stderr });
    });
  });
}

/** A scan of `ports` ports from `src`, as ISO-stamped kernel LOG lines (one per second from 2026-01-10 12:00). */
function scanLog(src: string, ports: number): string {
  let t = '';
  for (let p = 1; p <= ports; p++) {
    const stamp = new Date(Date.UTC(2026, 0, 10, 12, 0, p)).toISOString();
    t += `${stamp} fw1 kernel: DROP IN=eth0 OUT= SRC=${src} DST=192.0.2.1 LEN=44 TOS=0x00 PREC=0x00 TTL=47 ID=${p} PROTO=TCP SPT=40001 DPT=${2000 + p} WINDOW=1024 RES=0x00 SYN URGP=0 OPT (020405B4) \n`;
  }
  return `${t}this line is not a firewall line\n`;
}

describe('probewatch ingest', () => {
  it('tells pcaps from logs by their magic number', () => {
    const d = tmp();
    writeFileSync(join(d, 'x.log'), scanLog('198.51.100.5', 1));
    expect(inputKind(PCAP)).toBe('pcap');
    expect(inputKind(join(d, 'x.log'))).toBe('log');
    expect(() => inputKind(join(d, 'missing'))).toThrow(/cannot read/);
  });

  it('reads log and pcap files into a store: danger levels, OS guesses, enrichment queue', async () => {
    const d = tmp();
    const log = join(d, 'old.log');
    writeFileSync(log, scanLog('198.51.100.5', 30));
    const config = loadConfig({ env: {}, flags: { 'data-dir': join(d, 'data') } }).config;
    const r = await ingest(config, [log, PCAP], { quiet: true });
    expect(r).toMatchObject({ lines: 31, packets: 30 });
    expect(r.fingerprints).toBeGreaterThan(0);
    expect(r.changes).toBeGreaterThan(0);
    const db = openStore(join(d, 'data'));
    try {
      expect(db.prepare('SELECT danger_level FROM sources WHERE ip = ?').pluck().get('198.51.100.5')).toBeGreaterThanOrEqual(2);
      expect(db.prepare('SELECT count(*) FROM os_guesses').pluck().get()).toBeGreaterThan(1);
      expect(db.prepare('SELECT count(*) FROM enrich_queue').pluck().get()).toBeGreaterThan(0);
      expect(db.prepare('SELECT count(*) FROM log_offsets').pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });

  it('works beside a running serve on the same data directory, which shows the result', { timeout: 90_000 }, async () => {
    const d = tmp();
    const data = join(d, 'data');
    const config = loadConfig({ env: { ...env, PROBEWATCH_API_TOKENS: 'read:ingest-token-0123456789ab' }, flags: { 'data-dir': data, listen: '127.0.0.1:0' } }).config;
    const svc = await Service.start({ config: { ...config, api: { ...config.api, indexInterval: 0.1 }, detect: { ...config.detect, checkInterval: 1 } }, logger: stderrLogger('fatal') });
    try {
      const log = join(d, 'backfill.log');
      writeFileSync(log, scanLog('203.0.113.77', 20));
      const r = await cli(['ingest', '--data-dir', data, log]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/21 lines, 20 packets counted/);
      expect(r.stderr).toMatch(/21 lines handed over to and counted by the running serve/);
      const h = { authorization: 'Bearer ingest-token-0123456789ab' };
      expect((await fetch(`${svc.address}/sources/203.0.113.77`, { headers: h })).status).toBe(200);
      let items: { ip: string }[] = [];
      for (let i = 0; i < 40 && items.length === 0; i++) {
        items = ((await (await fetch(`${svc.address}/sources?minDangerLevel=1`, { headers: h })).json()) as { items: { ip: string }[] }).items;
        await new Promise((res) => setTimeout(res, 100));
      }
      expect(items.map((x) => x.ip)).toEqual(['203.0.113.77']);
      const bad = spawnSync(process.execPath, [join(root, 'bin/probewatch.js'), 'ingest', '--data-dir', data, join(d, 'nope.log')], { env, encoding: 'utf8' });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/cannot read/);
    } finally {
      await svc.stop();
    }
  });
});
