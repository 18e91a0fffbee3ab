// The JIT warm-up before big captures: it takes the paths it is meant to prime, and never changes what is printed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSynPcap } from '../../bench/lib/syn-pcap.ts';
import { warmUpFingerprinting } from '../../src/cli/fingerprint-warmup.ts';
import { P0fEncoder } from '../../src/fingerprint/p0f-encoder.ts';
import { CASES, fixtureText, p0fLines, ROOT, runP0f, stockDb } from './helpers.ts';

describe('fingerprint warm-up', () => {
  it('takes the paths a big capture reaches late: SYN+ACKs, duplicates, host and flow eviction, flushes between lines', () => {
    let chunks = 0;
    const stats = warmUpFingerprinting(stockDb(), new P0fEncoder(() => { chunks++; }, 4096));
    expect(stats.syn).toBeGreaterThan(90);
    expect(stats.synAck).toBeGreaterThan(10);
    expect(stats.duplicateSyn).toBeGreaterThan(0);
    expect(stats.hostsEvicted).toBeGreaterThan(0);
    expect(stats.flowsEvicted).toBeGreaterThan(0);
    expect(chunks).toBeGreaterThan(2);
    // nothing it did leaks into a real run in the same process
    const dir = join(CASES, 'fp-edge');
    expect(runP0f(join(dir, 'flows.pcap')).lines).toEqual(p0fLines(fixtureText(join(dir, 'flows.p0f.log'))));
  });

  it('a capture big enough to be warmed up for prints p0f\'s lines (40,000 SYNs, compared by SHA-256)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-fpwarm-'));
    try {
      const pcap = join(dir, 'gen40k.pcap');
      // the generated capture of golden.test.ts, whose p0f output is committed as a digest
      writeSynPcap(pcap, 40_000, { sources: 12_000, seed: 7, synAckShare: 0.3, maxReplyDelay: 3000 });
      expect(statSync(pcap).size).toBeGreaterThan(1 << 20);
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'fingerprint', '--signatures', 'signatures/p0f.fp', pcap], {
        cwd: ROOT, env: { ...process.env, PROBEWATCH_DATA_DIR: undefined }, maxBuffer: 64 << 20,
      });
      expect(r.status).toBe(0);
      const [sha, count] = fixtureText(join(CASES, 'fp-generated', 'p0f-lines.sha256')).trim().split(/\s+/);
      const out = r.stdout.toString();
      expect(out.split('\n').length - 1).toBe(Number(count));
      expect(createHash('sha256').update(out).digest('hex')).toBe(sha);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
