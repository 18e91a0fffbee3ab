// Golden replay: every fixtures/cases/* input through analyze's pipeline, held against psad 2.4.6's own verdicts —
// exactly in psad compatibility mode, and in probewatch's own mode except where a documented deviation says otherwise.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAnalysis } from '../../src/cli/analysis.ts';
import { loadDetectRules } from '../../src/cli/detect-setup.ts';
import { resolve } from '../../src/config/load.ts';
import { importPsadConf } from '../../src/config/psad-conf.ts';
import { MemoryDirectory } from '../../src/detect/memory-directory.ts';
import { psadIp } from '../../src/domain/address.ts';

const ROOT = new URL('../../fixtures/cases/', import.meta.url).pathname;
const DOCS = readFileSync(new URL('../../docs/detect.md', import.meta.url), 'utf8');

interface Case {
  input: string;
  psadConf: string;
  overrides?: string[];
  own?: Record<string, { dl: number; deviation: string }>;
}

function readDl(file: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [ip, dl] = line.trim().split(/\s+/);
    if (ip && dl) out.set(ip, Number(dl));
  }
  return out;
}

async function verdicts(dir: string, c: Case, compat: boolean): Promise<Map<string, number>> {
  const imp = importPsadConf(join(dir, c.psadConf), (c.overrides ?? []).map((o) => join(dir, o)));
  const { config } = resolve([...imp.layers, { source: 'test', values: new Map([['detect.compat', { value: compat }]]) }]);
  const { rules } = loadDetectRules(config);
  const directory = new MemoryDirectory();
  await runAnalysis({ config, rules, directory, inputs: [join(dir, c.input)] });
  const min = Math.max(1, config.detect.minDangerLevel);
  const out = new Map<string, number>();
  for (const s of directory.sources.values()) if (s.dl >= min) out.set(psadIp(s.ip), s.dl);
  return out;
}

const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1));

const cases = readdirSync(ROOT).filter((d) => existsSync(join(ROOT, d, 'case.json'))).sort();

describe('golden cases (fixtures/cases)', () => {
  it('has the psad test corpus and the nmap corpus', () => {
    expect(cases.filter((c) => c.startsWith('psad-')).length).toBe(30);
    expect(cases).toContain('c1-nmap-stock');
    for (const c of cases) expect(existsSync(join(ROOT, c, 'SOURCE.md')), `${c}/SOURCE.md`).toBe(true);
  });

  it.each(cases)('%s: psad compatibility gives psad 2.4.6 verdicts exactly; own mode differs only as documented', async (name) => {
    const dir = join(ROOT, name);
    const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as Case;
    const psad = readDl(join(dir, 'psad.dl'));
    expect(sorted(await verdicts(dir, c, true))).toEqual(sorted(psad));
    const expected = new Map(psad);
    for (const [ip, { dl, deviation }] of Object.entries(c.own ?? {})) {
      expect(DOCS, `deviation ${deviation} of ${name} is documented`).toMatch(new RegExp(`\\| ${deviation} \\|`));
      if (dl === 0) expected.delete(ip);
      else expected.set(ip, dl);
    }
    expect(sorted(await verdicts(dir, c, false))).toEqual(sorted(expected));
  });
});
