// `probewatch block ADDR`, `unblock ADDR`, `blocks`: act on the firewall and the store directly, with or without a
// running serve (whose reconcile loop reads the same store); never in dry-run unless --dry-run is given.
import { formatDuration, parseDuration } from '../config/define.ts';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { isoTime } from '../domain/clock.ts';
import { pwError } from '../domain/errors.ts';
import type { BlockRecord } from '../domain/response.ts';
import type { Blocker } from '../respond/blocker.ts';
import { createBlocker } from '../respond/create.ts';
import { SqliteBlocks } from '../store/blocks.ts';
import { openStore } from '../store/db.ts';
import type { Db } from '../store/db.ts';
import { SqliteResponseLog } from '../store/response-log.ts';
import { COMMON_OPTIONS, parseCommandArgs } from './command.ts';
import type { Command } from './command.ts';
import { configLayersFromArgs } from './load-config.ts';

const OPTIONS = { ...COMMON_OPTIONS, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } } as const;

async function open(values: Readonly<Record<string, unknown>>): Promise<{ config: Config; db: Db; blocker: Blocker }> {
  // --dry-run is read here, not through the settings: a dryRun in the config file must not make an operator's
  // explicit block silently do nothing
  const flags = { ...values };
  delete flags['dry-run'];
  const { config } = loadConfig(configLayersFromArgs(flags));
  const db = openStore(config.core.dataDir);
  try {
    // detect.homeNet guards blocking as in serve: an operator's block must not reach what serve would refuse
    const blocker = await createBlocker(config.respond, { blocks: new SqliteBlocks(db), log: new SqliteResponseLog(db) }, {
      dryRun: values['dry-run'] === true, homeNet: config.detect.homeNet,
    });
    return { config, db, blocker };
  } catch (e) {
    db.close();
    throw e;
  }
}

function one(positionals: readonly string[]): string {
  if (positionals.length !== 1) throw pwError('PW_ERR_USAGE', [`expected one address, got ${positionals.length}`]);
  return positionals[0]!;
}

function until(r: BlockRecord): string {
  return r.expiresAt === null ? 'permanent' : isoTime(r.expiresAt);
}

export const blockCommand: Command = {
  name: 'block',
  summary: 'block an address now (IPv4 or IPv6) in the firewall and the store; --for 90s|10m|2h|1d, 0 = permanent',
  usage: 'probewatch block ADDR [--for DURATION] [--reason TEXT] [--data-dir DIR] [--config FILE] [--dry-run] [--json]\n'
    + '  DURATION: 90s, 10m, 2h, 1d (0 = permanent; default respond.autoBlockTimeout). Exit 3 when ADDR is on the never-block list.',
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, { ...OPTIONS, for: { type: 'string' }, reason: { type: 'string' } });
    const ip = one(positionals);
    const { config, db, blocker } = await open(values);
    try {
      const seconds = values.for === undefined ? config.respond.autoBlockTimeout : parseDuration(values.for);
      if (seconds === null) throw pwError('PW_ERR_USAGE', [`--for: expected a duration such as 90s, 10m, 2h, 1d or 0, got ${JSON.stringify(values.for)}`]);
      const r = await blocker.block(ip, seconds, { reason: values.reason ?? 'operator', origin: 'cli' });
      if (values.json) {
        process.stdout.write(`${JSON.stringify(r)}\n`);
      } else {
        const how = seconds > 0 ? `for ${formatDuration(seconds)} (until ${until(r.block!)})` : 'permanently';
        process.stdout.write(`${r.applied ? 'blocked' : 'dry run: would block'} ${r.ip} ${how} (${r.applied ? r.backend : blocker.backendName})\n`);
      }
      return 0;
    } finally {
      db.close();
    }
  },
};

export const unblockCommand: Command = {
  name: 'unblock',
  summary: 'remove the block of an address from the firewall and the store',
  usage: 'probewatch unblock ADDR [--data-dir DIR] [--config FILE] [--dry-run] [--json]   (exit 1 when ADDR is not blocked)',
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS);
    const ip = one(positionals);
    const { db, blocker } = await open(values);
    try {
      const r = await blocker.unblock(ip, 'cli');
      process.stdout.write(values.json ? `${JSON.stringify(r)}\n` : `${r.applied ? 'unblocked' : 'dry run: would unblock'} ${r.ip} (${r.backend})\n`);
      return 0;
    } finally {
      db.close();
    }
  },
};

export const blocksCommand: Command = {
  name: 'blocks',
  summary: 'list active blocks (and whether the firewall has them); --reconcile applies the store to the firewall once',
  usage: 'probewatch blocks [--data-dir DIR] [--config FILE] [--json] [--reconcile]\n'
    + '  --reconcile: expire due blocks, re-add lost ones, remove stray entries (what serve does every respond.reconcileInterval)',
  async run(argv) {
    const { values } = parseCommandArgs(argv, { ...OPTIONS, reconcile: { type: 'boolean' } }, false);
    const { db, blocker } = await open(values);
    try {
      if (values.reconcile) {
        const rep = await blocker.reconcile();
        process.stderr.write(`reconciled: ${rep.expired.length} expired, ${rep.reapplied.length} re-applied, ${rep.removed.length} stray removed${rep.rebuilt ? ', firewall structures re-created' : ''}\n`);
      }
      const list = blocker.list();
      const present = await blocker.firewallAddresses();
      const now = Date.now();
      if (values.json) {
        process.stdout.write(`${JSON.stringify(list.map((r) => ({ ...r, createdAt: isoTime(r.createdAt), expiresAt: r.expiresAt === null ? null : isoTime(r.expiresAt), inFirewall: present?.has(r.ip) ?? null })))}\n`);
        return 0;
      }
      if (list.length === 0) {
        process.stdout.write(`no blocks (${blocker.backendName})\n`);
        return 0;
      }
      const rows = list.map((r) => [
        r.ip, until(r), r.expiresAt === null ? '-' : r.expiresAt <= now ? 'expired' : formatDuration(Math.ceil((r.expiresAt - now) / 1000)),
        `DL${r.level}`, r.origin, present === null ? '?' : present.has(r.ip) ? 'yes' : 'MISSING', r.reason,
      ]);
      const head = ['address', 'until', 'left', 'level', 'origin', 'in firewall', 'reason'];
      const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      for (const r of [head, ...rows]) process.stdout.write(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ')}\n`);
      return 0;
    } finally {
      db.close();
    }
  },
};
