// Year-less syslog stamps are read in the machine's time zone when logs.timezone is not set (psad reads them as UTC; in
// compatibility mode probewatch does too) — checked in child processes with TZ set, as an operator's machine would be.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const PARSER = new URL('../../src/logs/parse-line.ts', import.meta.url).href;
const LINE = 'Jul  1 12:00:00 h kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=7 PROTO=TCP SPT=1 DPT=2 WINDOW=0 RES=0x00 SYN URGP=0';

function timeIn(tz: string, psadCompat: boolean): number {
  const code = `const { FirewallLineParser } = await import(${JSON.stringify(PARSER)});
const p = new FirewallLineParser({ psadCompat: ${String(psadCompat)}, now: () => Date.UTC(2026, 10, 26) });
const r = p.parse(${JSON.stringify(LINE)}, 1);
process.stdout.write(String(r.kind === 'packet' ? r.event.time : -1));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, TZ: tz }, timeout: 60_000 });
  expect(r.stderr).toBe('');
  return Number(r.stdout);
}

describe('time zone of year-less stamps', () => {
  it('own mode: the machine\'s zone (TZ); psad compatibility: UTC whatever the zone', () => {
    expect(timeIn('America/New_York', false)).toBe(Date.UTC(2026, 6, 1, 16)); // EDT, UTC-4
    expect(timeIn('Asia/Tokyo', false)).toBe(Date.UTC(2026, 6, 1, 3)); // UTC+9
    expect(timeIn('America/New_York', true)).toBe(Date.UTC(2026, 6, 1, 12));
  }, 60_000);
});
