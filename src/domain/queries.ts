// The read interfaces the API depends on (profiles, search, change feed, blocklist, stats, admin, health); the store implements them.
import type { DangerLevel, SourceProfile } from './profile.ts';

/** A profile with the version that identifies this state of it (the ETag, the feed's event id). */
export interface VersionedProfile {
  /** The merged profile. */
  profile: SourceProfile;
  /** `sources.version`: bumped on every change to any part of the profile. */
  version: number;
  /** Wall-clock ms of the last change (Last-Modified). */
  updatedAt: number;
}

/** Builds one source's merged profile from the store (the detect, fingerprint, enrich and respond parts). */
export interface ProfileReader {
  /** The profile of a canonical address, or null when the source is unknown. */
  read(ip: string): SourceProfile | null;
  /** The profile with its version in one go (saves a lookup), when the reader can. */
  readVersioned?(ip: string): VersionedProfile | null;
}

/** The compact row of a source in lists and streams: the fields filters and sorting work on. */
export interface SourceSummary {
  /** Canonical address. */
  ip: string;
  /** 4 or 6. */
  family: 4 | 6;
  /** Current danger level. */
  dangerLevel: DangerLevel;
  /** Packets counted. */
  packets: number;
  /** First packet (ISO). */
  firstSeen: string;
  /** Last packet (ISO). */
  lastSeen: string;
  /** ISO country code of the location, or null. */
  country: string | null;
  /** City name, or null. */
  city: string | null;
  /** Autonomous system number, or null. */
  asn: number | null;
  /** AS organisation, or null. */
  asOrganization: string | null;
  /** Current OS guess as "name flavor" ("Linux 3.11 and newer"), a tool name, or null. */
  os: string | null;
  /** Busiest destination ports ("tcp/22"), at most 10. */
  ports: string[];
  /** Scan-type labels. */
  scanTypes: string[];
  /** Tags (tool names, botnets). */
  tags: string[];
  /** Sensors that logged the source. */
  sensors: string[];
  /** Blocked until (ISO), "permanent", or null. */
  blockedUntil: string | null;
  /** Profile version (the feed's event id is "ip:version"). */
  version: number;
}

/** Sort orders of source lists; every order ends with the address as tie-break, so keyset paging is exact. */
export type SourceSort = '-lastSeen' | 'lastSeen' | '-firstSeen' | 'firstSeen' | '-dangerLevel' | 'dangerLevel' | '-packets' | 'packets' | 'ip' | '-ip';

/** Every sort order, for validation and the spec test. */
export const SOURCE_SORTS: readonly SourceSort[] = ['-lastSeen', 'lastSeen', '-firstSeen', 'firstSeen', '-dangerLevel', 'dangerLevel', '-packets', 'packets', 'ip', '-ip'];

/** Filters of a source list. Values inside one field are ORed; fields are ANDed. */
export interface SourceFilter {
  /** Minimum danger level. */
  minDangerLevel?: DangerLevel;
  /** Maximum danger level. */
  maxDangerLevel?: DangerLevel;
  /** Last seen at or after (ms). */
  seenSince?: number;
  /** First seen at or before (ms). */
  seenUntil?: number;
  /** Address family. */
  family?: 4 | 6;
  /** ISO country codes (upper case). */
  country?: string[];
  /** AS numbers. */
  asn?: number[];
  /** OS names or "name flavor" labels, lower case; "unknown" for sources without a guess. */
  os?: string[];
  /** Ports: "22" (any protocol) or "tcp/22". */
  port?: string[];
  /** Scan-type labels, lower case. */
  scanType?: string[];
  /** Signatures: a sid as digits, or the rule's msg (lower case). */
  signature?: string[];
  /** Tools / tags, lower case ("nmap", "masscan", "mirai"). */
  tool?: string[];
  /** Sensors (syslog hosts), lower case. */
  sensor?: string[];
  /** Full-text whois search: alternatives, each a word or phrase ("bank", "military", "gov"). */
  whois?: string[];
}

/** Where a paged list resumes: the snapshot and the last row's sort key. */
export interface ListPosition {
  /** Outbox sequence the list's membership and order are frozen at. */
  snapshotSeq: number;
  /** Wall-clock ms when the snapshot was taken (cursors expire after api.cursorTtl). */
  snapshotTime: number;
  /** Sort key of the last row returned (its sort columns, then its address), absent on the first page. */
  after?: (number | string)[];
}

/** One page of a source list. */
export interface SourcePage {
  /** Rows in sort order. */
  items: SourceSummary[];
  /** Position after the last row, or null when the list is exhausted. */
  next: ListPosition | null;
  /** Snapshot the page was read at. */
  snapshotSeq: number;
  /** When the snapshot was taken (ms). */
  snapshotTime: number;
}

/** Profile lookups and source lists. */
export interface SourceQueries {
  /** One profile with its version, or null when unknown. `ip` is canonical. */
  get(ip: string): VersionedProfile | null;
  /** Only the version and change time (cheap; for If-None-Match), or null when unknown. */
  version(ip: string): { version: number; updatedAt: number } | null;
  /**
   * The stored response body of `ip` and the profile version it was written for, when bodies are kept
   * (api.profileDocs); the caller uses it only when that version is the current one.
   */
  doc?(ip: string): { version: number; body: Uint8Array } | undefined;
  /**
   * The version and change time with, in the same read, the stored body written for that version (null when there is
   * none: bodies off, not yet written, or written for an older version); null when the source is unknown.
   */
  current?(ip: string): { version: number; updatedAt: number; body: Uint8Array | null } | null;
  /** A page of sources matching `filter` in `sort` order, from `position` (or a fresh snapshot). */
  list(filter: SourceFilter, sort: SourceSort, limit: number, position?: ListPosition): SourcePage;
  /** Whether a snapshot taken at `snapshotTime` can still be paged. */
  snapshotAlive(snapshotTime: number): boolean;
}

/** What the change feed says about one source: it changed (read its profile) or it is gone. */
export interface FeedEntry {
  /** Outbox sequence of the newest change of this source in the page. */
  seq: number;
  /** Canonical address. */
  ip: string;
  /** Profile version at read time (0 when deleted). */
  version: number;
  /** Parts that changed in the page ("detect", "os", "enrich", "response"). */
  kinds: string[];
  /** Wall-clock ms of the newest change. */
  time: number;
  /** The source no longer exists (pruned). */
  deleted: boolean;
}

/** One page of the change feed. */
export interface FeedPage {
  /** One entry per source, in sequence order of their newest change in the page. */
  entries: FeedEntry[];
  /** Sequence to resume after (the last outbox row consumed). */
  lastSeq: number;
  /** More rows exist after lastSeq. */
  hasMore: boolean;
}

/** Identity and bounds of the change feed, for cursor checks. */
export interface FeedPosition {
  /** Random id of this store: cursors from another store (or a wiped one) are expired. */
  epoch: string;
  /** Highest sequence ever assigned. */
  latestSeq: number;
  /** Cursors below this sequence may have missed a deletion and are expired. */
  expiredBelow: number;
}

/** The profile change feed (the outbox, compacted). */
export interface ChangeFeed {
  /** Epoch and bounds. */
  position(): FeedPosition;
  /** Up to `limit` sources changed after `afterSeq`. */
  read(afterSeq: number, limit: number): FeedPage;
  /** Sequence just before the first change at or after wall-clock `timeMs` (for since/window pollers). */
  seqBefore(timeMs: number): number;
}

/** Blocklist membership changes since a sequence. */
export interface BlocklistDelta {
  /** Addresses now at or above the level (re-sent idempotently when they changed). */
  added: string[];
  /** Addresses below the level or gone. */
  removed: string[];
  /** Sequence to resume after. */
  lastSeq: number;
  /** More changes are waiting. */
  hasMore: boolean;
}

/** Sources at or above a danger level, for firewalls; read at index snapshots so deltas are exact. */
export interface BlocklistQueries {
  /** The index watermark: the snapshot a fresh list is read at. */
  snapshot(): number;
  /** Oldest sequence a delta can start from (older history was dropped). */
  horizon(): number;
  /** Addresses at or above `minLevel` at snapshot `seq`, after `afterIp` in text order, at most `limit`. */
  page(minLevel: DangerLevel, seq: number, limit: number, afterIp?: string): string[];
  /** Membership changes between snapshots `afterSeq` and `toSeq`. */
  delta(minLevel: DangerLevel, afterSeq: number, toSeq: number): BlocklistDelta;
}

/** A value and how many sources have it. */
export interface FacetCount {
  /** The value (country code, ASN, port "tcp/22", OS label, …). */
  value: string;
  /** Sources with it. */
  sources: number;
}

/** Totals and top-N breakdowns. */
export interface StoreStats {
  /** Sources known. */
  sources: number;
  /** Packets counted over all sources. */
  packets: number;
  /** Sources per danger level, index = level. */
  byDangerLevel: number[];
  /** Sources per family. */
  byFamily: { ipv4: number; ipv6: number };
  /** Busiest ports by sources. */
  topPorts: FacetCount[];
  /** Countries by sources. */
  topCountries: FacetCount[];
  /** AS numbers by sources (value is the number as text). */
  topAsns: (FacetCount & { organization: string | null })[];
  /** OS labels by sources ("unknown" included). */
  topOs: FacetCount[];
  /** Scan types by sources. */
  topScanTypes: FacetCount[];
  /** Signatures by sources (value "sid msg"). */
  topSignatures: FacetCount[];
  /** Tools / tags by sources. */
  topTools: FacetCount[];
  /** Outbox sequence the counts are indexed up to, and how far the index lags the outbox. */
  index: { seq: number; lag: number };
  /** Changes per minute by kind over the last minutes (detect ≈ ingest, enrich ≈ enrichment). */
  changesPerMinute: Record<string, number>;
}

/** Totals and breakdowns for GET /stats. */
export interface StatsQueries {
  /** Current stats; `top` caps each breakdown. */
  stats(top: number): StoreStats;
}

/** Live rates of the running daemon (lines read per second, enrichment lookups per second, queue backlog, …). */
export interface RuntimeRates {
  /** Named gauges; names are stable identifiers such as "linesPerSecond". */
  rates(): Record<string, number>;
}

/** One readiness condition of the daemon (a followed log, a listener, the store). */
export interface ReadinessCheck {
  /** What is checked ("log:/var/log/kern.log", "syslog:udp://0.0.0.0:514", "store"). */
  name: string;
  /** Open and being read. */
  ready: boolean;
  /** Human-readable state or error. */
  detail: string;
}

/** Readiness of every configured source. */
export interface ReadinessProbe {
  /** All checks; the daemon is ready when every one is. */
  checks(): ReadinessCheck[];
}
