// The serve log pipeline in-process: per-source readiness, offsets resumed after a restart, SIGHUP signature reload
// without losing counts.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { Service, stderrLogger } from '../../src/service.ts';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const env = { PROBEWATCH_DRY_RUN: '1', PROBEWATCH_WHOIS: 'false', PROBEWATCH_RDNS: 'false', PROBEWATCH_API_TOKENS: 'read:pipeline-token-0123456789', PROBEWATCH_MMDB: '' };
const h = { authorization: 'Bearer pipeline-token-0123456789' };

let n = 0;
const line = (dport: number): string => {
  n++;
  const stamp = new Date(Date.now() - 60_000 + n).toISOString();
  return `${stamp} fw1 kernel: DROP IN=eth0 OUT= SRC=198.51.100.44 DST=192.0.2.1 LEN=44 TOS=0x00 PREC=0x00 TTL=47 ID=${n} PROTO=TCP SPT=40001 DPT=${dport} WINDOW=1024 RES=0x00 SYN URGP=0 \n`;
};

async function profile(svc: Service, until: (p: { packets: number; signatures: { sid: number }[] }) => boolean): Promise<{ packets: number; signatures: { sid: number }[] }> {
  let p = { packets: 0, signatures: [] as { sid: number }[] };
  for (let i = 0; i < 80; i++) {
    const r = await fetch(`${svc.address}/sources/198.51.100.44`, { headers: h });
    if (r.status === 200) {
      p = (await r.json()) as typeof p;
      if (until(p)) return p;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  return p;
}

describe('serve log pipeline', () => {
  it('resumes after a restart without double counting, and reloads signatures on SIGHUP keeping the counts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-pipe-'));
    dirs.push(dir);
    const log = join(dir, 'fw.log');
    writeFileSync(log, line(1) + line(2) + line(3));
    const sigs = join(dir, 'signatures');
    writeFileSync(sigs, 'alert tcp any any -> any 4444 (msg:"PW TEST backdoor probe"; flags:S; psad_id:900001; psad_dl:3;)\n');
    const base = (signaturesFile = ''): Config => {
      const c = loadConfig({ env, flags: { 'data-dir': join(dir, 'data'), listen: '127.0.0.1:0', log: [log] } }).config;
      return { ...c, logs: { ...c.logs, pollInterval: 0.1, flushInterval: 0.1 }, detect: { ...c.detect, checkInterval: 1, signaturesFile }, api: { ...c.api, indexInterval: 0.1 } };
    };
    let svc = await Service.start({ config: base(), logger: stderrLogger('fatal') });
    try {
      const ready = (await (await fetch(`${svc.address}/readyz`)).json()) as { ready: boolean; checks: { name: string; ready: boolean }[] };
      expect(ready).toMatchObject({ ready: true });
      expect(ready.checks.find((c) => c.name === `log:${log}`)?.ready).toBe(true);
      expect((await profile(svc, (p) => p.packets === 3)).packets).toBe(3);
    } finally {
      await svc.stop();
    }
    appendFileSync(log, line(4));
    svc = await Service.start({ config: base(), reload: () => base(sigs), logger: stderrLogger('fatal') });
    try {
      expect((await profile(svc, (p) => p.packets === 4)).packets).toBe(4);
      appendFileSync(log, line(4444));
      const before = await profile(svc, (p) => p.packets === 5);
      expect(before.signatures).toEqual([]);
      svc.reload();
      appendFileSync(log, line(4444));
      const after = await profile(svc, (p) => p.packets === 6 && p.signatures.length > 0);
      expect(after.packets).toBe(6);
      expect(after.signatures.map((s) => s.sid)).toEqual([900001]);
    } finally {
      await svc.stop();
    }
  });
});
