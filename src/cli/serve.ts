// `probewatch serve`: the daemon. Flags are every setting that declares one (so they grow with the settings), plus the
// embedded defaults that make a bare `probewatch serve` work on a fresh machine.
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { loadConfig } from '../config/load.ts';
import type { Loaded } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { SECTIONS } from '../config/schema.ts';
import type { SettingDoc } from '../config/define.ts';
import { Service } from '../service.ts';
import { COMMON_OPTIONS, parseCommandArgs } from './command.ts';
import type { Command } from './command.ts';
import { withFileEnv } from './file-env.ts';
import { configLayersFromArgs } from './load-config.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Flags of every setting that declares one: booleans also get --no-FLAG, lists are repeatable. */
export function settingFlags(): Options {
  const out: Options = {};
  for (const s of SECTIONS) {
    for (const doc of Object.values<SettingDoc>(s.docs)) {
      if (!doc.flag) continue;
      if (doc.kind === 'bool') {
        out[doc.flag] = { type: 'boolean' };
        out[`no-${doc.flag}`] = { type: 'boolean' };
      } else if (doc.kind === 'list' || doc.kind === 'paths' || doc.kind === 'port-list') {
        out[doc.flag] = { type: 'string', multiple: true };
      } else {
        out[doc.flag] = { type: 'string' };
      }
    }
  }
  return out;
}

/** Where state goes when nobody said: /var/lib/probewatch for root, the XDG state directory for anyone else. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string {
  if (uid === 0) return '/var/lib/probewatch';
  const base = env.XDG_STATE_HOME ?? join(env.HOME ?? homedir(), '.local', 'state');
  return join(base, 'probewatch');
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** Kernel log files tried, in order, when no intake is configured. */
export const KERNEL_LOGS = ['/var/log/kern.log', '/var/log/messages', '/var/log/syslog'];

/**
 * Fills in the embedded defaults: a data directory the user can write, and — when no log, journal or syslog listener is
 * configured — the system's kernel log: the first readable classic file, else journald when journalctl exists.
 */
export function withDefaults(loaded: Loaded, env: NodeJS.ProcessEnv = process.env): Config {
  const c = structuredClone(loaded.config);
  if (!loaded.origins.has('core.dataDir')) c.core.dataDir = defaultDataDir(env);
  const logs = c.logs;
  if (logs.files.length === 0 && !logs.journal && logs.syslogListen.length === 0) {
    const file = KERNEL_LOGS.find(readable);
    if (file) logs.files = [file];
    else if (['/usr/bin/journalctl', '/bin/journalctl'].some(readable)) logs.journal = true;
  }
  return c;
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the daemon: follow logs, detect, fingerprint, enrich, respond, and serve the API (127.0.0.1:8080)',
  usage: [
    'probewatch serve [--config FILE] [--psad-conf FILE] [--data-dir DIR] [--listen HOST:PORT] [--token-file FILE]',
    '                 [--log FILE]... [--journal] [--syslog-listen udp://HOST:PORT|tcp://HOST:PORT]... [--interface IF]...',
    '                 [--mmdb FILE]... [--no-whois] [--no-rdns] [--log-level LEVEL]',
    '',
    'Every flag has a PROBEWATCH_* environment variable and a configuration key (probewatch config --reference);',
    '--config and --psad-conf are PROBEWATCH_CONFIG and PROBEWATCH_PSAD_CONF. Flags win over the environment.',
    'Without configuration: data under /var/lib/probewatch (root) or ~/.local/state/probewatch, the API on 127.0.0.1:8080',
    'with a token created in DATA_DIR/api.token, and the kernel log (kern.log, messages or journald) as input.',
    'SIGTERM/SIGINT stop (exit 0 after flushing, 1 past api.shutdownTimeout); SIGHUP reloads the configuration.',
  ].join('\n'),
  async run(argv) {
    const options = { ...settingFlags(), ...COMMON_OPTIONS } as const;
    const { values } = parseCommandArgs(argv, options, false);
    if (values.help) {
      process.stdout.write(`${serveCommand.usage}\n`);
      return 0;
    }
    const args = withFileEnv(values);
    const load = (): Config => withDefaults(loadConfig(configLayersFromArgs(args)));
    const svc = await Service.start({ config: load(), reload: load, signals: true, version: process.env.npm_package_version ?? '0.1.0' });
    await svc.stopped;
    return 0;
  },
};
