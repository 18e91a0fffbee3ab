// Log parsing benchmark: probewatch's parser on a generated 1,000,000-line log (~50,000 sources) beside psad 2.4.6 on a
// 20,000-line slice of the same lines, in the same run, as lines per CPU-second; prints the ratios.
//   npm run bench -- logs-parse            (BENCH_LINES=200000 for a quicker run)
// psad is measured twice: its own parse_NF_pkt_str alone (fixtures/logs/psad-parse/psad-parse.pl --count, the
// parser-to-parser comparison) and the whole `psad -A` (parsing plus its analysis, what a psad user waits for).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileFollower } from '../src/logs/follow-file.ts';
import { LineSplitter } from '../src/logs/line-splitter.ts';
import { FirewallLineParser } from '../src/logs/parse-line.ts';
import { writeFirewallLog } from './lib/fw-log.ts';

const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const SLICE = Number(process.env.BENCH_PSAD_LINES ?? 20_000);
const dir = mkdtempSync(join(tmpdir(), 'pwlog-bench-'));
const log = join(dir, 'fw.log');

function cpuSeconds(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1e6;
}

function row(name: string, lines: number, cpu: number, note = ''): number {
  const rate = lines / cpu;
  process.stdout.write(`${name.padEnd(46)} ${String(lines).padStart(9)} lines ${cpu.toFixed(2).padStart(8)} CPU-s ${Math.round(rate).toLocaleString('en-US').padStart(12)} lines/CPU-s ${note}\n`);
  return rate;
}

try {
  const bytes = await writeFirewallLog(log, { lines: LINES, sources: 50_000, seed: 1 });
  process.stdout.write(`generated ${LINES} lines (${(bytes / 1048576).toFixed(0)} MiB, ~50,000 sources) in ${log}\n\n`);

  // 1. parser alone: the file split into lines by LineSplitter (as the followers do), then parsed; best of 3
  const data = readFileSync(log);
  let parseRate = 0;
  let packets = 0;
  for (let round = 0; round < 3; round++) {
    const parser = new FirewallLineParser({ timezone: 'UTC' });
    const sp = new LineSplitter(16_384);
    packets = 0;
    const t0 = process.cpuUsage();
    for (let off = 0; off < data.length; off += 1 << 20) {
      sp.feed(data.subarray(off, Math.min(data.length, off + (1 << 20))), off);
      while (sp.next()) if (parser.parse(sp.text).kind === 'packet') packets++;
    }
    parseRate = Math.max(parseRate, LINES / cpuSeconds(process.cpuUsage(t0)));
  }
  if (packets !== LINES) throw new Error(`parsed ${packets} packets of ${LINES} lines`);
  row('probewatch parser (split + decode + parse)', LINES, LINES / parseRate, '(best of 3)');

  // 2. the whole file path: FileFollower reading, splitting, parsing and batching (2000 lines per batch)
  const t1 = process.cpuUsage();
  let got = 0;
  const f = new FileFollower({ path: log, parser: new FirewallLineParser({ timezone: 'UTC' }), follow: false, onBatch: (b) => { got += b.packets.length; } });
  await f.start();
  await f.done;
  const followRate = row('probewatch FileFollower (file → batches)', got, cpuSeconds(process.cpuUsage(t1)));
  const rss = process.resourceUsage().maxRSS / 1024;

  // 3. psad on the first SLICE lines
  const slice = join(dir, 'slice.log');
  writeFileSync(slice, data.subarray(0, nthNewline(data, SLICE - 1) + 1));
  const pp = fileURLToPath(new URL('../fixtures/logs/psad-parse/psad-parse.pl', import.meta.url));
  const pr = spawnSync('perl', [pp, '--count', slice], { encoding: 'utf8' });
  let psadParseRate = NaN;
  if (pr.status === 0) {
    const [n, ok, , , cpu] = pr.stdout.trim().split(' ').map(Number) as [number, number, number, number, number];
    psadParseRate = row('psad parse_NF_pkt_str alone', n, cpu, `(${ok} accepted)`);
  } else {
    process.stdout.write(`psad parse_NF_pkt_str: not measured (${pr.stderr.trim().split('\n')[0] ?? ''})\n`);
  }
  let psadARate = NaN;
  const w = join(dir, 'psad');
  for (const d of ['var/log', 'var/run', 'var/lib']) mkdirSync(join(w, d), { recursive: true });
  const override = join(dir, 'override.conf');
  writeFileSync(override, [`PSAD_DIR ${w}/var/log/psad;`, `PSAD_RUN_DIR ${w}/var/run/psad;`, `PSAD_FIFO_DIR ${w}/var/lib/psad;`,
    `CONF_ARCHIVE_DIR ${w}/etc-archive;`, 'ALERTING_METHODS noemail;', 'ENABLE_WHOIS_LOOKUPS N;', 'ENABLE_DNS_LOOKUPS N;', ''].join('\n'));
  const pa = spawnSync('/usr/bin/time', ['-f', '%U %S %M', 'psad', '-A', '-m', slice, '-c', '/etc/psad/psad.conf', '-O', override], { encoding: 'utf8' });
  const times = /(\d+\.\d+) (\d+\.\d+) (\d+)\s*$/.exec(pa.stderr);
  if (times && pa.stdout.includes('Finished --Analyze cycle')) {
    psadARate = row('psad -A (parse + analysis)', SLICE, Number(times[1]) + Number(times[2]), `(peak RSS ${Math.round(Number(times[3]) / 1024)} MiB)`);
  } else {
    process.stdout.write(`psad -A: not measured (${pa.stderr.trim().split('\n').slice(-1)[0] ?? 'psad missing?'})\n`);
  }

  process.stdout.write(`\nprobewatch peak RSS ${Math.round(rss)} MiB\n`);
  process.stdout.write(`ratio parser / psad parse_NF_pkt_str: ${(parseRate / psadParseRate).toFixed(0)}×\n`);
  process.stdout.write(`ratio parser / psad -A:               ${(parseRate / psadARate).toFixed(0)}×\n`);
  process.stdout.write(`ratio FileFollower / psad -A:         ${(followRate / psadARate).toFixed(0)}×\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function nthNewline(b: Buffer, n: number): number {
  let at = -1;
  for (let i = 0; i <= n; i++) {
    at = b.indexOf(10, at + 1);
    if (at < 0) return b.length - 1;
  }
  return at;
}
