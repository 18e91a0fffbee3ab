// Builds the response stage from settings: guard, firewall backend, sinks, script runner, blocker, service.
import { hostname as osHostname } from 'node:os';
import type { Config } from '../config/schema.ts';
import type { Clock } from '../domain/clock.ts';
import { systemClock } from '../domain/clock.ts';
import { parseHomeNet } from '../domain/home-net.ts';
import type { BlockRepository, ResponseLogRepository } from '../domain/response.ts';
import { Blocker } from './blocker.ts';
import { splitCommand } from './command-line.ts';
import { EmailSink } from './email-sink.ts';
import { commandRunner } from './firewall/exec.ts';
import type { CommandRunner } from './firewall/exec.ts';
import { selectBackend } from './firewall/select.ts';
import { NeverBlock } from './never-block.ts';
import { policyConfig } from './policy.ts';
import { ResponseService } from './response-service.ts';
import { ScriptRunner } from './script-runner.ts';
import { syslogSinkFor } from './syslog-sink.ts';
import { WebhookSink } from './webhook-sink.ts';

/** The repositories the stage persists through (src/store/blocks.ts and src/store/response-log.ts implement them). */
export interface ResponseRepos {
  blocks: BlockRepository;
  log: ResponseLogRepository & { prune?(before: number): number };
}

/** Construction options beyond the settings. */
export interface ResponseOptions {
  clock?: Clock;
  /** Runs firewall commands (tests prefix `ip netns exec NS`). */
  runner?: CommandRunner;
  /** This machine's addresses (default: the interfaces'). */
  localAddresses?: () => readonly string[];
  /** Overrides respond.dryRun (the CLI acts for real unless --dry-run). */
  dryRun?: boolean;
  /** HOME_NET from detection's settings (detect.homeNet as configured: added to respond.homeNet, same syntax). */
  homeNet?: readonly string[];
  logger?: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

/** The never-block guard from settings. */
export function guardFrom(r: Config['respond'], o: ResponseOptions = {}): NeverBlock {
  // each list is checked under its own setting name first, so an error points at the line to fix
  parseHomeNet(r.homeNet, 'respond.homeNet');
  parseHomeNet(o.homeNet ?? [], 'detect.homeNet');
  return new NeverBlock({ allowlist: r.allowlist, homeNet: [...r.homeNet, ...(o.homeNet ?? [])], ...(o.localAddresses ? { localAddresses: o.localAddresses } : {}) });
}

/** A Blocker from settings (what the block/unblock/blocks commands use). */
export async function createBlocker(r: Config['respond'], repos: ResponseRepos, o: ResponseOptions = {}): Promise<Blocker> {
  const runner = o.runner ?? commandRunner();
  const backend = await selectBackend(runner, { kind: r.blockBackend, nftTable: r.nftTable, ipsetName: r.ipsetName, iptablesChain: r.iptablesChain, dryRun: o.dryRun ?? r.dryRun });
  return new Blocker({ backend, blocks: repos.blocks, log: repos.log, guard: guardFrom(r, o), clock: o.clock ?? systemClock });
}

/** The whole stage (what `serve` wires: detect → handle(), API admin → block/unblock/blocks). */
export async function createResponseService(r: Config['respond'], repos: ResponseRepos, o: ResponseOptions = {}): Promise<ResponseService> {
  const methods = r.alertingMethods.toLowerCase();
  const noEmail = /no.?e?mail/.test(methods);
  const noSyslog = /no.?syslog/.test(methods);
  const host = r.hostname || osHostname();
  // commands are split now so a bad one stops start-up with its setting named, not at the first alert
  const alertScript = r.externalScript.trim() ? splitCommand(r.externalScript, 'respond.externalScript') : null;
  const blockScript = r.externalBlockScript.trim() ? splitCommand(r.externalBlockScript, 'respond.externalBlockScript') : null;
  const email = !noEmail && r.emailAddresses.length > 0
    ? new EmailSink({ host: r.smtpHost, port: r.smtpPort, secure: r.smtpSecure, from: r.smtpFrom, to: r.emailAddresses, timeout: r.smtpTimeout, appendHeader: r.emailAppendHeader })
    : null;
  const syslog = noSyslog ? null : syslogSinkFor(r.syslogTarget, { facility: r.syslogFacility, priority: r.syslogPriority, identity: r.syslogIdentity, hostname: host, maxQueue: r.syslogQueueSize });
  const webhook = r.webhookUrl
    ? new WebhookSink({ url: r.webhookUrl, secret: r.webhookSecret, retries: r.webhookRetries, backoff: r.webhookBackoff, timeout: r.webhookTimeout, maxQueue: r.webhookQueueSize })
    : null;
  const blocker = await createBlocker(r, repos, o);
  return new ResponseService({
    config: r, policy: policyConfig(r, email !== null), blocker, log: repos.log, syslog, email, webhook,
    scripts: new ScriptRunner({ timeout: r.scriptTimeout, concurrency: r.scriptConcurrency, tailBytes: r.scriptOutputTail }),
    alertScript, blockScript, clock: o.clock ?? systemClock, hostname: host, ...(o.logger ? { logger: o.logger } : {}),
  });
}
