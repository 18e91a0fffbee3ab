// The shape of a CLI command and the option set every command shares.
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { pwError } from '../domain/errors.ts';

/** A command: `run` gets the arguments after the command name and returns the exit code. */
export interface Command {
  name: string;
  /** One line for `probewatch help`. */
  summary: string;
  /** Usage text for `probewatch help NAME` and usage errors. */
  usage: string;
  run(argv: readonly string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options accepted by every command that loads configuration. */
export const COMMON_OPTIONS = {
  config: { type: 'string' },
  'psad-conf': { type: 'string' },
  'psad-override': { type: 'string', multiple: true },
  'data-dir': { type: 'string' },
  'log-level': { type: 'string' },
  'no-whois': { type: 'boolean' },
  'no-rdns': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

/** Parses argv strictly (unknown flags are usage errors with exit 2). */
export function parseCommandArgs<O extends Options>(argv: readonly string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals, strict: true });
  } catch (e) {
    throw pwError('PW_ERR_USAGE', [(e as Error).message]);
  }
}
