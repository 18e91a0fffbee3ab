// RIR-aware whois lookup: registry from IANA's tables, referrals followed, one deadline for the whole chain, netblock cache.
import type { Clock } from '../../domain/clock.ts';
import { systemClock } from '../../domain/clock.ts';
import { parseIp } from '../../domain/address.ts';
import type { ParsedIp } from '../../domain/address.ts';
import type { Registry, WhoisBlock, WhoisCache } from '../../domain/enrichment.ts';
import type { WhoisInfo } from '../../domain/profile.ts';
import { registryFor } from './iana.ts';
import type { ParsedAnswer } from './parse.ts';
import { parseAnswer } from './parse.ts';
import { rangeEnds, rangeHolds } from './range.ts';
import type { Server } from './servers.ts';
import { parseServer, queryFor, registryOfHost } from './servers.ts';
import type { WhoisTransport } from './transport.ts';
import { whoiserTransport } from './transport.ts';

/** Thrown by a pacer when a registry may not be asked now (cooldown after a denial, daily cap reached). */
export class RegistryBlocked extends Error {
  readonly registry: Registry;
  /** When it may be asked again (ms). */
  readonly until: number;
  constructor(registry: Registry, until: number, why: string) {
    super(`${registry}: ${why}`);
    this.registry = registry;
    this.until = until;
  }
}

/** Runs one query to a registry under its pacing (rate, concurrency, cap); may throw RegistryBlocked. */
export type Pacer = <T>(registry: Registry, fn: () => Promise<T>) => Promise<T>;

/** Client options. */
export interface WhoisClientOptions {
  /** The five registries' servers (defaults or enrich.whoisServers overrides). */
  servers: Readonly<Record<Exclude<Registry, 'other'>, Server>>;
  /** Ask this server for everything (`probewatch whois --whois-server`); referrals are still followed. */
  forceServer?: Server | null;
  /** Transport (whoiser by default). */
  transport?: WhoisTransport;
  /** Whole-lookup deadline including referrals, ms. */
  deadlineMs: number;
  /** Idle timeout per connection, ms. */
  idleMs: number;
  /** Byte cap per answer. */
  maxBytes: number;
  /** Referrals followed at most. */
  maxReferrals: number;
  /** Netblock cache; null disables caching. */
  cache?: WhoisCache | null;
  /** Cached answers older than this are refreshed, ms. */
  refreshMs: number;
  /** Pacing; direct calls by default. */
  pacer?: Pacer;
  /** Told about every access-denied answer (to start the registry's cooldown). */
  onDenied?: (registry: Registry, message: string) => void;
  clock?: Clock;
}

/** Outcome of a lookup. */
export type WhoisOutcome =
  /** An answer (info null: no registry has the address); `reason` notes a partial result (truncated, unparsed, referral failed). */
  | { kind: 'done'; info: WhoisInfo | null; block: WhoisBlock | null; cached: boolean; reason: string | null; registry: Registry | null; server: string | null }
  /** Access denied (%ERROR:201): the registry must be left alone for a while. */
  | { kind: 'denied'; registry: Registry; server: string; message: string }
  /** Timeout or connection failure: try again later with backoff. */
  | { kind: 'retry'; registry: Registry; server: string; reason: string }
  /** The registry may not be asked now (cooldown, daily cap). */
  | { kind: 'blocked'; registry: Registry; until: number; reason: string }
  /** Nothing to ask: private, reserved or documentation address. */
  | { kind: 'skipped'; reason: string };

const hostPort = (s: Server): string => (s.port === 43 ? s.host : `${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}`);

/** The whois client. */
export class WhoisClient {
  readonly #o: WhoisClientOptions;
  readonly #transport: WhoisTransport;
  readonly #clock: Clock;
  /** Lookups in flight by /24 (IPv4) or /48 (IPv6): a neighbour waits for them, then usually hits the cache. */
  readonly #inflight = new Map<string, Promise<unknown>>();

  constructor(opts: WhoisClientOptions) {
    this.#o = opts;
    this.#transport = opts.transport ?? whoiserTransport;
    this.#clock = opts.clock ?? systemClock;
  }

  /** The server for a registry (and a referral's host, when it names a well-known registry host). */
  #serverFor(registry: Registry, referralHost?: Server): Server {
    if (registry === 'other') return referralHost ?? { host: 'whois.iana.org', port: 43 };
    return this.#o.servers[registry];
  }

  /** Looks an address up: the cache first, then the registry chain. Throws on a string that is not an address. */
  async lookup(input: string): Promise<WhoisOutcome> {
    const ip = parseIp(input);
    if (!ip) throw new Error(`not an IP address: ${input}`);
    const key = ip.family === 4 ? `4:${ip.bytes.subarray(0, 3).join('.')}` : `6:${Buffer.from(ip.bytes.subarray(0, 6)).toString('hex')}`;
    for (let waited = this.#inflight.get(key); waited; waited = this.#inflight.get(key)) await waited.catch(() => undefined);
    const p = this.#lookup(ip);
    this.#inflight.set(key, p);
    try {
      return await p;
    } finally {
      if (this.#inflight.get(key) === p) this.#inflight.delete(key);
    }
  }

  async #lookup(ip: ParsedIp): Promise<WhoisOutcome> {
    const now = this.#clock.now();
    const hit = this.#o.cache?.find(ip.text, now - this.#o.refreshMs) ?? null;
    if (hit) {
      return { kind: 'done', info: hit.info, block: hit, cached: true, reason: hit.info.parsed ? null : 'unparsed answer', registry: hit.info.registry as Registry | null, server: hit.info.server };
    }
    let registry: Registry;
    let server: Server;
    if (this.#o.forceServer) {
      server = this.#o.forceServer;
      registry = registryOfHost(server.host);
      if (registry === 'other') {
        const r = registryFor(ip);
        if (r.registry) registry = r.registry;
      }
    } else {
      const r = registryFor(ip);
      if (!r.registry) return { kind: 'skipped', reason: r.reason };
      registry = r.registry;
      server = this.#serverFor(registry);
    }

    const deadline = now + this.#o.deadlineMs;
    const visited = new Set<string>();
    let fallback: { parsed: Extract<ParsedAnswer, { kind: 'record' }>; registry: Registry; server: string; text: string; truncated: boolean } | null = null;
    let note: string | null = null;

    for (let hop = 0; hop <= this.#o.maxReferrals; hop++) {
      const key = `${server.host}:${server.port}`;
      visited.add(key);
      const left = deadline - this.#clock.now();
      if (left <= 0) {
        if (fallback) { note = `deadline reached before the referral to ${hostPort(server)}`; break; }
        return { kind: 'retry', registry, server: hostPort(server), reason: 'deadline exceeded' };
      }
      const srv = server;
      const reg = registry;
      let out;
      try {
        const run = (): ReturnType<WhoisTransport> => this.#transport({
          host: srv.host, port: srv.port, query: queryFor(reg, ip.text),
          deadlineMs: Math.max(1, Math.min(left, deadline - this.#clock.now())), idleMs: this.#o.idleMs, maxBytes: this.#o.maxBytes,
        });
        out = this.#o.pacer ? await this.#o.pacer(reg, run) : await run();
      } catch (e) {
        if (e instanceof RegistryBlocked) {
          if (fallback) { note = `referral to ${reg} not followed: ${e.message}`; break; }
          return { kind: 'blocked', registry: e.registry, until: e.until, reason: e.message };
        }
        throw e;
      }
      if (out.kind !== 'answer') {
        const why = out.kind === 'timeout' ? out.reason : `${out.code ?? 'error'}: ${out.reason}`;
        if (fallback) { note = `referral to ${hostPort(srv)} failed (${why})`; break; }
        return { kind: 'retry', registry: reg, server: hostPort(srv), reason: why };
      }
      const parsed = parseAnswer(reg, out.text, ip.text);
      if (parsed.kind === 'denied') {
        this.#o.onDenied?.(reg, parsed.message);
        if (fallback) { note = `referral to ${hostPort(srv)} denied: ${parsed.message}`; break; }
        return { kind: 'denied', registry: reg, server: hostPort(srv), message: parsed.message };
      }
      if (parsed.kind === 'record') {
        fallback = { parsed, registry: reg, server: hostPort(srv), text: out.text, truncated: out.truncated };
        note = out.truncated ? `answer truncated at ${this.#o.maxBytes} bytes` : null;
      }
      if (parsed.kind === 'nomatch') {
        if (fallback) { note = `referral to ${hostPort(srv)} found no match`; break; }
        return this.#finish(ip.text, null, reg, hostPort(srv), out.text, `no match at ${hostPort(srv)}`);
      }
      if (parsed.kind === 'unparsed') {
        if (fallback) { note = `referral answer from ${hostPort(srv)} not understood`; break; }
        return this.#finish(ip.text, { kind: 'unparsed' }, reg, hostPort(srv), out.text, out.truncated ? 'unparsed answer (truncated)' : 'unparsed answer');
      }
      // where to go next: an explicit referral, or ARIN for space a RIPE-software registry says it does not manage
      const ref = parsed.kind === 'record' ? parsed.referral : parsed.referral;
      let next: { registry: Registry; server: Server } | null = null;
      if (ref) {
        if (/^rwhois:/i.test(ref)) {
          note = `rwhois referral to ${ref} not followed`;
        } else {
          const s = parseServer(ref);
          if (s) {
            const r = registryOfHost(s.host);
            next = { registry: r, server: r === 'other' ? s : this.#serverFor(r) };
          }
        }
      } else if (parsed.kind === 'elsewhere' && reg !== 'arin') {
        next = { registry: 'arin', server: this.#o.servers.arin };
      }
      if (!next || visited.has(`${next.server.host}:${next.server.port}`) || hop === this.#o.maxReferrals) {
        if (parsed.kind === 'elsewhere' && !fallback) {
          return this.#finish(ip.text, null, reg, hostPort(srv), out.text, `no registry record (${parsed.why})`);
        }
        if (next && !note) note = `referral to ${hostPort(next.server)} not followed (limit or loop)`;
        break;
      }
      registry = next.registry;
      server = next.server;
    }
    if (!fallback) return { kind: 'retry', registry, server: hostPort(server), reason: 'no answer' };
    return this.#finish(ip.text, fallback.parsed, fallback.registry, fallback.server, fallback.text, note);
  }

  /** Builds the WhoisInfo, caches it by netblock (the address alone when the answer gave no range holding it). */
  #finish(ip: string, parsed: ParsedAnswer | null, registry: Registry, server: string, text: string, reason: string | null): WhoisOutcome {
    const p = parseIp(ip)!;
    const raw = text.slice(0, this.#o.maxBytes);
    let info: WhoisInfo | null = null;
    let range = { first: ip, last: ip };
    if (parsed?.kind === 'record') {
      info = { registry, server, ...parsed.fields, parsed: true, raw };
      if (parsed.range && rangeHolds(parsed.range, p.bytes)) range = rangeEnds(parsed.range);
    } else if (parsed?.kind === 'unparsed') {
      info = {
        registry, server, range: null, cidrs: [], netname: null, orgName: null, orgId: null, country: null, descr: [], abuse: null,
        status: null, created: null, updated: null, originAs: null, parsed: false, raw,
      };
    }
    let block: WhoisBlock | null = null;
    if (info) {
      const b = { family: p.family, first: range.first, last: range.last, info, fetchedAt: this.#clock.now() };
      block = this.#o.cache ? this.#o.cache.save(b) : { ...b, id: 0 };
    }
    return { kind: 'done', info, block, cached: false, reason, registry, server };
  }
}
