// whoiser and bottleneck are loaded only by a process that turns whois on (they cost ~0.11 CPU-s and ~17 MB to load).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;

/** Which of the two packages a fresh process has loaded after building the providers with `whois` on or off. */
function loaded(whois: boolean): string[] {
  const src = `
    import { createRequire } from 'node:module';
    import { buildProviders } from './src/enrich/providers.ts';
    import { loadConfig } from './src/config/load.ts';
    import { whoiserTransport } from './src/enrich/whois/transport.ts';
    const { config } = loadConfig();
    const p = buildProviders({ ...config.enrich, mmdb: [], mmdbDirs: [], bundledGeo: false, whois: ${String(whois)}, rdns: false });
    if (${String(whois)}) await whoiserTransport({ host: '127.0.0.1', port: 1, query: 'x', deadlineMs: 500, idleMs: 500, maxBytes: 10 });
    await p.pacer?.stop();
    const cache = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify(['whoiser', 'bottleneck'].filter((m) => cache.some((k) => k.includes('/node_modules/' + m + '/')))));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', src], { cwd: root, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as string[];
}

describe('whois dependencies', () => {
  it('are not loaded with whois off, and are once whois is on and queried', () => {
    expect(loaded(false)).toEqual([]);
    expect(loaded(true)).toEqual(['whoiser', 'bottleneck']);
  });
});
