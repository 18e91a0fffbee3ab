// Benchmark: `probewatch fingerprint --format p0f` against `p0f -r … -o LOG` on 1,000,000 SYNs, in CPU-seconds, with the
// libpcap read floor (`tcpdump -r FILE -w /dev/null`) beside them. Usage: npm run bench -- fingerprint [COUNT]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSynPcap } from './lib/syn-pcap.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench', 'out');
mkdirSync(out, { recursive: true });
const count = Number(process.argv[2] ?? process.env.FP_BENCH_COUNT ?? 1_000_000);
const reps = Number(process.env.FP_BENCH_REPS ?? 3);
const pcap = join(out, `syn-${count}.pcap`);

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

if (!existsSync(pcap)) {
  const t = Date.now();
  const bytes = writeSynPcap(pcap, count);
  process.stdout.write(`generated ${pcap}: ${count} SYNs, ${(bytes / 1e6).toFixed(1)} MB in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
}

// the product as users run it: the compiled CLI (npm run build)
execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });

/** CPU seconds (user + system) of one run, measured by GNU time around the command. */
function cpu(cmd: string[], stdoutFile: string | null, env: NodeJS.ProcessEnv = process.env): number {
  const timeFile = join(out, 'time.txt');
  const shell = `${cmd.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')} > ${stdoutFile ?? '/dev/null'} 2>/dev/null`;
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, 'sh', '-c', shell], { env, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (${r.status ?? r.signal ?? '?'})`);
  const [u, s] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).map(Number);
  return (u ?? 0) + (s ?? 0);
}

/** The best of `reps` runs: on a shared machine the minimum is the least disturbed measurement. */
function best(label: string, run: () => number): number {
  const times: number[] = [];
  for (let i = 0; i < reps; i++) times.push(run());
  const min = Math.min(...times);
  process.stdout.write(`${label.padEnd(46)} ${min.toFixed(2).padStart(7)} CPU-s   (runs: ${times.map((t) => t.toFixed(2)).join(', ')})\n`);
  return min;
}

if (!existsSync('/usr/bin/time')) {
  process.stderr.write('GNU time (/usr/bin/time, Debian package "time") is needed to measure CPU seconds\n');
  process.exit(2);
}

process.stdout.write(`\n${count} SYNs, ${(statSync(pcap).size / 1e6).toFixed(1)} MB pcap, best of ${reps} runs each\n\n`);
// NODE_EXTRA_CA_CERTS makes Node parse a CA bundle at every start (~0.07 CPU-s for Debian's, before any of our code
// runs); sandboxes and CI proxies set it, a sensor's shell does not. probewatch is measured without it, and start-up
// with it is printed beside, so the effect stays visible.
const pwEnv: NodeJS.ProcessEnv = { ...process.env };
delete pwEnv.NODE_EXTRA_CA_CERTS;
const pwOut = join(out, 'probewatch.p0f.txt');
const cli = [process.execPath, join(root, 'bin', 'probewatch.js'), 'fingerprint', '--format', 'p0f'];
// each run writes a new file, as p0f's runs below do (the shell would otherwise truncate the previous 253 MB output,
// ~0.03 CPU-s of kernel time charged to probewatch and not to p0f)
const pwStock = best('probewatch fingerprint --signatures p0f.fp', () => {
  rmSync(pwOut, { force: true });
  return cpu([...cli, '--signatures', 'signatures/p0f.fp', pcap], pwOut, pwEnv);
});
// the default reader for files is the built-in one; node_pcap (libpcap) beside it
const pwLib = best('probewatch fingerprint --reader libpcap, p0f.fp', () => cpu([...cli, '--reader', 'libpcap', '--signatures', 'signatures/p0f.fp', pcap], null, pwEnv));
const pwDefault = best('probewatch fingerprint (modern.fp + p0f.fp)', () => cpu([...cli, pcap], null, pwEnv));
// what every run pays before the first packet: node, module loading, signature parsing
const tiny = join(root, 'fixtures', 'cases', 'fp-edge', 'link-raw.pcap');
const startup = best('probewatch startup (a 2-packet file)', () => cpu([...cli, '--signatures', 'signatures/p0f.fp', tiny], null, pwEnv));
if (process.env.NODE_EXTRA_CA_CERTS) {
  best('  the same with NODE_EXTRA_CA_CERTS as set here', () => cpu([...cli, '--signatures', 'signatures/p0f.fp', tiny], null));
}
let p0f: number | null = null;
const p0fLog = join(out, 'p0f.log');
if (have('p0f')) {
  p0f = best('p0f -r FILE -o LOG (TZ=UTC)', () => {
    rmSync(p0fLog, { force: true });
    return cpu(['p0f', '-r', pcap, '-o', p0fLog], null, { ...process.env, TZ: 'UTC' });
  });
} else {
  process.stdout.write('p0f not installed: no comparison\n');
}
const floor = have('tcpdump') ? best('tcpdump -r FILE -w /dev/null (libpcap floor)', () => cpu(['tcpdump', '-r', pcap, '-w', '/dev/null'], null)) : null;

process.stdout.write('\n');
if (p0f !== null) {
  // the comparison is only meaningful if the output is the same
  const theirs = readFileSync(p0fLog, 'utf8').split('\n').filter((l) => /\] mod=(syn|syn\+ack|mtu|sendsyn probe|sendsyn response)\|/.test(l));
  const ours = readFileSync(pwOut, 'utf8').split('\n').filter(Boolean);
  let same = 0;
  for (let i = 0; i < Math.min(theirs.length, ours.length); i++) if (theirs[i] === ours[i]) same++;
  process.stdout.write(`output: ${ours.length} lines, ${same} identical to p0f's ${theirs.length} (${((100 * same) / Math.max(1, theirs.length)).toFixed(3)} %)\n`);
  process.stdout.write(`speed:  probewatch is ${(p0f / pwStock).toFixed(1)}x p0f's speed (stock signatures, default reader), ${(p0f / pwLib).toFixed(1)}x with --reader libpcap, ${(p0f / pwDefault).toFixed(1)}x with modern.fp\n`);
  process.stdout.write(`        per packet, without the ${startup.toFixed(2)} s startup: ${(p0f / Math.max(0.01, pwStock - startup)).toFixed(1)}x (default reader), ${(p0f / Math.max(0.01, pwLib - startup)).toFixed(1)}x (--reader libpcap)\n`);
}
if (floor !== null) {
  process.stdout.write(`floor:  probewatch takes ${(pwStock / floor).toFixed(1)}x the CPU of a bare libpcap read (tcpdump), ${(pwLib / floor).toFixed(1)}x with --reader libpcap${p0f !== null ? `; p0f ${(p0f / floor).toFixed(1)}x` : ''}\n`);
}
process.stdout.write(`rate:   ${((count / pwStock) / 1e6).toFixed(2)} M SYN/CPU-s for probewatch (${((count / pwLib) / 1e6).toFixed(2)} M with --reader libpcap)${p0f !== null ? `, ${((count / p0f) / 1e6).toFixed(2)} M for p0f` : ''}\n`);
if (p0f !== null) {
  const target = p0f / 10;
  process.stdout.write(`target: 10x p0f = at most ${target.toFixed(2)} CPU-s: ${pwStock <= target ? 'met' : 'NOT met'} (default reader, output to a file like p0f's log), ${pwLib <= target ? 'met' : 'NOT met'} (--reader libpcap)\n`);
}
process.stdout.write(`command: npm run bench -- fingerprint ${count}   (FP_BENCH_REPS=${reps}; CLI: node bin/probewatch.js fingerprint --format p0f [--reader libpcap] --signatures signatures/p0f.fp ${pcap})\n`);
