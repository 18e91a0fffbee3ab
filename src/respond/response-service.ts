// The response stage as one object: takes scan notices from detection, runs the pure policy, carries out its actions
// through the sinks, scripts and the blocker, and serves block/unblock/list to the CLI-less API admin scope.
import type { Config } from '../config/schema.ts';
import type { Clock } from '../domain/clock.ts';
import { isoTime } from '../domain/clock.ts';
import type { DangerLevel } from '../domain/profile.ts';
import type { BlockAdmin, BlockOrigin, BlockRecord, BlockResult, ResponseLogRepository, ScanNotice } from '../domain/response.ts';
import type { Blocker, ReconcileReport } from './blocker.ts';
import { substitute } from './command-line.ts';
import type { EmailSink } from './email-sink.ts';
import { blockFields, noticeFields, webhookPayload } from './notice-fields.ts';
import { decide, emptyState } from './policy.ts';
import type { PolicyConfig, ResponseAction, SourceState } from './policy.ts';
import { alertSyslogLines, emailBody, emailSubject } from './psad-format.ts';
import type { ScriptRunner } from './script-runner.ts';
import type { SyslogSink } from './syslog-sink.ts';
import type { WebhookSink } from './webhook-sink.ts';

/** Everything the service works through; built by `createResponseService` (or by tests, piece by piece). */
export interface ResponseDeps {
  /** The `respond` settings. */
  config: Config['respond'];
  /** Resolved policy settings. */
  policy: PolicyConfig;
  blocker: Blocker;
  log: ResponseLogRepository & { prune?(before: number): number };
  syslog: SyslogSink | null;
  email: EmailSink | null;
  webhook: WebhookSink | null;
  scripts: ScriptRunner;
  /** EXTERNAL_SCRIPT as an argv template, or null. */
  alertScript: readonly string[] | null;
  /** EXTERNAL_BLOCK_SCRIPT as an argv template, or null. */
  blockScript: readonly string[] | null;
  clock: Clock;
  /** Host name for emails. */
  hostname: string;
  /** Diagnostics (never attacker text unescaped: callers JSON-encode). */
  logger?: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

/** psad's timeout text: "for 3600 seconds" / "(unlimited timeout)". */
function timeoutText(rec: BlockRecord): string {
  if (rec.expiresAt === null) return '(unlimited timeout)';
  return `for ${Math.round((rec.expiresAt - rec.createdAt) / 1000)} seconds`;
}

/** The response stage. Call `start()` once (restores blocks), `handle()` per notice, `stop()` at shutdown. */
export class ResponseService implements BlockAdmin {
  readonly #d: ResponseDeps;
  readonly #states = new Map<string, SourceState>();
  readonly #pending = new Set<Promise<unknown>>();
  #timer: NodeJS.Timeout | null = null;
  #reconciling: Promise<ReconcileReport> | null = null;
  #lastPrune = 0;

  constructor(d: ResponseDeps) {
    this.#d = d;
    d.blocker.hooks = { blocked: (r) => { this.onBlocked(r); }, unblocked: (r, why) => { this.onUnblocked(r, why); } };
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p)).catch(() => undefined);
    return p;
  }

  /** Resolves when every action started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  #state(ip: string): SourceState {
    let s = this.#states.get(ip);
    if (s) {
      this.#states.delete(ip);
    } else {
      const saved = this.#d.log.loadState(ip);
      try {
        s = saved ? { ...emptyState(), ...(JSON.parse(saved) as Partial<SourceState>) } : emptyState();
      } catch {
        s = emptyState();
      }
    }
    this.#states.set(ip, s);
    // LRU: Map keeps insertion order, the first key is the least recently used
    while (this.#states.size > this.#d.config.maxTrackedSources) this.#states.delete(this.#states.keys().next().value!);
    return s;
  }

  /** Handles one notice; resolves when its actions (mails, webhooks, scripts, block) are done. Never rejects. */
  handle(n: ScanNotice): Promise<void> {
    const now = this.#d.clock.now();
    let neverBlock: string | null = null;
    try {
      neverBlock = this.#d.policy.autoIds ? this.#d.blocker.guardReason(n.ip) : null;
    } catch (e) {
      neverBlock = (e as Error).message;
    }
    const prev = this.#state(n.ip);
    const { state, actions } = decide(prev, n, this.#d.policy, {
      blocked: this.#d.blocker.get(n.ip), neverBlock, now, notify: this.#d.syslog !== null || this.#d.webhook !== null,
    });
    this.#states.set(n.ip, state);
    if (JSON.stringify(prev) !== JSON.stringify(state)) this.#d.log.saveState(n.ip, JSON.stringify(state), now);
    return this.#track(Promise.allSettled(actions.map((a) => this.#act(a, n))).then(() => undefined));
  }

  async #act(a: ResponseAction, n: ScanNotice): Promise<void> {
    const d = this.#d;
    const now = d.clock.now();
    const base = { ip: n.ip, time: now, level: n.level };
    switch (a.kind) {
      case 'syslog': {
        const lines = alertSyslogLines(n, a.dst, { signatures: d.config.sigMsgSyslog, threshold: d.config.sigMsgSyslogThreshold });
        d.syslog?.send(lines);
        if (d.syslog) d.log.append({ ...base, kind: 'alert', channel: 'syslog', ok: true, detail: { dst: a.dst, lines: lines.length } });
        return;
      }
      case 'email': {
        if (!d.email) return;
        const r = await d.email.send({
          subject: emailSubject(d.config.mailAlertPrefix, n, a.dst),
          text: emailBody(n, a.dst, { now, counter: a.counter, dns: n.context?.rdns !== undefined }),
        });
        d.log.append({ ...base, kind: 'alert', channel: 'email', ok: r.ok, detail: { dst: a.dst, counter: a.counter, ...(r.ok ? {} : { error: r.error }) } });
        return;
      }
      case 'email-limit': {
        d.syslog?.send([`email limit reached for src: ${n.ip}${a.dst ? ` against dst: ${a.dst}` : ''}`]);
        let ok = true;
        if (a.statusMail && d.email) {
          const r = await d.email.send({ subject: `${d.config.mailStatusPrefix} reached email message limit for ${n.ip} on ${d.hostname}${a.dst ? ` (${a.dst})` : ''}`, text: '' });
          ok = r.ok;
        }
        d.log.append({ ...base, kind: 'limit', channel: 'email', ok, detail: { dst: a.dst, statusMail: a.statusMail } });
        return;
      }
      case 'webhook': {
        if (!d.webhook) return;
        const r = await d.webhook.send('alert', webhookPayload(n, a.dsts, d.hostname, now));
        d.log.append({ ...base, kind: 'alert', channel: 'webhook', ok: r.ok, detail: { dsts: a.dsts.length, attempts: r.attempts, ...(r.error ? { error: r.error } : {}) } });
        return;
      }
      case 'script': {
        if (!d.alertScript) return;
        await this.#runScript(d.alertScript, n.ip, n.level, { ...noticeFields(n), PROBEWATCH_EVENT: 'alert' });
        return;
      }
      case 'block':
        try {
          await d.blocker.block(n.ip, a.seconds, { reason: `DL${a.level} ${n.reason}`, origin: 'auto', level: a.level });
        } catch (e) {
          d.logger?.('error', `auto-block of ${n.ip} failed: ${(e as Error).message}`);
        }
        return;
      case 'refuse':
        d.log.append({ ...base, kind: 'refuse', channel: d.blocker.backendName, ok: false, detail: { reason: a.reason, origin: 'auto' } });
        return;
    }
  }

  async #runScript(template: readonly string[], ip: string, level: DangerLevel, fields: Record<string, string>): Promise<void> {
    const r = await this.#d.scripts.run(substitute(template, ip), fields);
    this.#d.log.append({
      ip, time: this.#d.clock.now(), kind: 'script', channel: 'script', ok: r.exitCode === 0 && !r.timedOut, level,
      detail: { command: r.command, exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, outputTail: r.outputTail, durationMs: r.durationMs, ...(r.error ? { error: r.error } : {}) },
    });
    if (r.timedOut) this.#d.logger?.('warn', `script timed out after ${this.#d.config.scriptTimeout}s: ${JSON.stringify(r.command)}`);
  }

  /** Hook target: a new block is in force (status mail, syslog, block script, webhook). */
  onBlocked(rec: BlockRecord): void {
    const d = this.#d;
    const word = d.blocker.backendName;
    d.syslog?.send([`added ${word} auto-block against ${rec.ip} ${timeoutText(rec)}`]);
    if (d.email && d.config.autoIdsEmails && rec.level >= d.config.emailAlertDangerLevel) {
      void this.#track(d.email.send({ subject: `${d.config.mailStatusPrefix} added ${word} auto-block against ${rec.ip} ${timeoutText(rec)}`, text: '' }));
    }
    if (d.webhook) void this.#track(d.webhook.send('block', { type: 'block', host: d.hostname, time: isoTime(d.clock.now()), block: { ...rec, createdAt: isoTime(rec.createdAt), expiresAt: rec.expiresAt === null ? null : isoTime(rec.expiresAt) }, backend: word }));
    if (d.blockScript && d.config.extBlockScriptExec) void this.#track(this.#runScript(d.blockScript, rec.ip, rec.level, blockFields(rec)));
  }

  /** Hook target: a block ended. */
  onUnblocked(rec: BlockRecord, why: 'unblock' | 'expire'): void {
    const d = this.#d;
    const word = d.blocker.backendName;
    d.syslog?.send([`removed ${word} auto-block against ${rec.ip}`]);
    if (d.email && d.config.autoIdsEmails && rec.level >= d.config.emailAlertDangerLevel) {
      void this.#track(d.email.send({ subject: `${d.config.mailStatusPrefix} removed ${word} block against ${rec.ip}`, text: '' }));
    }
    if (d.webhook) void this.#track(d.webhook.send('unblock', { type: 'unblock', host: d.hostname, time: isoTime(d.clock.now()), ip: rec.ip, why, backend: word }));
  }

  /** Blocks through the admin API (0 seconds = permanent). */
  block(ip: string, seconds: number, reason: string, origin: BlockOrigin): Promise<BlockResult> {
    return this.#d.blocker.block(ip, seconds, { reason, origin });
  }

  /** Unblocks through the admin API. */
  unblock(ip: string, origin: BlockOrigin): Promise<BlockResult> {
    return this.#d.blocker.unblock(ip, origin);
  }

  /** Active blocks. */
  blocks(): BlockRecord[] {
    return this.#d.blocker.list();
  }

  /** One reconcile pass now (coalesced with one already running). */
  reconcile(): Promise<ReconcileReport> {
    if (!this.#reconciling) {
      this.#reconciling = this.#d.blocker.reconcile().finally(() => { this.#reconciling = null; });
    }
    return this.#reconciling;
  }

  /** Restores blocks into the firewall and starts the reconcile timer. */
  async start(): Promise<ReconcileReport> {
    const report = await this.reconcile();
    if (report.reapplied.length > 0) this.#d.logger?.('info', `restored ${report.reapplied.length} block(s) into ${this.#d.blocker.backendName}`);
    this.#timer = setInterval(() => {
      this.reconcile().then((r) => {
        if (r.rebuilt || r.reapplied.length > 0) this.#d.logger?.('warn', `firewall had lost ${r.reapplied.length} block(s)${r.rebuilt ? ' and its probewatch structures' : ''}: re-applied`);
      }, (e: unknown) => { this.#d.logger?.('error', `reconcile failed: ${(e as Error).message}`); });
      this.#prune();
    }, this.#d.config.reconcileInterval * 1000);
    this.#timer.unref();
    return report;
  }

  #prune(): void {
    const now = this.#d.clock.now();
    if (this.#d.config.historyRetention <= 0 || now - this.#lastPrune < 3_600_000 || !this.#d.log.prune) return;
    this.#lastPrune = now;
    this.#d.log.prune(now - this.#d.config.historyRetention * 1000);
  }

  /** Stops the timer, waits for running actions (bounded), closes the sinks. */
  async stop(deadlineMs = 5000): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await Promise.race([this.idle(), new Promise((r) => setTimeout(r, deadlineMs).unref())]);
    await Promise.allSettled([this.#d.syslog?.close(1000), this.#d.email?.close(1000), this.#d.webhook?.close(1000)]);
  }
}
