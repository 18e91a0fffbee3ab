// The CLI dispatcher: lazy command table, help output and exit codes.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { COMMANDS, main } from '../../src/cli/main.ts';

function capture(): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
  return { out: () => out, err: () => err };
}

afterEach(() => { vi.restoreAllMocks(); });

describe('cli main', () => {
  it('keeps each table summary equal to its module\'s own name and summary', async () => {
    for (const entry of COMMANDS) {
      const cmd = await entry.load();
      expect(cmd.name).toBe(entry.name);
      expect(cmd.summary).toBe(entry.summary);
    }
    expect(new Set(COMMANDS.map((c) => c.name)).size).toBe(COMMANDS.length);
  });

  it('lists every command with its summary under help', async () => {
    const c = capture();
    expect(await main(['help'])).toBe(0);
    for (const entry of COMMANDS) expect(c.out()).toMatch(new RegExp(`^  ${entry.name} +${entry.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  });

  it('prints a command\'s usage for help NAME', async () => {
    const c = capture();
    expect(await main(['help', 'fingerprint'])).toBe(0);
    const usage = (await COMMANDS.find((e) => e.name === 'fingerprint')!.load()).usage;
    expect(c.out()).toBe(`${usage}\n`);
    expect(c.out()).toContain('--signatures');
  });

  it('maps an unknown command and a usage error to exit 2, with the usage shown', async () => {
    const c = capture();
    expect(await main(['no-such-command'])).toBe(2);
    expect(c.err()).toContain('unknown command "no-such-command"');
    expect(await main(['fingerprint', '--bogus'])).toBe(2);
    expect(c.err()).toContain('probewatch fingerprint [--signatures FILE]');
  });

  it('returns 70 for an internal error', async () => {
    const c = capture();
    const entry = COMMANDS.find((e) => e.name === 'config')!;
    const cmd = await entry.load();
    vi.spyOn(cmd, 'run').mockRejectedValue(new Error('boom'));
    expect(await main(['config'])).toBe(70);
    expect(c.err()).toContain('internal error: Error: boom');
  });
});
