import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/config/define.ts';
import { envLayer, flagLayer, parseConfigText, resolve } from '../../src/config/load.ts';
import { renderReference } from '../../src/config/reference.ts';
import { SECTIONS } from '../../src/config/schema.ts';
import { ProbewatchError } from '../../src/domain/errors.ts';

function codeOf(fn: () => unknown): { code: string; detail: Record<string, unknown> } {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProbewatchError) return { code: e.code, detail: { ...e.detail } };
    throw e;
  }
  throw new Error('expected an error');
}

describe('configuration loading', () => {
  it('applies defaults → file → env → flags in order', () => {
    const file = parseConfigText('core:\n  dataDir: /from/file\n  logLevel: debug\n', 'pw.yaml');
    const env = envLayer({ PROBEWATCH_DATA_DIR: '/from/env' });
    const flags = flagLayer({ 'data-dir': '/from/flag' });
    expect(resolve([file]).config.core.dataDir).toBe('/from/file');
    expect(resolve([file, env]).config.core.dataDir).toBe('/from/env');
    const { config, origins } = resolve([file, env, flags]);
    expect(config.core.dataDir).toBe('/from/flag');
    expect(config.core.logLevel).toBe('debug');
    expect(origins.get('core.logLevel')).toEqual({ source: 'pw.yaml', line: 3 });
    expect(Object.isFrozen(config.core)).toBe(true);
  });

  it('rejects unknown sections and keys with file and line', () => {
    expect(codeOf(() => parseConfigText('core:\n  dataDir: /x\n  bogus: 1\n', 'a.yaml'))).toEqual({
      code: 'PW_ERR_CONFIG_UNKNOWN_KEY', detail: { key: 'core.bogus', file: 'a.yaml', line: 3 },
    });
    expect(codeOf(() => parseConfigText('nosuch:\n  a: 1\n', 'b.yaml')).detail).toMatchObject({ key: 'nosuch', line: 1 });
  });

  it('rejects bad values naming key, file and line', () => {
    const layer = parseConfigText('store:\n  retention: soon\n', 'c.yaml');
    expect(codeOf(() => resolve([layer]))).toEqual({ code: 'PW_ERR_CONFIG_VALUE', detail: { key: 'store.retention', file: 'c.yaml', line: 2 } });
    const bad = parseConfigText('store:\n  batchSize: 0\n', 'd.yaml');
    expect(codeOf(() => resolve([bad])).code).toBe('PW_ERR_CONFIG_VALUE');
    expect(codeOf(() => parseConfigText('core: [1\n', 'e.yaml')).code).toBe('PW_ERR_CONFIG');
  });

  it('parses durations', () => {
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('10m')).toBe(600);
    expect(parseDuration('2h')).toBe(7200);
    expect(parseDuration('1d')).toBe(86400);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('-1s')).toBeNull();
    expect(parseDuration('1 fortnight')).toBeNull();
  });

  it('documents every setting, and docs/configuration.md is current', () => {
    for (const s of SECTIONS) {
      expect(Object.keys(s.docs).sort()).toEqual(Object.keys(s.defaults).sort());
      for (const d of Object.values(s.docs)) expect((d as { doc: string }).doc.length).toBeGreaterThan(20);
    }
    const onDisk = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    expect(onDisk, 'run npm run gen:docs').toBe(`${renderReference()}\n`);
  });
});
