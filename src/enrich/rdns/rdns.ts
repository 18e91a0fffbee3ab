// Reverse DNS: PTR with a deadline, forward-confirmed (the name must resolve back to the address), cached with its TTL.
import { Resolver } from 'node:dns/promises';
import type { Clock } from '../../domain/clock.ts';
import { systemClock } from '../../domain/clock.ts';
import { parseIp } from '../../domain/address.ts';
import type { RdnsInfo } from '../../domain/profile.ts';
import { DnsFormatError, queryPtr, reverseName } from './ptr-query.ts';

/** DNS as rDNS needs it; injectable so tests use a fake and never reach a real resolver. */
export interface DnsResolver {
  /** PTR names of an address, with the answer's TTL in seconds when the resolver reports it; [] when there is none. */
  reverse(ip: string): Promise<{ names: string[]; ttl: number | null }>;
  /** A or AAAA records of a name, with the smallest TTL. */
  forward(name: string, family: 4 | 6): Promise<{ addresses: string[]; ttl: number | null }>;
}

const NO_DATA = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN', 'ENONAME']);

/**
 * The system resolver: the name servers of /etc/resolv.conf (or `servers`). PTR queries go out through our own UDP
 * query so the record's TTL is kept (node:dns reverse() drops it); a truncated or unreadable answer falls back to
 * node:dns without a TTL (the forward record's TTL then bounds the cache). Forward lookups use node:dns, which reports
 * TTLs.
 */
export function systemResolver(timeoutMs: number, servers?: readonly string[]): DnsResolver {
  const r = new Resolver({ timeout: Math.max(100, Math.floor(timeoutMs / 2)), tries: 2 });
  if (servers && servers.length > 0) r.setServers([...servers]);
  const nodeReverse = async (ip: string): Promise<{ names: string[]; ttl: number | null }> => {
    try {
      return { names: await r.reverse(ip), ttl: null };
    } catch (e) {
      if (NO_DATA.has((e as NodeJS.ErrnoException).code ?? '')) return { names: [], ttl: null };
      throw e;
    }
  };
  return {
    async reverse(ip) {
      const parsed = parseIp(ip);
      if (!parsed) return { names: [], ttl: null };
      const name = reverseName(parsed);
      let lastError: unknown = null;
      for (const server of r.getServers()) {
        try {
          const a = await queryPtr(server, name, Math.max(100, Math.floor(timeoutMs / 2)));
          return a === 'truncated' ? await nodeReverse(ip) : a;
        } catch (e) {
          if (e instanceof DnsFormatError) return nodeReverse(ip);
          lastError = e; // unreachable or silent: ask the next server, as the system resolver would
        }
      }
      throw lastError instanceof Error ? lastError : new Error('no DNS server configured');
    },
    async forward(name, family) {
      try {
        const recs = family === 4 ? await r.resolve4(name, { ttl: true }) : await r.resolve6(name, { ttl: true });
        return { addresses: recs.map((x) => x.address), ttl: recs.length > 0 ? Math.min(...recs.map((x) => x.ttl)) : null };
      } catch (e) {
        if (NO_DATA.has((e as NodeJS.ErrnoException).code ?? '')) return { addresses: [], ttl: null };
        throw e;
      }
    },
  };
}

/** Outcome of a reverse lookup. */
export type RdnsOutcome =
  | { kind: 'done'; info: RdnsInfo | null; ttlSeconds: number; cached: boolean }
  | { kind: 'retry'; reason: string };

/** Options. */
export interface RdnsOptions {
  resolver: DnsResolver;
  /** Deadline of the whole lookup (PTR and forward confirmation), ms. */
  timeoutMs: number;
  /** TTL clamps and negative-answer lifetime, seconds. */
  minTtl: number;
  maxTtl: number;
  negativeTtl: number;
  /** Entries kept in memory. */
  cacheSize?: number;
  clock?: Clock;
}

/** Reverse DNS with an in-memory TTL cache (the worker also persists the expiry with the source). */
export class ReverseDns {
  readonly #o: RdnsOptions;
  readonly #clock: Clock;
  readonly #cache = new Map<string, { info: RdnsInfo | null; expires: number; ttl: number }>();

  constructor(opts: RdnsOptions) {
    this.#o = opts;
    this.#clock = opts.clock ?? systemClock;
  }

  #clamp(ttl: number | null, negative: boolean): number {
    if (negative) return this.#o.negativeTtl;
    const t = ttl ?? this.#o.minTtl;
    return Math.min(this.#o.maxTtl, Math.max(this.#o.minTtl, t));
  }

  /** Looks an address up; a name counts as confirmed only when one of its A/AAAA records is the address itself. */
  async lookup(input: string): Promise<RdnsOutcome> {
    const ip = parseIp(input);
    if (!ip) throw new Error(`not an IP address: ${input}`);
    const now = this.#clock.now();
    const hit = this.#cache.get(ip.text);
    if (hit && hit.expires > now) return { kind: 'done', info: hit.info, ttlSeconds: hit.ttl, cached: true };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => { reject(new Error(`timed out after ${this.#o.timeoutMs} ms`)); }, this.#o.timeoutMs);
    });
    try {
      const res = await Promise.race([this.#resolve(ip.text, ip.family), deadline]);
      const ttl = this.#clamp(res.ttl, res.info === null);
      if (this.#cache.size >= (this.#o.cacheSize ?? 10_000)) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(ip.text, { info: res.info, expires: now + ttl * 1000, ttl });
      return { kind: 'done', info: res.info, ttlSeconds: ttl, cached: false };
    } catch (e) {
      return { kind: 'retry', reason: (e as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }

  async #resolve(ip: string, family: 4 | 6): Promise<{ info: RdnsInfo | null; ttl: number | null }> {
    const ptr = await this.#o.resolver.reverse(ip);
    // attacker-controlled zone: bound the names and their length before asking anything else about them
    const names = ptr.names.filter((n) => n.length > 0 && n.length <= 253).slice(0, 8).map((n) => n.replace(/\.$/, '').toLowerCase());
    if (names.length === 0) return { info: null, ttl: ptr.ttl };
    let ttl = ptr.ttl;
    for (const name of names) {
      const fwd = await this.#o.resolver.forward(name, family);
      if (fwd.ttl !== null) ttl = ttl === null ? fwd.ttl : Math.min(ttl, fwd.ttl);
      if (fwd.addresses.some((a) => parseIp(a)?.text === ip)) return { info: { name, confirmed: true }, ttl };
    }
    return { info: { name: names[0]!, confirmed: false }, ttl };
  }
}
