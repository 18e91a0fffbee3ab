// probewatch command-line entry: dispatches to one module per command (loaded only when run) and maps coded errors to exit codes.
import { isProbewatchError } from '../domain/errors.ts';
import type { Command } from './command.ts';

/**
 * A command as the dispatcher knows it before loading it: importing every command module up front (whois, geo,
 * blocking, SQLite …) cost ~0.35 s of every run, so each module is imported only when its command runs.
 */
export interface CommandEntry {
  /** The command word. */
  name: string;
  /** One line for `probewatch help` (the module's own `summary`; a test keeps the two equal). */
  summary: string;
  /** Imports the command's module. */
  load: () => Promise<Command>;
}

/** Every command, in the order `help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'serve', summary: 'run the daemon: follow logs, detect, fingerprint, enrich, respond, and serve the API (127.0.0.1:8080)', load: async () => (await import('./serve.ts')).serveCommand },
  { name: 'ingest', summary: 'feed log or pcap files into a store (backfills, trying it out), beside a running serve or not', load: async () => (await import('./ingest.ts')).ingestCommand },
  { name: 'analyze', summary: 'analyse firewall log files like psad -A: danger levels, scan types, signatures (--json for a document)', load: async () => (await import('./analyze.ts')).analyzeCommand },
  { name: 'follow', summary: 'follow log files or journald into the store with psad daemon semantics and response rules (crash-safe resume)', load: async () => (await import('./follow.ts')).followCommand },
  { name: 'status', summary: 'show scan state from the store like psad -S (--ip, --min-dl filters; --json)', load: async () => (await import('./status.ts')).statusCommand },
  { name: 'config', summary: 'show the resolved configuration (--explain: with origins), or the reference (--reference)', load: async () => (await import('./config.ts')).configCommand },
  { name: 'doctor', summary: 'check firewall LOG rules, log arrival and loss, capture permissions and GeoIP files; print the fixes', load: async () => (await import('./doctor.ts')).doctorCommand },
  { name: 'fingerprint', summary: 'passive OS fingerprints (p0f v3) from pcap/pcapng files or live interfaces', load: async () => (await import('./fingerprint.ts')).fingerprintCommand },
  { name: 'geo', summary: 'look addresses up in the geo/ASN databases (--list: which databases are in use)', load: async () => (await import('./geo.ts')).geoCommand },
  { name: 'whois', summary: 'ask the responsible regional registry about an address (RIR from IANA tables, referrals followed)', load: async () => (await import('./whois.ts')).whoisCommand },
  { name: 'block', summary: 'block an address now (IPv4 or IPv6) in the firewall and the store; --for 90s|10m|2h|1d, 0 = permanent', load: async () => (await import('./block.ts')).blockCommand },
  { name: 'unblock', summary: 'remove the block of an address from the firewall and the store', load: async () => (await import('./block.ts')).unblockCommand },
  { name: 'blocks', summary: 'list active blocks (and whether the firewall has them); --reconcile applies the store to the firewall once', load: async () => (await import('./block.ts')).blocksCommand },
];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'probewatch — who has been probing my machines, from where, with what, and how dangerous',
    '',
    'Usage: probewatch COMMAND [options]   (probewatch help COMMAND for details)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
  ].join('\n');
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const target = rest[0] ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    process.stdout.write(target ? `${(await target.load()).usage}\n` : help());
    return 0;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`probewatch ${process.env.npm_package_version ?? '0.1.0'}\n`);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`probewatch: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  let cmd: Command | null = null;
  try {
    cmd = await entry.load();
    return await cmd.run(rest);
  } catch (e) {
    if (isProbewatchError(e)) {
      process.stderr.write(`probewatch ${entry.name}: ${e.message}\n`);
      if (e.code === 'PW_ERR_USAGE' && cmd) process.stderr.write(`\n${cmd.usage}\n`);
      return e.exitCode;
    }
    process.stderr.write(`probewatch ${entry.name}: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return 70;
  }
}

const isEntry = process.argv[1] !== undefined && /(?:cli[/\\]main\.[jt]s|bin[/\\]probewatch(?:\.js)?)$/.test(process.argv[1]);
if (isEntry) {
  const argv = process.argv.slice(2);
  // a large analyze runs in a child with huge pages for its tables (see huge-pages.ts); anything else runs here
  const relaunch = argv[0] === 'analyze'
    ? import('./huge-pages.ts').then(({ relaunchWithHugePages }) => relaunchWithHugePages(process.argv[1]!, argv))
    : Promise.resolve(null);
  relaunch.then(
    (code) => code ?? main(argv),
    () => main(argv),
  ).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => { process.stderr.write(`${String(e)}\n`); process.exitCode = 70; },
  );
  // An analysis ends by process.exit once nothing is left to do (its output written): a natural exit frees the
  // tables, hundreds of MB for a large log, piece by piece before the process ends, ~2 % of the run's CPU time
  // (paired runs of the benchmark log); the system takes the memory back whole either way.
  if (argv[0] === 'analyze') process.once('beforeExit', () => process.exit());
}
