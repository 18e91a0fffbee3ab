// `probewatch config`: prints the resolved configuration (with where each value came from) or the reference.
import { loadConfig } from '../config/load.ts';
import { renderReference } from '../config/reference.ts';
import { COMMON_OPTIONS, parseCommandArgs } from './command.ts';
import type { Command } from './command.ts';
import { configLayersFromArgs } from './load-config.ts';

export const configCommand: Command = {
  name: 'config',
  summary: 'show the resolved configuration (--explain: with origins), or the reference (--reference)',
  usage: 'probewatch config [--config FILE] [--psad-conf FILE [--psad-override FILE,…]] [--explain] [--reference]',
  run(argv) {
    const { values } = parseCommandArgs(argv, { ...COMMON_OPTIONS, explain: { type: 'boolean' }, reference: { type: 'boolean' } }, false);
    if (values.reference) {
      process.stdout.write(`${renderReference()}\n`);
      return Promise.resolve(0);
    }
    const opts = configLayersFromArgs(values);
    const { config, origins } = loadConfig(opts);
    if (values.explain) {
      for (const [k, o] of origins) process.stdout.write(`${k}\t${o.source}${o.line ? `:${o.line}` : ''}\n`);
      if (opts.psad) {
        // psad.conf keys no setting takes (daemon plumbing, mail commands, …) and what the import noticed
        process.stdout.write(`# psad.conf keys probewatch does not use: ${opts.psad.unmapped.join(', ')}\n`);
        for (const w of opts.psad.warnings) process.stdout.write(`# ${w}\n`);
      }
    } else {
      process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    }
    return Promise.resolve(0);
  },
};
