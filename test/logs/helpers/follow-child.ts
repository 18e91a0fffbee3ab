// Child process for the kill -9 test: follows a log into a real store, committing packets and offset per batch.
// argv: dataDir logPath follow|once delayMs. A packet seen twice violates the PRIMARY KEY and exits 3.
import { FileFollower } from '../../../src/logs/follow-file.ts';
import { FirewallLineParser } from '../../../src/logs/parse-line.ts';
import type { LogBatch } from '../../../src/logs/batch.ts';
import { openStore } from '../../../src/store/db.ts';
import { LogOffsets } from '../../../src/store/log-offsets.ts';

const [dataDir, path, mode, delay] = process.argv.slice(2) as [string, string, string, string];
const db = openStore(dataDir);
db.exec('CREATE TABLE IF NOT EXISTS t_seen (seq INTEGER PRIMARY KEY)');
const offsets = new LogOffsets(db);
const ins = db.prepare('INSERT INTO t_seen (seq) VALUES (?)');
const commit = db.transaction((b: LogBatch) => {
  for (const p of b.packets) ins.run(p.uid);
  if (b.offset) offsets.save(b.offset, Date.now());
});
const delayMs = Number(delay);
const f = new FileFollower({
  path,
  parser: new FirewallLineParser({ timezone: 'UTC' }),
  start: offsets.get(path),
  follow: mode === 'follow',
  batchSize: 200,
  pollIntervalMs: 30,
  onBatch: async (b) => {
    commit(b);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  },
  onNotice: (n) => {
    if (n.kind === 'error') {
      process.stderr.write(`follower error: ${n.message}\n`);
      process.exit(3);
    }
  },
});
process.on('SIGTERM', () => { void f.stop().then(() => { db.close(); process.exit(0); }); });
await f.start();
await f.done;
db.close();
