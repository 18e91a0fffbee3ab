// Per-registry pacing: bottleneck limiters (queries per second, concurrency) plus a persisted daily cap and cooldown.
import { createRequire } from 'node:module';
import type Bottleneck from 'bottleneck';
import type { Clock } from '../../domain/clock.ts';
import type { Registry, RegistryStateStore } from '../../domain/enrichment.ts';
import { REGISTRIES } from '../../domain/enrichment.ts';
import type { EnrichLog } from '../log.ts';
import { silentLog } from '../log.ts';
import { RegistryBlocked } from '../whois/whois-client.ts';

/** Pacing settings. */
export interface PacerOptions {
  /** Queries per second per registry. */
  qps: Readonly<Record<Registry, number>>;
  /** Queries in flight per registry. */
  concurrency: number;
  /** Queries per UTC day per registry. */
  dailyCap: Readonly<Record<Registry, number>>;
  /** Cooldown after an access-denied answer, ms. */
  cooldownMs: number;
  /** Persisted counters and cooldowns. */
  state: RegistryStateStore;
  clock: Clock;
  log?: EnrichLog;
}

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const nextUtcDay = (ms: number): number => Date.UTC(new Date(ms).getUTCFullYear(), new Date(ms).getUTCMonth(), new Date(ms).getUTCDate() + 1);

/**
 * Paces each registry separately inside this process. bottleneck's minTime spaces query starts by 1/qps, so a registry
 * never sees more than its rate; the daily count and cooldown live in the store (bottleneck keeps nothing across restarts).
 */
export class RegistryPacer {
  readonly #o: PacerOptions;
  readonly #log: EnrichLog;
  readonly #limiters = new Map<Registry, Bottleneck>();

  constructor(opts: PacerOptions) {
    this.#o = opts;
    this.#log = opts.log ?? silentLog;
    // loaded here, not at the module's import: only a process with whois on makes a pacer (see whoiser() in transport.ts)
    const Limiter = createRequire(import.meta.url)('bottleneck') as typeof Bottleneck;
    for (const r of REGISTRIES) {
      const qps = opts.qps[r];
      // minTime spaces query starts; the server sees arrivals, which connect-time jitter can bring a few ms closer, so keep
      // a small margin to stay under the rate as the registry measures it
      this.#limiters.set(r, new Limiter({ maxConcurrent: opts.concurrency, minTime: Math.ceil((1000 / qps) * 1.02) + 10 }));
    }
  }

  /** When the registry may next be asked (0: now), and why not. */
  blocked(registry: Registry): { until: number; why: string } | null {
    const now = this.#o.clock.now();
    const s = this.#o.state.get(registry);
    if (s.cooldownUntil > now) return { until: s.cooldownUntil, why: `cooling down after access denied (${s.lastError ?? ''})` };
    if (s.day === utcDay(now) && s.dayCount >= this.#o.dailyCap[registry]) return { until: nextUtcDay(now), why: `daily cap of ${this.#o.dailyCap[registry]} queries reached` };
    return null;
  }

  /** Runs one query under the registry's pacing; throws RegistryBlocked in cooldown or at the cap. */
  readonly run = async <T>(registry: Registry, fn: () => Promise<T>): Promise<T> => {
    const b = this.blocked(registry);
    if (b) throw new RegistryBlocked(registry, b.until, b.why);
    const limiter = this.#limiters.get(registry)!;
    return limiter.schedule(async () => {
      // a denial may have arrived while this job waited its turn
      const late = this.blocked(registry);
      if (late) throw new RegistryBlocked(registry, late.until, late.why);
      const now = this.#o.clock.now();
      const s = this.#o.state.get(registry);
      const day = utcDay(now);
      this.#o.state.put(registry, { ...s, day, dayCount: (s.day === day ? s.dayCount : 0) + 1 });
      return fn();
    });
  };

  /** Starts a registry's cooldown after an access-denied answer (querying on after a denial can make a block permanent). */
  denied(registry: Registry, message: string): void {
    const now = this.#o.clock.now();
    const s = this.#o.state.get(registry);
    this.#o.state.put(registry, { ...s, cooldownUntil: now + this.#o.cooldownMs, lastError: message.slice(0, 200) });
    this.#log('warn', `whois ${registry} denied access; not asking it again before ${new Date(now + this.#o.cooldownMs).toISOString()}`, { registry, message });
  }

  /** Stops the limiters (pending jobs are dropped; their sources stay queued in the store). */
  async stop(): Promise<void> {
    await Promise.all([...this.#limiters.values()].map((l) => l.stop({ dropWaitingJobs: true }).catch(() => undefined)));
  }
}

/** In-memory registry state (one-shot commands and offline analysis). */
export class MemoryRegistryState implements RegistryStateStore {
  readonly #m = new Map<Registry, ReturnType<RegistryStateStore['get']>>();
  get(registry: Registry): ReturnType<RegistryStateStore['get']> {
    return this.#m.get(registry) ?? { cooldownUntil: 0, day: '', dayCount: 0, lastError: null };
  }
  put(registry: Registry, s: ReturnType<RegistryStateStore['get']>): void {
    this.#m.set(registry, s);
  }
}

/** Parses REGISTRY=N lists (enrich.whoisQps, enrich.whoisDailyCap) over defaults; throws naming a bad entry. */
export function perRegistry(entries: readonly string[], fallback: number, what: string): Record<Registry, number> {
  const out = Object.fromEntries(REGISTRIES.map((r) => [r, fallback])) as Record<Registry, number>;
  for (const e of entries) {
    const m = /^\s*([a-z]+)\s*=\s*(\d+(?:\.\d+)?)\s*$/i.exec(e);
    const reg = m?.[1]?.toLowerCase() as Registry | undefined;
    if (!m || !reg || !REGISTRIES.includes(reg) || Number(m[2]) <= 0) throw new Error(`${what}: bad entry "${e}" (want REGISTRY=N with N > 0, registry one of ${REGISTRIES.join(', ')})`);
    out[reg] = Number(m[2]);
  }
  return out;
}
