// Blocks and unblocks addresses: the store is the source of truth, the firewall follows it (apply now, reconcile
// periodically: expire, re-create structures lost to a firewall reload, re-add missing entries, drop stray ones).
import { parseIp } from '../domain/address.ts';
import type { Clock } from '../domain/clock.ts';
import { pwError } from '../domain/errors.ts';
import type { DangerLevel } from '../domain/profile.ts';
import type { BlockOrigin, BlockRecord, BlockRepository, BlockResult, ResponseLogRepository } from '../domain/response.ts';
import type { FirewallBackend } from './firewall/backend.ts';
import type { NeverBlock } from './never-block.ts';

/** What one reconcile pass did. */
export interface ReconcileReport {
  /** Blocks removed because they expired. */
  expired: string[];
  /** Entries re-added because the firewall lacked them. */
  reapplied: string[];
  /** Entries removed because the store no longer has them. */
  removed: string[];
  /** Whether the firewall structures had to be re-created. */
  rebuilt: boolean;
}

/** Callbacks for the service (status mails, block script, webhooks); the CLI passes none. */
export interface BlockerHooks {
  /** After a new (not extended) block is in force. */
  blocked?(rec: BlockRecord): void;
  /** After an unblock or expiry. */
  unblocked?(rec: BlockRecord, why: 'unblock' | 'expire'): void;
}

/** Dependencies. */
export interface BlockerDeps {
  /** The firewall, or null when blocking is disabled (respond.blockBackend: none). */
  backend: FirewallBackend | null;
  blocks: BlockRepository;
  log: ResponseLogRepository;
  guard: NeverBlock;
  clock: Clock;
}

/** Adds, removes, lists and reconciles blocks. In dry-run (DryRunBackend) nothing is persisted either. */
export class Blocker {
  readonly #d: BlockerDeps;
  readonly #dry: boolean;
  /** Dry-run's own records: a dry run must not leave rows a later real run would apply. */
  readonly #dryRecords = new Map<string, BlockRecord>();
  #setupDone = false;
  /** Set by the ResponseService; the CLI leaves it empty. */
  hooks: BlockerHooks = {};

  constructor(d: BlockerDeps) {
    this.#d = d;
    this.#dry = d.backend?.name === 'dry-run';
  }

  /** The backend's name ("none" when blocking is off). */
  get backendName(): string {
    return this.#d.backend?.name ?? 'none';
  }

  #backend(): FirewallBackend {
    if (!this.#d.backend) throw pwError('PW_ERR_NO_FIREWALL', ['blocking is disabled (respond.blockBackend: none)']);
    return this.#d.backend;
  }

  /** Why `ip` must never be blocked, or null (throws PW_ERR_INVALID_ADDRESS for a non-address). */
  guardReason(ip: string): string | null {
    return this.#d.guard.reason(ip);
  }

  /** The block of `ip`, or null. */
  get(ip: string): BlockRecord | null {
    return this.#dry ? this.#dryRecords.get(ip) ?? null : this.#d.blocks.get(ip);
  }

  /** Active blocks, soonest expiry first. */
  list(): BlockRecord[] {
    return this.#dry ? [...this.#dryRecords.values()] : this.#d.blocks.list();
  }

  async #ensureSetup(): Promise<void> {
    if (this.#setupDone) return;
    await this.#backend().setup();
    this.#setupDone = true;
  }

  /**
   * Blocks `ip` for `seconds` (0 = permanent). Refuses never-block addresses (PW_ERR_BLOCK_REFUSED, logged). The row
   * is written first and removed again when the firewall fails, so a concurrent reconcile never sees an entry
   * without its row (which it would take for stray and remove).
   */
  async block(ip: string, seconds: number, o: { reason: string; origin: BlockOrigin; level?: DangerLevel }): Promise<BlockResult> {
    const p = parseIp(ip);
    if (!p) throw pwError('PW_ERR_INVALID_ADDRESS', [ip]);
    const now = this.#d.clock.now();
    const level = o.level ?? 0;
    const why = this.#d.guard.reason(p.text);
    if (why !== null) {
      this.#d.log.append({ ip: p.text, time: now, kind: 'refuse', channel: this.backendName, ok: false, level, detail: { reason: why, origin: o.origin } });
      throw pwError('PW_ERR_BLOCK_REFUSED', [p.text, why], { ip: p.text, reason: why });
    }
    const backend = this.#backend();
    const prev = this.get(p.text);
    const rec: BlockRecord = {
      ip: p.text, family: p.family, createdAt: prev?.createdAt ?? now, expiresAt: seconds > 0 ? now + seconds * 1000 : null,
      level, origin: o.origin, reason: o.reason,
    };
    if (this.#dry) this.#dryRecords.set(p.text, rec);
    else this.#d.blocks.upsert(rec, now);
    try {
      await this.#ensureSetup();
      await backend.add(p.text, p.family, seconds > 0 ? seconds : null);
    } catch (e) {
      if (prev) this.#d.blocks.upsert(prev, now);
      else this.#d.blocks.remove(p.text, now);
      this.#d.log.append({ ip: p.text, time: now, kind: 'block', channel: backend.name, ok: false, level, detail: { error: (e as Error).message, origin: o.origin } });
      throw e;
    }
    this.#d.log.append({
      ip: p.text, time: now, kind: 'block', channel: backend.name, ok: true, level,
      detail: { seconds, expiresAt: rec.expiresAt, origin: o.origin, reason: o.reason, extended: prev !== null, dryRun: this.#dry },
    });
    if (!prev) this.hooks.blocked?.(rec);
    return { ip: p.text, block: rec, applied: !this.#dry, backend: backend.name };
  }

  /** Removes the block of `ip` (PW_ERR_NOT_FOUND when there is none). */
  async unblock(ip: string, origin: BlockOrigin): Promise<BlockResult> {
    const p = parseIp(ip);
    if (!p) throw pwError('PW_ERR_INVALID_ADDRESS', [ip]);
    const prev = this.get(p.text);
    if (!prev) throw pwError('PW_ERR_NOT_FOUND', [`a block of ${p.text}`]);
    const backend = this.#backend();
    await this.#drop(prev, 'unblock', origin);
    return { ip: p.text, block: null, applied: !this.#dry, backend: backend.name };
  }

  async #drop(rec: BlockRecord, why: 'unblock' | 'expire', origin: BlockOrigin | 'timer'): Promise<void> {
    const now = this.#d.clock.now();
    // row first: a reconcile in another process then sees the entry as stray and removes it too, never re-adds it
    if (this.#dry) this.#dryRecords.delete(rec.ip);
    else this.#d.blocks.remove(rec.ip, now);
    const backend = this.#backend();
    let error: string | undefined;
    try {
      await backend.remove(rec.ip, rec.family);
    } catch (e) {
      error = (e as Error).message;
    }
    this.#d.log.append({
      ip: rec.ip, time: now, kind: why, channel: backend.name, ok: error === undefined, level: rec.level,
      detail: { origin, ...(error === undefined ? {} : { error }) },
    });
    this.hooks.unblocked?.(rec, why);
    if (error !== undefined) throw pwError('PW_ERR_FIREWALL', [backend.name, error]);
  }

  /** Addresses the firewall holds now, or null when blocking is off or the firewall cannot be read. */
  async firewallAddresses(): Promise<Set<string> | null> {
    if (!this.#d.backend) return null;
    try {
      return (await this.#d.backend.state()).addresses;
    } catch {
      return null;
    }
  }

  /** One reconcile pass (also the start-up restore). */
  async reconcile(): Promise<ReconcileReport> {
    const report: ReconcileReport = { expired: [], reapplied: [], removed: [], rebuilt: false };
    const backend = this.#d.backend;
    if (!backend) return report;
    const now = this.#d.clock.now();
    for (const r of this.list()) {
      if (r.expiresAt !== null && r.expiresAt <= now) {
        try {
          await this.#drop(r, 'expire', 'timer');
        } catch { /* logged by #drop; the entry is gone from the store and will be removed as stray next time */ }
        report.expired.push(r.ip);
      }
    }
    // read the firewall before the store: an entry added by another process after this read is not seen as stray
    let fw = await backend.state();
    if (!fw.intact) {
      await backend.setup();
      this.#setupDone = true;
      report.rebuilt = true;
      fw = await backend.state();
    }
    const active = this.list();
    const want = new Set(active.map((r) => r.ip));
    for (const r of active) {
      if (fw.addresses.has(r.ip)) continue;
      const left = r.expiresAt === null ? null : (r.expiresAt - this.#d.clock.now()) / 1000;
      if (left !== null && left < 1) continue; // expires before the next pass anyway
      await backend.add(r.ip, r.family, left);
      report.reapplied.push(r.ip);
      this.#d.log.append({ ip: r.ip, time: now, kind: 'reapply', channel: backend.name, ok: true, level: r.level, detail: { rebuilt: report.rebuilt, seconds: left } });
    }
    for (const a of fw.addresses) {
      if (want.has(a)) continue;
      const p = parseIp(a);
      if (!p) continue;
      await backend.remove(a, p.family);
      report.removed.push(a);
    }
    return report;
  }
}
