// Child process for the restart test: runs the enrichment worker over a store until killed (kill -9 by the test).
import { openStore } from '../../src/store/db.ts';
import { createEnrichRuntime } from '../../src/cli/enrich-runtime.ts';
import { enrich } from '../../src/config/sections/enrich.ts';
import type { EnrichSettings } from '../../src/enrich/providers.ts';

const [dir, port, mmdb] = process.argv.slice(2);
const db = openStore(dir!);
const cfg = {
  ...structuredClone(enrich.defaults), mmdb: [mmdb!], rdns: false,
  whoisServers: ['arin=127.0.0.1:' + port!], whoisQps: ['arin=40'], whoisConcurrency: 4, whoisDeadline: 5,
} as EnrichSettings;
const rt = createEnrichRuntime(db, cfg);
rt.worker.start();
process.stdout.write('started\n');
setInterval(() => {
  if (rt.queue.size() === 0) process.stdout.write('idle\n');
}, 100);
