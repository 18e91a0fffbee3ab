// The configuration example in README.md stays valid: every key it shows exists and its values pass validation.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigText, resolve } from '../../src/config/load.ts';

describe('README configuration example', () => {
  it('loads without errors and sets what it shows', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const m = /```yaml\n# \/etc\/probewatch\/probewatch\.yaml\n([\s\S]*?)```/.exec(readme);
    expect(m, 'README.md has the yaml example').not.toBeNull();
    const { config } = resolve([parseConfigText(m?.[1] ?? '', 'README.md')]);
    expect(config.api.listen).toBe('127.0.0.1:8080');
    expect(config.respond.autoIds).toBe(true);
    expect(config.detect.dangerLevels).toEqual([5, 15, 150, 1500, 10000]);
  });
});
