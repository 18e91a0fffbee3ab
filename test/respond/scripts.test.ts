// External scripts: argv from the configured command (SRCIP substituted, no shell ever), PROBEWATCH_* environment,
// exit status and output tail recorded, hanging scripts killed at the deadline with their children, concurrency bound.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { splitCommand, substitute } from '../../src/respond/command-line.ts';
import { createResponseService } from '../../src/respond/create.ts';
import { ScriptRunner } from '../../src/respond/script-runner.ts';
import { notice } from './helpers/notices.ts';
import { TestStore } from './helpers/store.ts';

const FIX = join(import.meta.dirname, '../../fixtures/respond');
const dir = mkdtempSync(join(tmpdir(), 'pwrsp-scripts-'));
const pwned = join(dir, 'pwned');
const stores: TestStore[] = [];
afterAll(() => {
  for (const s of stores) s.remove();
  rmSync(dir, { recursive: true, force: true });
});

const EVIL = [`$(touch ${pwned})`, `\`touch ${pwned}\``, `; touch ${pwned}`, `| touch ${pwned}`, `&& touch ${pwned} #`];

describe('command splitting', () => {
  it('splits with quotes and escapes and expands nothing', () => {
    expect(splitCommand(`/usr/local/bin/x --ip SRCIP -v 'a b' "c \\"d\\"" e\\ f $(id) \`id\` ;`)).toEqual([
      '/usr/local/bin/x', '--ip', 'SRCIP', '-v', 'a b', 'c "d"', 'e f', '$(id)', '`id`', ';',
    ]);
    expect(substitute(['/x', 'SRCIP', '--ip=SRCIP', 'SRCIPSRCIP'], '2001:db8::7')).toEqual(['/x', '2001:db8::7', '--ip=2001:db8::7', '2001:db8::72001:db8::7']);
    expect(() => splitCommand("/x 'open")).toThrow(/unterminated single quote/);
    expect(() => splitCommand('   ')).toThrow(/empty command/);
  });
});

describe('EXTERNAL_SCRIPT through the response service', () => {
  it('passes SRCIP as one argument and the profile as PROBEWATCH_* variables; metacharacters never reach a shell', async () => {
    const st = new TestStore();
    stores.push(st);
    const out = join(dir, 'rec1');
    const cfg = {
      ...loadConfig({ env: {} }).config.respond, blockBackend: 'none', syslogTarget: '', extScriptExec: true,
      externalScript: `${join(FIX, 'record-args.sh')} ${out} --ip SRCIP '${EVIL[0]!}' "${EVIL[1]!}"`,
    };
    const svc = await createResponseService(cfg, { blocks: st.blocks, log: st.log });
    const n = notice('198.51.100.7', 3, ['192.0.2.10'], 2, { prefixes: EVIL, context: { os: [`Linux; touch ${pwned}`] } });
    n.destinations[0]!.tcp!.chains[0]!.prefix = EVIL[2]!;
    await svc.handle(n);
    const rec = readFileSync(out, 'utf8').split('\n');
    expect(rec).toContain('argc=4');
    expect(rec.filter((l) => l.startsWith('arg='))).toEqual(['arg=--ip', 'arg=198.51.100.7', `arg=${EVIL[0]!}`, `arg=${EVIL[1]!}`]);
    expect(rec).toContain('PROBEWATCH_SRC_IP=198.51.100.7');
    expect(rec).toContain('PROBEWATCH_DANGER_LEVEL=3');
    expect(rec).toContain('PROBEWATCH_PREVIOUS_LEVEL=2');
    expect(rec).toContain('PROBEWATCH_PORTS=tcp:1000-1500');
    expect(rec).toContain(`PROBEWATCH_PREFIXES=${EVIL.join(',')}`);
    expect(rec).toContain(`PROBEWATCH_OS=Linux; touch ${pwned}`);
    expect(rec.some((l) => l.startsWith('PROBEWATCH_SCAN_TYPES=') && l.includes('Nmap -sT or -sS'))).toBe(true);
    expect(existsSync(pwned)).toBe(false);
    // exit status and output tail are on the profile's response history
    const e = st.log.recent('198.51.100.7', 5).find((x) => x.kind === 'script')!;
    expect(e).toMatchObject({ ok: false, detail: { exitCode: 3, timedOut: false, outputTail: 'recorded 4 args\n' } });
    expect(st.log.profileState('198.51.100.7').scripts[0]).toMatchObject({ exitCode: 3, outputTail: 'recorded 4 args\n', timedOut: false });
    // once per source by default: a second alert does not run it again
    rmSync(out);
    await svc.handle(notice('198.51.100.7', 4, ['192.0.2.10'], 3));
    expect(existsSync(out)).toBe(false);
    await svc.stop();
  });
});

describe('script runner', () => {
  it('kills a hanging script and the children it started at the timeout', async () => {
    const r = new ScriptRunner({ timeout: 0.5, concurrency: 2, tailBytes: 100 });
    const childFile = join(dir, 'child');
    const t0 = Date.now();
    const res = await r.run([join(FIX, 'hang.sh'), childFile], {});
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(res).toMatchObject({ timedOut: true, exitCode: null, signal: 'SIGTERM', outputTail: 'hanging\n' });
    const pid = Number(/child (\d+)/.exec(readFileSync(childFile, 'utf8'))?.[1]);
    // gone or a zombie (dead, waiting for whoever adopted it to reap it)
    const alive = (): boolean => {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && alive(); i++) await new Promise((x) => setTimeout(x, 20));
    expect(alive()).toBe(false);
  });

  it('runs at most `concurrency` scripts at once, keeps only the output tail, reports a missing program', async () => {
    const r = new ScriptRunner({ timeout: 5, concurrency: 2, tailBytes: 10 });
    let peak = 0;
    const runs = Array.from({ length: 6 }, () => r.run(['/bin/sh', '-c', 'sleep 0.2; echo 0123456789abcdef'], {}));
    const timer = setInterval(() => { peak = Math.max(peak, r.running); }, 5);
    const res = await Promise.all(runs);
    clearInterval(timer);
    expect(peak).toBe(2);
    expect(res.every((x) => x.exitCode === 0 && x.outputTail === '6789abcdef\n'.slice(-10))).toBe(true);
    const missing = await r.run(['/nonexistent/script'], {});
    expect(missing.error).toMatch(/ENOENT/);
    const nul = await r.run(['/bin/sh', '-c', 'printf %s "$PROBEWATCH_X"'], { PROBEWATCH_X: 'a\0b' });
    expect(nul.outputTail).toBe('ab');
  });
});
