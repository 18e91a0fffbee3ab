// Enrichment ports: the shapes the enrichment worker and the store exchange (neither imports the other), and registries.
import type { DangerLevel, ProviderState, WhoisInfo } from './profile.ts';

/** The regional internet registries, plus servers outside them (rwhois, national registries). */
export type Registry = 'arin' | 'ripe' | 'apnic' | 'lacnic' | 'afrinic' | 'other';

/** Every registry, in a stable order. */
export const REGISTRIES: readonly Registry[] = ['arin', 'ripe', 'apnic', 'lacnic', 'afrinic', 'other'];

/** The enrichment providers, one state each on a profile. */
export type ProviderName = 'geo' | 'asn' | 'whois' | 'rdns';

/** A source handed to the queue by ingestion. */
export interface EnqueueItem {
  /** Canonical address. */
  ip: string;
  /** Current danger level (priority). */
  dangerLevel: DangerLevel;
  /** Last packet time, ms (recency breaks ties between equal danger levels). */
  lastSeen: number;
}

/** A queued source claimed by the worker. */
export interface EnrichTask {
  /** Canonical address. */
  ip: string;
  /** Danger level when claimed. */
  dangerLevel: DangerLevel;
  /** Last packet time, ms. */
  lastSeen: number;
  /** Failed network attempts so far. */
  attempts: number;
  /** Row generation when claimed: a re-enqueue while running bumps it, so completion re-queues instead of deleting. */
  gen: number;
}

/** One provider's stored result for a source. */
export interface ProviderWrite {
  /** Which provider. */
  provider: ProviderName;
  /** State with provenance. */
  state: ProviderState;
  /** JSON-able data: GeoInfo, AsInfo or RdnsInfo; null for none (whois data lives in its netblock). */
  data: unknown;
  /** Whois netblock id (whois only). */
  blockId?: number | null;
  /** Refresh key: the geo databases' identity, so a replaced file triggers a re-check. */
  checkedKey?: string | null;
  /** When the result goes stale (ms): whois refresh age, rDNS TTL. */
  expiresAt?: number | null;
}

/** A whois netblock answer, cached so every address inside it costs no query. */
export interface WhoisBlock {
  /** Store id (0 for blocks not stored). */
  id: number;
  /** Address family. */
  family: 4 | 6;
  /** First and last address of the block (canonical text). */
  first: string;
  last: string;
  /** Parsed record (with the raw answer). */
  info: WhoisInfo;
  /** When it was fetched (ms). */
  fetchedAt: number;
}

/** The whois cache by netblock. */
export interface WhoisCache {
  /** The most specific cached block holding `ip` fetched after `notBefore` (ms), or null. */
  find(ip: string, notBefore: number): WhoisBlock | null;
  /** Stores an answer for the block [first, last] (the queried address alone when the answer had no range); returns it. */
  save(block: Omit<WhoisBlock, 'id'>): WhoisBlock;
}

/** A registry's persisted pacing state. */
export interface RegistryState {
  /** No query before this time (ms) — set after an access-denied answer. */
  cooldownUntil: number;
  /** UTC day (YYYY-MM-DD) the counter is for. */
  day: string;
  /** Queries sent that day. */
  dayCount: number;
  /** Last error seen, for status output. */
  lastError: string | null;
}

/** Where registry pacing state survives restarts (a daily cap must not reset with the process). */
export interface RegistryStateStore {
  get(registry: Registry): RegistryState;
  put(registry: Registry, state: RegistryState): void;
}

/** A provider's stored state with the worker's bookkeeping. */
export interface StoredState extends ProviderState {
  /** Geo databases identity the result was checked against. */
  checkedKey: string | null;
  /** When the result goes stale (ms). */
  expiresAt: number | null;
  /** Whois netblock id. */
  blockId: number | null;
}

/** The queue as the worker uses it (implemented by the store). */
export interface EnrichQueuePort {
  /** Queued rows not yet geo-enriched. */
  geoPending(limit: number): EnrichTask[];
  /** Marks a row geo-enriched (it stays for whois/rDNS). */
  markGeoDone(ip: string): void;
  /** Claims due geo-enriched rows by priority. */
  claim(now: number, limit: number): EnrichTask[];
  /** Removes a finished row (re-queues it when it was raised meanwhile). */
  finish(task: EnrichTask): void;
  /** Puts a row back for later. */
  retry(ip: string, notBefore: number, attempts: number): void;
  /** Re-queues rows a dead process had claimed. */
  recover(): number;
  /** Rows queued. */
  size(): number;
  /** Earliest not-before of claimable rows, or null. */
  nextDue(): number | null;
  /** Queues sources. */
  enqueue(items: readonly EnqueueItem[], now: number): { queued: number; evicted: number };
}

/** One slice of the walk for sources that should be queued and are not. */
export interface UnqueuedSlice {
  /** Sources of the slice to queue. */
  due: { ip: string; dangerLevel: number; lastSeen: number }[];
  /** Cursor of the next slice, or null when the walk is over. */
  next: string | null;
}

/** Per-source provider states as the worker uses them (implemented by the store). */
export interface EnrichStatePort {
  /** Writes provider results (touching the change log when the profile changed); returns whether it changed. */
  write(ip: string, writes: readonly ProviderWrite[], now: number): boolean;
  /** One provider's stored state. */
  state(ip: string, provider: ProviderName): StoredState | null;
  /** Sources after `cursor` whose geo was not checked against `key`. */
  geoSweep(cursor: string, key: string, limit: number): string[];
  /**
   * Of the `limit` sources after `cursor` (by address): those at `minDanger` or above, not queued, whose `provider` has
   * no result yet (nothing stored, pending, or skipped by the level policy) — never queued at that level (the level was
   * lowered, the bounded queue dropped them). Walked once per start so "pending" always means queued.
   */
  unqueued(cursor: string, provider: 'whois' | 'rdns', minDanger: number, limit: number): UnqueuedSlice;
  /** Refresh candidates: expired results of sources at `minDanger` or above not queued. */
  expired(provider: ProviderName, now: number, minDanger: number, limit: number): { ip: string; dangerLevel: number; lastSeen: number }[];
}

/** What enrichment is asked for at all: lets a profile tell work skipped by policy from work still to do. */
export interface EnrichPolicy {
  /** whois and rDNS only from this danger level (enrich.minDangerLevel). */
  minDangerLevel: number;
  /** whois switched on (enrich.whois). */
  whois: boolean;
  /** Reverse DNS switched on (enrich.rdns). */
  rdns: boolean;
}

const BELOW_LEVEL = 'below enrich.minDangerLevel';

/** The reason of a whois/rDNS state skipped because the source is below the level (one wording everywhere). */
export function belowLevelReason(minDangerLevel: number): string {
  return `${BELOW_LEVEL} ${minDangerLevel}`;
}

/** Whether a stored state is a skip by the danger-level policy (also in the wording older stores hold). */
export function isBelowLevelSkip(s: ProviderState): boolean {
  return s.state === 'skipped' && typeof s.reason === 'string'
    && (s.reason.startsWith(BELOW_LEVEL) || s.reason.startsWith('below the minimum danger level'));
}

/**
 * The whois or rDNS state a profile shows, from what is stored and the policy. A state skipped by policy is only a
 * snapshot of the level when the worker saw the source, and many sources (level 0, fingerprint-only, dropped by the
 * bounded queue) are never visited at all: so when nothing is stored, or only a policy skip, the current level decides —
 * below the level it is `skipped` (never counted as backlog), at or above it `pending` (a rise queues the source).
 */
export function policyState(stored: ProviderState | null, provider: 'whois' | 'rdns', dangerLevel: number, policy: EnrichPolicy): ProviderState {
  if (stored && !isBelowLevelSkip(stored)) return stored;
  if (!(provider === 'whois' ? policy.whois : policy.rdns)) {
    return { state: 'disabled', reason: provider === 'whois' ? 'whois is switched off' : 'reverse DNS is switched off', fetchedAt: null, source: null, build: null };
  }
  if (dangerLevel < policy.minDangerLevel) return { state: 'skipped', reason: belowLevelReason(policy.minDangerLevel), fetchedAt: null, source: null, build: null };
  return {
    state: 'pending', reason: stored ? `queued: danger level ${dangerLevel} reached enrich.minDangerLevel ${policy.minDangerLevel}` : null,
    fetchedAt: null, source: null, build: null,
  };
}
