// Large databases are loaded with their search tree read block by block: the same answers as a whole image, a fraction
// of the file read, and a file rewritten in place never mixed into a tree.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { planDatabases } from '../../src/enrich/geo/default-dbs.ts';
import { GeoProvider } from '../../src/enrich/geo/geo-provider.ts';
import { loadGeneration, MmdbFile, prefetchDatabases } from '../../src/enrich/geo/mmdb-file.ts';

const bundled = planDatabases({ mmdb: [], mmdbDirs: [], bundledGeo: true }).fallback;
const small = new URL('../../fixtures/enrich/mmdb/GeoLite2-City-Test.mmdb', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'pw-mmdb-lazy-'));
afterAll(() => { rmSync(tmp, { recursive: true, force: true }); });

const addr = fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 }));

describe('lazily read search trees', () => {
  it('answer as the whole image does, in any order, reading only the blocks lookups reach', () => {
    expect(bundled.length).toBeGreaterThanOrEqual(2);
    for (const path of bundled) {
      const f = new MmdbFile(path);
      expect(f.reload()).toBe('reloaded');
      const lazy = f.generation!;
      const whole = loadGeneration(readFileSync(path), 'whole');
      // a fresh load has read the data section and metadata, not the tree (the trees are 7–59 MB of these files)
      const start = lazy.resident();
      expect(start.of).toBe(whole.resident().of);
      expect(start.bytes).toBeLessThan(start.of * 0.75);
      expect([lazy.role, lazy.ipVersion, lazy.hasV4, lazy.build]).toEqual([whole.role, whole.ipVersion, whole.hasV4, whole.build]);
      fc.assert(fc.property(fc.array(addr, { minLength: 1, maxLength: 20 }), (batch) => {
        for (const b of batch) {
          if (b.length === 16 && whole.ipVersion === 4) continue;
          expect(lazy.find(b)).toEqual(whole.find(b));
        }
      }), { numRuns: 100 });
      // scattered lookups read more of the tree (IPv6 ones mostly end in the few top blocks already read)
      const after = lazy.resident();
      expect(after.bytes).toBeGreaterThanOrEqual(start.bytes);
      expect(after.bytes).toBeLessThanOrEqual(after.of);
      if (whole.ipVersion === 4) {
        for (let i = 0; i < 300; i++) lazy.find(Uint8Array.of((i * 97) & 255, (i * 31) & 255, i & 255, 1));
        expect(lazy.resident().bytes).toBeGreaterThan(after.bytes);
      }
      lazy.close();
    }
  });

  it('let go of a lazy tree\'s descriptor on close(), per file and for a whole provider; lookups fail until a reload', () => {
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const before = fds();
    const f = new MmdbFile(bundled[0]!);
    expect(f.reload()).toBe('reloaded');
    expect(fds()).toBe(before + 1);
    f.close();
    expect(fds()).toBe(before);
    expect(f.lookup(new Uint8Array([198, 51, 100, 1]), 4)).toEqual({ kind: 'error', reason: 'closed' });
    expect(f.reload()).toBe('reloaded');
    expect(f.lookup(new Uint8Array([198, 51, 100, 1]), 4).kind).not.toBe('error');
    f.close();
    const g = new GeoProvider({ files: [], fallback: bundled });
    expect(fds()).toBe(before + bundled.length);
    expect(g.lookup('198.51.100.1')?.geoState.state).toBe('done');
    g.close();
    expect(fds()).toBe(before);
  });

  it('read small files whole', () => {
    const f = new MmdbFile(small);
    expect(f.reload()).toBe('reloaded');
    const r = f.generation!.resident();
    expect(r.bytes).toBe(r.of);
  });

  it('never mix a file rewritten in place into a tree: lookups that need unread blocks fail until the reload', () => {
    const v4 = bundled.find((p) => p.includes('ipv4'))!;
    const other = bundled.find((p) => p.includes('asn'))!;
    const live = join(tmp, 'live.mmdb');
    copyFileSync(v4, live);
    const f = new MmdbFile(live);
    expect(f.reload()).toBe('reloaded');
    const gen = f.generation!;
    const seen = Uint8Array.of(81, 2, 69, 142);
    const before = f.lookup(seen, 4);
    expect(before.kind).not.toBe('error');
    // rewritten in place (same inode): another database's bytes, a later mtime
    writeFileSync(live, readFileSync(other));
    utimesSync(live, new Date(), new Date(Date.now() + 5000));
    // what was read before still answers from the loaded generation; anything needing a block not read yet fails
    expect(f.lookup(seen, 4)).toEqual(before);
    const fresh = [...Array(200).keys()].map((i) => f.lookup(Uint8Array.of(1 + i, (i * 37) & 255, (i * 91) & 255, 7), 4));
    expect(fresh.some((r) => r.kind === 'error' && r.reason.includes('changed on disk'))).toBe(true);
    expect(fresh.every((r) => r.kind === 'error' || r.kind === 'found' || r.kind === 'absent')).toBe(true);
    // the reload reads the new file: an ASN database now
    expect(f.reload()).toBe('reloaded');
    expect(f.generation).not.toBe(gen);
    expect(f.generation!.role).toBe('asn');
    // the replaced generation let its file go: a walk that needs a block it never read fails, it does not read
    let closed = 0;
    for (let i = 0; i < 200 && closed === 0; i++) {
      try {
        gen.find(Uint8Array.of(200 - i, (i * 53) & 255, 11, 3));
      } catch (e) {
        expect((e as Error).message).toMatch(/closed/);
        closed++;
      }
    }
    expect(closed).toBe(1);
  });

  it('take an image read ahead with its tree still to read, and read the tree from the same file', async () => {
    const v4 = bundled.find((p) => p.includes('ipv4'))!;
    const ahead = join(tmp, 'ahead.mmdb');
    copyFileSync(v4, ahead);
    await prefetchDatabases([ahead]).done;
    const f = new MmdbFile(ahead);
    expect(f.reload()).toBe('reloaded');
    const whole = loadGeneration(readFileSync(v4), 'whole');
    const r = f.generation!.resident();
    expect(r.bytes).toBeLessThan(r.of * 0.75);
    for (const b of [Uint8Array.of(81, 2, 69, 142), Uint8Array.of(8, 8, 8, 8), Uint8Array.of(203, 0, 113, 9)]) {
      expect(f.generation!.find(b)).toEqual(whole.find(b));
    }
  });
});
