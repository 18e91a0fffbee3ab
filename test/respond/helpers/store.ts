// A real SQLite store in a temporary directory, with the response repositories.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBlocks } from '../../../src/store/blocks.ts';
import { openStore } from '../../../src/store/db.ts';
import type { Db } from '../../../src/store/db.ts';
import { SqliteResponseLog } from '../../../src/store/response-log.ts';

/** An open store and its response repositories; `reopen()` simulates a restart, `remove()` cleans up. */
export class TestStore {
  readonly dir = mkdtempSync(join(tmpdir(), 'pwrsp-store-'));
  db: Db = openStore(this.dir);
  blocks = new SqliteBlocks(this.db);
  log = new SqliteResponseLog(this.db);

  reopen(): void {
    this.db.close();
    this.db = openStore(this.dir);
    this.blocks = new SqliteBlocks(this.db);
    this.log = new SqliteResponseLog(this.db);
  }

  remove(): void {
    try {
      this.db.close();
    } catch { /* closed */ }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
