import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { childArgs, childEnv, HEAP_PAD_TUNABLE, HUGE_TUNABLE, hugePagesBlocker, LARGE_INPUT } from '../../src/cli/huge-pages.ts';

const BIN = join(import.meta.dirname, '../../bin/probewatch.js');
const big = { platform: 'linux', size: () => LARGE_INPUT, execArgv: [] };

describe('huge pages for a large analyze', () => {
  it('relaunches only a large analyze on Linux that was not given node options', () => {
    expect(hugePagesBlocker(['analyze', 'fw.log'], {}, big)).toBeNull();
    expect(hugePagesBlocker(['analyze', '--psad-conf', 'psad.conf', 'a.log', 'b.log'], {}, { ...big, size: (p) => (p.endsWith('.log') ? LARGE_INPUT / 2 : 0) })).toBeNull();
    // option values are not inputs: a 63 MB GeoIP database does not make the log large
    expect(hugePagesBlocker(['analyze', '--mmdb', 'dbip.mmdb', 'small.log'], {}, { ...big, size: (p) => (p.endsWith('.mmdb') ? LARGE_INPUT : 10) })).toBe('small input');
    expect(hugePagesBlocker(['analyze', 'fw.log'], {}, { ...big, size: () => LARGE_INPUT - 1 })).toBe('small input');
    expect(hugePagesBlocker(['analyze', 'fw.log'], { PROBEWATCH_HUGE_PAGES: '1' }, { ...big, size: () => 1 })).toBeNull();
    expect(hugePagesBlocker(['analyze', 'fw.log'], { PROBEWATCH_HUGE_PAGES: '0' }, big)).toMatch(/turned off/);
    expect(hugePagesBlocker(['analyze', 'fw.log'], { GLIBC_TUNABLES: `glibc.malloc.arena_max=2:${HUGE_TUNABLE}` }, big)).toBe('already set');
    expect(hugePagesBlocker(['follow', '--log', 'fw.log'], {}, big)).toBe('not a batch analysis');
    expect(hugePagesBlocker(['analyze', 'fw.log'], {}, { ...big, platform: 'darwin' })).toBe('not Linux');
    expect(hugePagesBlocker(['analyze', 'fw.log'], {}, { ...big, execArgv: ['--cpu-prof'] })).toBe('node options given');
  });

  it('the child runs the same script and arguments, with V8 compiling on its main thread', () => {
    expect(childArgs('/opt/pw/dist/cli/main.js', ['analyze', '--json', 'a.log'])).toEqual(['--no-concurrent-recompilation', '--max-semi-space-size=1', '--no-turbo-escape', '--single-threaded-gc', '/opt/pw/dist/cli/main.js', 'analyze', '--json', 'a.log']);
    // the child has node options, so it never relaunches itself again
    expect(hugePagesBlocker(['analyze', 'big.log'], {}, { platform: 'linux', execArgv: ['--no-concurrent-recompilation'], size: () => LARGE_INPUT })).toBe('node options given');
  });

  it("the child's environment is the parent's with the tunable added and without the extra CA certificates", () => {
    const parent = { PATH: '/usr/bin', TZ: 'Europe/Berlin', NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt', GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' };
    expect(childEnv(parent)).toEqual({ PATH: '/usr/bin', TZ: 'Europe/Berlin', GLIBC_TUNABLES: `glibc.malloc.arena_max=2:${HUGE_TUNABLE}:${HEAP_PAD_TUNABLE}` });
    expect(childEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin', GLIBC_TUNABLES: `${HUGE_TUNABLE}:${HEAP_PAD_TUNABLE}` });
    // a heap pad the user chose is kept (glibc takes the last of two)
    expect(childEnv({ GLIBC_TUNABLES: 'glibc.malloc.top_pad=0' })).toEqual({ GLIBC_TUNABLES: `glibc.malloc.top_pad=0:${HUGE_TUNABLE}` });
    // the parent's own environment is left as it was
    expect(parent.NODE_EXTRA_CA_CERTS).toBe('/etc/ssl/certs/ca-certificates.crt');
  });

  it('the relaunched run reads, reports and exits as the run in one process does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-huge-'));
    const log = join(dir, 'fw.log');
    const lines = Array.from({ length: 40 }, (_, i) => `Nov 25 10:00:${String(i % 60).padStart(2, '0')} sensor kernel: DROP IN=eth0 OUT= `
      + `SRC=198.51.100.${(i % 3) + 1} DST=192.0.2.1 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=${i} PROTO=TCP SPT=40000 DPT=${20 + i} WINDOW=1024 RES=0x00 SYN URGP=0`);
    writeFileSync(log, `${lines.join('\n')}\n`);
    const run = (mode: string, args: string[]): ReturnType<typeof spawnSync> =>
      spawnSync(process.execPath, [BIN, 'analyze', '--no-progress', '--json', ...args], { encoding: 'utf8', env: { ...process.env, PROBEWATCH_HUGE_PAGES: mode } });
    const here = run('0', [log]);
    const child = run('1', [log]);
    expect(here.status).toBe(0);
    expect(child.status).toBe(0);
    const doc = (r: ReturnType<typeof spawnSync>): unknown => (JSON.parse(String(r.stdout)) as { sources: unknown }).sources;
    expect(doc(child)).toEqual(doc(here));
    expect((doc(here) as unknown[]).length).toBe(3);
    // an unreadable input: exit 1 either way, with the same complaint
    const missing = join(dir, 'missing.log');
    expect(run('1', [log, missing]).status).toBe(1);
    expect(run('0', [log, missing]).status).toBe(1);
  });

  it('a signal to the parent reaches the child, and the parent ends by it as the child did', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'pw-huge-')), 'no-such-input.log');
    // stdin that stays open keeps the child reading; the marker names its processes
    const parent = spawn(process.execPath, [BIN, 'analyze', '--no-progress', marker, '-'], { stdio: ['pipe', 'ignore', 'ignore'], env: { ...process.env, PROBEWATCH_HUGE_PAGES: '1' } });
    const pids = (): number[] => execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number).filter((p) => p !== process.pid);
    const ps = (): number[] => { try { return pids(); } catch { return []; } };
    for (let i = 0; i < 100 && ps().length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    // the parent and the child it started
    const relaunches = hugePagesBlocker(['analyze', marker], { PROBEWATCH_HUGE_PAGES: '1' }, { execArgv: [] }) === null;
    expect(ps()).toHaveLength(relaunches ? 2 : 1);
    const ended = new Promise<NodeJS.Signals | null>((resolve) => parent.once('exit', (_code, signal) => { resolve(signal); }));
    parent.kill('SIGTERM');
    expect(await ended).toBe('SIGTERM');
    for (let i = 0; i < 50 && ps().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(ps()).toEqual([]);
  }, 20_000);
});
