// interned(): the same characters back, as the string table's copy.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { interned } from '../../src/domain/interned.ts';

describe('interned', () => {
  it('gives back the same characters, for built, sliced, empty and index-like strings', () => {
    const built = ['URG', 'PSH', 'FIN'].join(' ');
    expect(interned(built)).toBe('URG PSH FIN');
    expect(interned('xxSYNxx'.slice(2, 5))).toBe('SYN');
    expect(interned('')).toBe('');
    expect(interned('12')).toBe('12');
    expect(interned('4294967295')).toBe('4294967295');
  });

  it('returns the string table copy of a concatenation (what V8 compares by pointer)', () => {
    // V8's own view of the string's type; %DebugPrint needs the natives syntax, so in a child process
    const src = `const s = ['URG', 'PSH', 'FIN'].join(' '); %DebugPrint(s); %DebugPrint((${interned.toString()})(s));`;
    const r = spawnSync(process.execPath, ['--allow-natives-syntax', '-e', src], { encoding: 'utf8' });
    const types = [...r.stdout.matchAll(/^ - type: (\w+)/gm)].map((m) => m[1]);
    expect(types.length, r.stdout + r.stderr).toBeGreaterThanOrEqual(2);
    expect(types[0]).not.toMatch(/INTERNALIZED/);
    expect(types.at(-1)).toMatch(/INTERNALIZED_STRING_TYPE/);
  });
});
