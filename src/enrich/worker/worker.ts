// The enrichment worker: geo/ASN for every queued source, whois and rDNS from a danger level up, paced, retried, persistent.
import type { Clock } from '../../domain/clock.ts';
import { isoTime } from '../../domain/clock.ts';
import { belowLevelReason } from '../../domain/enrichment.ts';
import type { EnrichQueuePort, EnrichStatePort, EnrichTask, ProviderWrite, Registry } from '../../domain/enrichment.ts';
import type { ProviderState } from '../../domain/profile.ts';
import type { GeoProvider } from '../geo/geo-provider.ts';
import type { EnrichLog } from '../log.ts';
import { silentLog } from '../log.ts';
import type { ReverseDns } from '../rdns/rdns.ts';
import type { WhoisClient } from '../whois/whois-client.ts';

/** Worker settings and collaborators. */
export interface WorkerOptions {
  queue: EnrichQueuePort;
  state: EnrichStatePort;
  /** Runs `fn` in one store transaction (state writes and queue updates commit together: exactly-once after a crash). */
  transaction: <T>(fn: () => T) => T;
  /** Geo/ASN provider, or null when no database is available. */
  geo: GeoProvider | null;
  /** whois client, or null when whois is off. */
  whois: WhoisClient | null;
  /** Reverse DNS, or null when it is off. */
  rdns: ReverseDns | null;
  /** whois and rDNS only from this danger level. */
  minDangerLevel: number;
  /** whois answers are refreshed after this long, ms. */
  whoisRefreshMs: number;
  /** Backoff after timeouts and resets: base and ceiling, ms. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Network attempts per source before marking it failed. */
  maxAttempts: number;
  /** Sources geo-enriched per transaction. */
  geoBatch: number;
  /** Sources with network work in flight at most. */
  maxInFlight: number;
  /** How often database files are checked for replacement, ms. */
  mmdbCheckMs: number;
  clock: Clock;
  log?: EnrichLog;
  /** When a registry may be asked again after a denial (the pacer's cooldown), to park its sources until then. */
  registryBlockedUntil?: (registry: Registry) => number | null;
  /** Random source for jitter (tests pass a fixed one). */
  random?: () => number;
}

/** Counters for status output and tests. */
export interface WorkerStats {
  geo: number;
  whois: number;
  rdns: number;
  retries: number;
  failed: number;
}

const state = (s: ProviderState['state'], reason: string | null, now: number, extra: Partial<ProviderState> = {}): ProviderState =>
  ({ state: s, reason, fetchedAt: s === 'done' ? isoTime(now) : null, source: null, build: null, ...extra });

/** The worker. `start()` runs it in the background; `runUntilIdle()` drives it to completion (tests, offline use). */
export class EnrichWorker {
  readonly #o: WorkerOptions;
  readonly #log: EnrichLog;
  readonly #random: () => number;
  readonly #inFlight = new Set<Promise<void>>();
  #running = false;
  #timer: NodeJS.Timeout | null = null;
  #wake: (() => void) | null = null;
  #lastMmdbCheck = 0;
  #sweepCursor: string | null = '';
  #unqueuedCursor: string | null = '';
  readonly stats: WorkerStats = { geo: 0, whois: 0, rdns: 0, retries: 0, failed: 0 };

  constructor(opts: WorkerOptions) {
    this.#o = opts;
    this.#log = opts.log ?? silentLog;
    this.#random = opts.random ?? Math.random;
  }

  /** Starts the background loop (re-queuing rows a killed process had claimed). */
  start(): void {
    if (this.#running) return;
    const n = this.#o.queue.recover();
    if (n > 0) this.#log('info', `re-queued ${n} sources claimed before the last stop`);
    this.#running = true;
    void this.#loop();
  }

  /** Wakes the loop now (ingestion calls it after enqueueing; it never waits for enrichment). */
  poke(): void {
    this.#wake?.();
  }

  /** Stops claiming; waits for network work in flight (its sources stay queued if cut short). */
  async stop(): Promise<void> {
    this.#running = false;
    this.poke();
    await Promise.allSettled([...this.#inFlight]);
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      let progressed = false;
      try {
        progressed = this.step();
      } catch (e) {
        this.#log('error', `enrichment step failed: ${(e as Error).message}`);
      }
      if (progressed) {
        await new Promise<void>((r) => setImmediate(r));
        continue;
      }
      const due = this.#o.queue.nextDue();
      const now = this.#o.clock.now();
      const wait = Math.max(10, Math.min(this.#o.mmdbCheckMs, due === null ? this.#o.mmdbCheckMs : due - now, 1000));
      await new Promise<void>((r) => {
        this.#wake = r;
        this.#timer = setTimeout(r, wait);
      });
      if (this.#timer) clearTimeout(this.#timer);
      this.#wake = null;
    }
  }

  /**
   * One synchronous step: database reloads, a geo batch, the geo refresh sweep, and starting network work for due
   * sources while slots are free. Returns whether it did anything.
   */
  step(): boolean {
    const now = this.#o.clock.now();
    let did = false;
    if (this.#o.geo && now - this.#lastMmdbCheck >= this.#o.mmdbCheckMs) {
      this.#lastMmdbCheck = now;
      if (this.#o.geo.reloadChanged()) this.#sweepCursor = '';
    }
    did = this.#geoBatch(now) || did;
    did = this.#sweep(now) || did;
    did = this.#refresh(now) || did;
    did = this.#requeueUnqueued(now) || did;
    const free = this.#o.maxInFlight - this.#inFlight.size;
    if (free > 0) {
      for (const task of this.#o.queue.claim(now, free)) {
        did = true;
        const p: Promise<void> = this.#network(task).catch((e: unknown) => {
          this.#log('error', `enrichment of ${task.ip} failed: ${(e as Error).message}`);
          this.#o.queue.retry(task.ip, this.#o.clock.now() + this.#o.retryMaxMs, task.attempts + 1);
        }).finally(() => { this.#inFlight.delete(p); this.poke(); });
        this.#inFlight.add(p);
      }
    }
    return did;
  }

  /** Runs steps until nothing is due and nothing is in flight (tests, offline enrichment). */
  async runUntilIdle(): Promise<void> {
    for (;;) {
      const did = this.step();
      if (this.#inFlight.size > 0) {
        await Promise.race([...this.#inFlight]);
        continue;
      }
      if (!did) return;
    }
  }

  #geoWrites(ip: string): ProviderWrite[] {
    const now = this.#o.clock.now();
    const g = this.#o.geo;
    if (!g) {
      return [
        { provider: 'geo', state: state('disabled', 'no geo database', now), data: null },
        { provider: 'asn', state: state('disabled', 'no ASN database', now), data: null },
      ];
    }
    const r = g.lookup(ip);
    if (!r) return [];
    this.stats.geo++;
    return [
      { provider: 'geo', state: r.geoState, data: r.geo, checkedKey: g.key },
      { provider: 'asn', state: r.asnState, data: r.as, checkedKey: g.key },
    ];
  }

  /** Geo/ASN for queued sources not yet done; low-danger sources leave the queue here. */
  #geoBatch(now: number): boolean {
    const tasks = this.#o.queue.geoPending(this.#o.geoBatch);
    if (tasks.length === 0) return false;
    this.#o.transaction(() => {
      for (const t of tasks) {
        const writes = this.#geoWrites(t.ip);
        const net = t.dangerLevel >= this.#o.minDangerLevel;
        const below = belowLevelReason(this.#o.minDangerLevel);
        if (!this.#o.whois) writes.push({ provider: 'whois', state: state('disabled', 'whois is switched off', now), data: null });
        else if (!net && !this.#o.state.state(t.ip, 'whois')) writes.push({ provider: 'whois', state: state('skipped', below, now), data: null });
        if (!this.#o.rdns) writes.push({ provider: 'rdns', state: state('disabled', 'reverse DNS is switched off', now), data: null });
        else if (!net && !this.#o.state.state(t.ip, 'rdns')) writes.push({ provider: 'rdns', state: state('skipped', below, now), data: null });
        this.#o.state.write(t.ip, writes, now);
        if (net && (this.#o.whois || this.#o.rdns)) this.#o.queue.markGeoDone(t.ip);
        else this.#o.queue.finish(t);
      }
    });
    return true;
  }

  /** Re-checks geo of every source when a database changed (and sources the bounded queue dropped). */
  #sweep(now: number): boolean {
    const g = this.#o.geo;
    if (!g || this.#sweepCursor === null) return false;
    const ips = this.#o.state.geoSweep(this.#sweepCursor, g.key, this.#o.geoBatch);
    if (ips.length === 0) {
      this.#sweepCursor = null;
      return false;
    }
    this.#o.transaction(() => {
      for (const ip of ips) this.#o.state.write(ip, this.#geoWrites(ip), now);
    });
    this.#sweepCursor = ips.at(-1)!;
    return true;
  }

  /** Queues sources whose whois answer is older than the refresh age. */
  #refresh(now: number): boolean {
    if (!this.#o.whois) return false;
    const due = this.#o.state.expired('whois', now, this.#o.minDangerLevel, this.#o.geoBatch);
    if (due.length === 0) return false;
    this.#o.queue.enqueue(due.map((d) => ({ ip: d.ip, dangerLevel: Math.min(5, Math.max(0, d.dangerLevel)) as 0, lastSeen: d.lastSeen })), now);
    return true;
  }

  /**
   * Once per start: queues sources at the whois/rDNS level that are not queued and have no answer (the level was lowered
   * since they were seen, or the bounded queue dropped them), so a profile's "pending" always has a queue row behind it.
   */
  #requeueUnqueued(now: number): boolean {
    const provider = this.#o.whois ? 'whois' : this.#o.rdns ? 'rdns' : null;
    if (!provider || this.#unqueuedCursor === null) return false;
    const slice = this.#o.state.unqueued(this.#unqueuedCursor, provider, this.#o.minDangerLevel, this.#o.geoBatch);
    this.#unqueuedCursor = slice.next;
    if (slice.due.length > 0) {
      this.#o.queue.enqueue(slice.due.map((d) => ({ ip: d.ip, dangerLevel: Math.min(5, Math.max(0, d.dangerLevel)) as 0, lastSeen: d.lastSeen })), now);
    }
    return slice.due.length > 0 || slice.next !== null;
  }

  #backoff(attempts: number): number {
    const exp = Math.min(this.#o.retryMaxMs, this.#o.retryBaseMs * 2 ** Math.max(0, attempts - 1));
    return Math.round(exp * (0.5 + this.#random()));
  }

  /** whois and rDNS for one claimed source; results and the queue row commit together. */
  async #network(task: EnrichTask): Promise<void> {
    const start = this.#o.clock.now();
    const fresh = (p: 'whois' | 'rdns'): boolean => {
      const s = this.#o.state.state(task.ip, p);
      return s !== null && (s.state === 'done' || s.state === 'failed') && s.expiresAt !== null && s.expiresAt > start;
    };
    const writes: ProviderWrite[] = [];
    let retryAt: number | null = null;
    let attempts = task.attempts;
    const bump = (): number => {
      attempts = task.attempts + 1;
      return attempts;
    };

    const whois = this.#o.whois && !fresh('whois') ? this.#o.whois.lookup(task.ip) : null;
    const rdns = this.#o.rdns && !fresh('rdns') ? this.#o.rdns.lookup(task.ip) : null;
    const [w, r] = await Promise.all([whois, rdns]);
    const now = this.#o.clock.now();

    if (w) {
      switch (w.kind) {
        case 'done': {
          this.stats.whois++;
          const src = w.info?.server ?? w.server;
          writes.push({
            provider: 'whois', data: null, blockId: w.block && w.block.id > 0 ? w.block.id : null,
            state: state('done', w.reason, now, { source: src, fetchedAt: isoTime(w.block?.fetchedAt ?? now) }),
            expiresAt: (w.block?.fetchedAt ?? now) + this.#o.whoisRefreshMs,
          });
          break;
        }
        case 'skipped':
          writes.push({ provider: 'whois', state: state('skipped', w.reason, now), data: null });
          break;
        case 'denied':
          writes.push({ provider: 'whois', state: state('failed', `access denied by ${w.server}: ${w.message}`, now, { source: w.server }), data: null });
          retryAt = Math.max(0, this.#o.registryBlockedUntil?.(w.registry) ?? now + this.#o.retryMaxMs);
          break;
        case 'blocked':
          writes.push({ provider: 'whois', state: state('pending', w.reason, now), data: null });
          retryAt = w.until;
          break;
        case 'retry': {
          const n = bump();
          if (n >= this.#o.maxAttempts) {
            this.stats.failed++;
            writes.push({ provider: 'whois', state: state('failed', `${w.reason} (gave up after ${n} attempts)`, now, { source: w.server }), data: null, expiresAt: now + this.#o.whoisRefreshMs });
          } else {
            this.stats.retries++;
            writes.push({ provider: 'whois', state: state('failed', `${w.reason}; retry ${n} of ${this.#o.maxAttempts - 1} scheduled`, now, { source: w.server }), data: null });
            retryAt = now + this.#backoff(n);
          }
          break;
        }
      }
    }
    if (r) {
      if (r.kind === 'done') {
        this.stats.rdns++;
        writes.push({ provider: 'rdns', state: state('done', r.info ? null : 'no PTR record', now, { source: 'dns' }), data: r.info, expiresAt: now + r.ttlSeconds * 1000 });
      } else {
        const n = w?.kind === 'retry' ? attempts : bump();
        if (n >= this.#o.maxAttempts) {
          writes.push({ provider: 'rdns', state: state('failed', `${r.reason} (gave up after ${n} attempts)`, now), data: null, expiresAt: now + this.#o.retryMaxMs });
        } else {
          writes.push({ provider: 'rdns', state: state('failed', `${r.reason}; retry scheduled`, now), data: null });
          retryAt = Math.max(retryAt ?? 0, now + this.#backoff(n));
        }
      }
    }
    this.#o.transaction(() => {
      if (writes.length > 0) this.#o.state.write(task.ip, writes, now);
      if (retryAt !== null) this.#o.queue.retry(task.ip, retryAt, attempts);
      else this.#o.queue.finish(task);
    });
  }
}
