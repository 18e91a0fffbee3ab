// The fingerprint command's bundle step: top-level `var`s esbuild made are `const` again unless something assigns them.
import { describe, expect, it } from 'vitest';
import { restoreConst } from '../../scripts/bundle-commands.ts';

describe('restoreConst', () => {
  it('turns unassigned top-level vars into consts and leaves assigned ones alone', () => {
    const code = [
      'var TABLE = new Int32Array(4);',
      'var count = 0;',
      'var cache = null;',
      'var stamp = "";',
      'var seen = 1;',
      'var $dollar = 2;',
      'var flag = 3;',
      'function f() { count++; cache ??= {}; stamp += "x"; TABLE[0] = seen === 1 ? 1 : 0; obj.flag = 4; return $dollar; }',
      'function g() { const local = 1; let x = local; x = 2; return x; }',
      '  var inner = 5;',
    ].join('\n');
    const out = restoreConst(code).split('\n');
    expect(out[0]).toBe('const TABLE = new Int32Array(4);');
    expect(out[1]).toBe('var count = 0;');
    expect(out[2]).toBe('var cache = null;');
    expect(out[3]).toBe('var stamp = "";');
    // compared, not assigned; a property of the same name is not the binding
    expect(out[4]).toBe('const seen = 1;');
    expect(out[5]).toBe('const $dollar = 2;');
    expect(out[6]).toBe('const flag = 3;');
    // only top-level statements are touched
    expect(out[9]).toBe('  var inner = 5;');
  });

  it('keeps a var that is decremented or assigned with a compound operator', () => {
    const out = restoreConst('var a = 1;\nvar b = 2;\nvar c = 3;\n--a; b <<= 1; c ||= 4;\n');
    expect(out).toBe('var a = 1;\nvar b = 2;\nvar c = 3;\n--a; b <<= 1; c ||= 4;\n');
  });
});
