import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.ts';
import { MIGRATIONS } from '../../src/store/migrations/index.ts';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('store', () => {
  it('creates a WAL database with every migration applied, and reopens it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-store-'));
    dirs.push(dir);
    const db = openStore(join(dir, 'data'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    // incremental auto-vacuum (2), so retention can give pruned pages back; WAL first would have fixed it at NONE
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(2);
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
    db.close();
    const again = openStore(join(dir, 'data'));
    expect(again.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(MIGRATIONS.length);
    again.close();
  });

  it('refuses a store written by a newer probewatch', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-store-'));
    dirs.push(dir);
    const db = openStore(dir);
    db.prepare('INSERT INTO schema_migrations VALUES (9999, ?, 0)').run('future');
    db.close();
    expect(() => openStore(dir)).toThrow(/newer than this probewatch/);
  });
});
