// probewatch command-line entry: dispatches to one module per command and maps coded errors to exit codes.
import { isProbewatchError } from '../domain/errors.ts';
import type { Command } from './command.ts';
import { blockCommand, blocksCommand, unblockCommand } from './block.ts';
import { configCommand } from './config.ts';
import { serveCommand } from './serve.ts';
import { geoCommand } from './geo.ts';
import { whoisCommand } from './whois.ts';

const COMMANDS: readonly Command[] = [serveCommand, configCommand, geoCommand, whoisCommand, blockCommand, unblockCommand, blocksCommand];

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
    process.stdout.write(target ? `${target.usage}\n` : help());
    return 0;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`probewatch ${process.env.npm_package_version ?? '0.1.0'}\n`);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    process.stderr.write(`probewatch: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (isProbewatchError(e)) {
      process.stderr.write(`probewatch ${cmd.name}: ${e.message}\n`);
      if (e.code === 'PW_ERR_USAGE') process.stderr.write(`\n${cmd.usage}\n`);
      return e.exitCode;
    }
    process.stderr.write(`probewatch ${cmd.name}: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return 70;
  }
}

const isEntry = process.argv[1] !== undefined && /(?:cli[/\\]main\.[jt]s|bin[/\\]probewatch(?:\.js)?)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => { process.stderr.write(`${String(e)}\n`); process.exitCode = 70; },
  );
}
