// Benchmark: a spoofed-source flood — FLOOD_SOURCES (default 10,000,000) lines, each from a different source — through
// the follow path (parser → detector → bounded cache → SQLite, one transaction per batch with its offset). Shows peak
// memory stays under detect.memoryBudget (default 512 MB) and no count is lost; psad -A on a 20,000-source slice beside it.
// Run: npm run bench -- flood   (FLOOD_SOURCES=1000000 for a quicker run; needs Debian's psad for the comparison)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDetectRules, newLineParser } from '../src/cli/detect-setup.ts';
import { CounterWriter } from '../src/cli/scan-session.ts';
import { resolve } from '../src/config/load.ts';
import { Detector } from '../src/detect/engine.ts';
import { openStore } from '../src/store/db.ts';
import { LogOffsets } from '../src/store/log-offsets.ts';
import { ScanCache } from '../src/store/scan-cache.ts';
import { flood } from './detect-gen.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.env.FLOOD_SOURCES ?? 10_000_000);
const BATCH = 2000;

function vmHwmMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

const { config } = resolve([]);
const budgetMb = config.detect.memoryBudget;
const dir = mkdtempSync(join(tmpdir(), 'bench-flood-'));
const db = openStore(dir);
const notes: string[] = [];
const cache = new ScanCache(db, { maxHot: config.detect.maxHotSources, memoryBudget: budgetMb * 1048576, notice: (m) => notes.push(m) });
const detector = new Detector(loadDetectRules(config).rules, cache, 'timed');
const parser = newLineParser(config);
const offsets = new LogOffsets(db);
const counters = new CounterWriter();
let batch: string[] = [];
let lineNo = 0;
let peakRss = 0;
const started = Date.now();
const cpu0 = process.cpuUsage();
const commit = (): void => {
  const lines = batch;
  batch = [];
  db.transaction(() => {
    for (const l of lines) {
      const r = parser.parse(l, ++lineNo);
      if (r.kind === 'packet') detector.ingest(r.event);
    }
    cache.flush();
    counters.save(cache.repo, detector.totals);
    cache.repo.setMeta('engine', detector.meta);
    offsets.save({ source: 'flood', identity: 'bench', position: String(lineNo), line: lineNo }, Date.now());
  })();
  const rss = process.memoryUsage.rss() / 1048576;
  if (rss > peakRss) peakRss = rss;
  if (process.env.MEMDBG && lineNo % 50_000 === 0) process.stderr.write(`${lineNo} ${JSON.stringify(Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / 1048576)])))} hot ${cache.hotCount}\n`);
  if (lineNo % 500_000 === 0) {
    process.stderr.write(`  ${lineNo.toLocaleString('en')} lines, ${Math.round(lineNo / ((Date.now() - started) / 1000)).toLocaleString('en')} lines/s, ` +
      `rss ${rss.toFixed(0)} MB, hot ${cache.hotCount}, evicted ${cache.stats.evicted}\n`);
  }
};
flood(N, (l) => {
  batch.push(l);
  if (batch.length >= BATCH) commit();
});
if (batch.length > 0) commit();
db.transaction(() => {
  detector.finish();
  cache.flush();
  counters.save(cache.repo, detector.totals);
})();
const cpu = process.cpuUsage(cpu0);
const cpuS = (cpu.user + cpu.system) / 1e6;
const wall = (Date.now() - started) / 1000;
const sources = db.prepare('SELECT count(*) FROM sources').pluck().get() as number;
const packets = db.prepare('SELECT sum(packets) FROM sources').pluck().get() as number;
const pairs = db.prepare('SELECT count(*) FROM detect_pairs').pluck().get() as number;
db.close();
const fileMb = Number(spawnSync('du', ['-sm', dir], { encoding: 'utf8' }).stdout.split('\t')[0]);
rmSync(dir, { recursive: true, force: true });

// psad on a slice of the same flood, for memory per source
const slice = 20_000;
const w = mkdtempSync(join(tmpdir(), 'bench-psad-'));
for (const d of ['var/log', 'var/run', 'var/lib']) mkdirSync(join(w, d), { recursive: true });
const lines: string[] = [];
flood(slice, (l) => lines.push(l));
writeFileSync(join(w, 'flood.log'), `${lines.join('\n')}\n`);
writeFileSync(join(w, 'o.conf'), `PSAD_DIR ${w}/var/log/psad;\nPSAD_RUN_DIR ${w}/var/run/psad;\nPSAD_FIFO_DIR ${w}/var/lib/psad;\nCONF_ARCHIVE_DIR ${w}/etc-archive;\nALERTING_METHODS noemail;\nENABLE_WHOIS_LOOKUPS N;\nENABLE_DNS_LOOKUPS N;\n`);
const p = spawnSync('/usr/bin/time', ['-f', 'TIME %U %S %M', 'psad', '-A', '-m', join(w, 'flood.log'), '-c', join(ROOT, 'fixtures/psad/psad.conf'), '-O', join(w, 'o.conf')], { encoding: 'utf8', maxBuffer: 1 << 28 });
const pm = /TIME ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(p.stderr);
rmSync(w, { recursive: true, force: true });
const psadCpu = pm ? Number(pm[1]) + Number(pm[2]) : NaN;
const psadRss = pm ? Number(pm[3]) / 1024 : NaN;

process.stdout.write(`\n| run | sources | CPU s | lines/CPU-s | wall s | peak RSS MB | store MB |\n|---|---|---|---|---|---|---|\n`);
process.stdout.write(`| probewatch (follow path, maxHotSources ${config.detect.maxHotSources}, memoryBudget ${budgetMb} MB) | ${N.toLocaleString('en')} | ${cpuS.toFixed(0)} | ${Math.round(N / cpuS).toLocaleString('en')} | ${wall.toFixed(0)} | ${Math.max(peakRss, vmHwmMb()).toFixed(0)} | ${fileMb} |\n`);
process.stdout.write(`| psad -A (flood slice) | ${slice.toLocaleString('en')} | ${psadCpu.toFixed(1)} | ${Math.round(slice / psadCpu).toLocaleString('en')} | – | ${psadRss.toFixed(0)} | – |\n`);
process.stdout.write(`\nno counts lost: ${sources.toLocaleString('en')} sources with ${packets.toLocaleString('en')} packets and ${pairs.toLocaleString('en')} pairs in the store ` +
  `for ${N.toLocaleString('en')} lines; cache evicted ${cache.stats.evicted.toLocaleString('en')} times, peak ${cache.stats.peakHot.toLocaleString('en')} hot sources\n`);
process.stdout.write(`psad keeps every source in memory: ${psadRss.toFixed(0)} MB for ${slice.toLocaleString('en')} sources; probewatch's peak is bounded by the ` +
  `cache, not by the number of sources\n`);
for (const n of notes.slice(0, 3)) process.stdout.write(`notice: ${n}\n`);
if (sources !== N || packets !== N || Math.max(peakRss, vmHwmMb()) > budgetMb) process.exitCode = 1;
