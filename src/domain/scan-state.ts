// Per-source scan state as detection keeps it (psad's %scan, %curr_scan and %scan_dl per source), shared by the pure
// detector that changes it, the store that persists it and the profile builder that renders it.
import type { DangerLevel } from './profile.ts';
import type { ScanTable } from './scan-table.ts';

/** Lowest and highest destination port seen. */
export interface PortRange {
  /** Lowest port. */
  lo: number;
  /** Highest port. */
  hi: number;
}

/** One signature's hits on one (source, destination, chain), psad's $scan{src}{dst}{proto}{sid}{sid}{chain}. */
export interface PairSigHit {
  /** Protocol slot the hit is filed under ("tcp", "udp", "icmp", "icmp6", "ip", …). */
  proto: string;
  /** Signature id. */
  sid: number;
  /** Chain of the matching packets. */
  chain: string;
  /** Matching packets. */
  packets: number;
  /** Destination port of the last matching packet (tcp/udp), else 0. */
  dport: number;
  /** TCP flags of the last matching packet ("NA" otherwise). */
  flags: string;
  /** Whether it came from a fwsnort SID in the log prefix. */
  fwsnort: boolean;
}

/** Topera / Masscan / Mirai mark bits (PairState.marks, PairState.curMarks). */
export const MARK_TOPERA = 1;
export const MARK_MASSCAN = 2;
export const MARK_MIRAI = 4;

/**
 * One source's dealings with one destination. The window fields are psad's $scan{src}{dst} (what danger levels are
 * computed from; reset when the pair times out, as psad's delete_old_scans deletes it); the rest accumulates for the
 * profile and survives timeouts.
 *
 * Flat on purpose: a busy log holds hundreds of thousands of pairs, touched in random order, one per packet. Numbers in
 * fields of one object (port ranges, marks, the one key nearly every counter has) instead of nested records cost one
 * allocation and a few cache lines per pair instead of a dozen small objects for the collector to trace. Read the
 * records through pairRanges / pairChains / pairFlags / pairPrefixes.
 */
export interface PairState {
  /** Destination, canonical text. */
  dst: string;
  /** Whether the window is live (false after a timeout until the next packet). */
  live: boolean;
  /** psad s_time: event time (ms) of the window's first packet. */
  start: number;
  /** psad absnum: packets in the window. */
  absnum: number;
  /** tot_protocols as psad counts it (its per-packet quirk for ICMP and numbered protocols included). */
  totProtocols: number;
  /** Protocol slots psad has defined in the window (the quirk above depends on them). */
  slots: string[];
  /** Distinct protocols in the window (probewatch's count). */
  wprotos: string[];
  /** psad abs_sp/abs_ep in the window for tcp, udp and udplite (-1 when the window has no such packet). */
  wTcpLo: number;
  wTcpHi: number;
  wUdpLo: number;
  wUdpHi: number;
  wLiteLo: number;
  wLiteHi: number;
  /** Packets ever counted to this destination. */
  packets: number;
  /** First and last packet ever (event ms). */
  first: number;
  last: number;
  /** Port ranges ever for tcp, udp and udplite (-1 when none). */
  tcpLo: number;
  tcpHi: number;
  udpLo: number;
  udpHi: number;
  liteLo: number;
  liteHi: number;
  /** Packets by "chain\tinterface\tprotocol": the first key and its count here, any other key in `chainMore`. */
  chain: string;
  chainN: number;
  chainMore: Record<string, number> | null;
  /** Packets by TCP flag string, kept the same way ("" = none yet). */
  flag: string;
  flagN: number;
  flagMore: Record<string, number> | null;
  /** Packets by log prefix ("*noprfx*" when none), kept the same way. */
  prefix: string;
  prefixN: number;
  prefixMore: Record<string, number> | null;
  /** Signature hits, one per (proto, sid, chain) (a pair has a few; a list is searched faster than keys are built). */
  sigs: PairSigHit[];
  /** Invalid ICMP/ICMPv6 packets keyed "proto\ttype\tcode\tchain" (code "" for an invalid type). */
  icmpInvalid: Record<string, number>;
  /** Scan-type labels given so far. */
  scanTypes: string[];
  /** Port-sweep mark. */
  sweep: boolean;
  /** Sticky Topera / Masscan / Mirai marks (MARK_* bits of any packet, not only the last). */
  marks: number;
  /** Syslog hosts (sensors) that logged the pair's packets (a few). */
  hosts: string[];
  /** Interval id the `cur*` data belongs to. */
  interval: number;
  /**
   * Whether the pair holds data of that interval (psad's %curr_scan{src}{dst}, kept in compatibility mode only): its
   * distinct TCP flag strings, distinct protocols (psad's per-interval tot_protocols) and the MARK_* bits of the
   * interval's last packet (psad keeps only the last one).
   */
  cur: boolean;
  curFlags: string[];
  curProtos: string[];
  curMarks: number;
  /** Expiry bucket the detector last scheduled the pair in (not persisted). */
  expBucket: number;
}

/** psad's %curr_scan{src}{dst} as the store keeps it (PairState's cur* fields). */
export interface PairInterval {
  /** Distinct TCP flag strings this interval. */
  flags: string[];
  /** Distinct protocols this interval. */
  protos: string[];
  /** Topera / Masscan / Mirai marks of the interval's last packet. */
  topera: boolean;
  masscan: boolean;
  mirai: boolean;
}

/** A (first key, its count, other keys) tally as one record, the first key first. */
function tallyRecord(k: string, n: number, more: Record<string, number> | null): Record<string, number> {
  const out: Record<string, number> = {};
  if (k !== '') out[k] = n;
  if (more) for (const [key, v] of Object.entries(more)) out[key] = v;
  return out;
}

/** Packets by "chain\tinterface\tprotocol". */
export function pairChains(p: PairState): Record<string, number> {
  return tallyRecord(p.chain, p.chainN, p.chainMore);
}

/** Packets by TCP flag string. */
export function pairFlags(p: PairState): Record<string, number> {
  return tallyRecord(p.flag, p.flagN, p.flagMore);
}

/** Packets by log prefix ("*noprfx*" when none). */
export function pairPrefixes(p: PairState): Record<string, number> {
  return tallyRecord(p.prefix, p.prefixN, p.prefixMore);
}

/** Port ranges ever by protocol (tcp, udp, udplite, those seen). */
export function pairRanges(p: PairState): Record<string, PortRange> {
  const out: Record<string, PortRange> = {};
  if (p.tcpLo >= 0) out.tcp = { lo: p.tcpLo, hi: p.tcpHi };
  if (p.udpLo >= 0) out.udp = { lo: p.udpLo, hi: p.udpHi };
  if (p.liteLo >= 0) out.udplite = { lo: p.liteLo, hi: p.liteHi };
  return out;
}

/** Window port ranges by protocol. */
export function windowRanges(p: PairState): Record<string, PortRange> {
  const out: Record<string, PortRange> = {};
  if (p.wTcpLo >= 0) out.tcp = { lo: p.wTcpLo, hi: p.wTcpHi };
  if (p.wUdpLo >= 0) out.udp = { lo: p.wUdpLo, hi: p.wUdpHi };
  if (p.wLiteLo >= 0) out.udplite = { lo: p.wLiteLo, hi: p.wLiteHi };
  return out;
}

/** Sets the window (`window`) or ever ranges from a record (a stored state). */
export function setRanges(p: PairState, rec: Readonly<Record<string, PortRange>>, window: boolean): void {
  const t = rec.tcp;
  const u = rec.udp;
  const l = rec.udplite;
  if (window) {
    p.wTcpLo = t ? t.lo : -1; p.wTcpHi = t ? t.hi : -1;
    p.wUdpLo = u ? u.lo : -1; p.wUdpHi = u ? u.hi : -1;
    p.wLiteLo = l ? l.lo : -1; p.wLiteHi = l ? l.hi : -1;
  } else {
    p.tcpLo = t ? t.lo : -1; p.tcpHi = t ? t.hi : -1;
    p.udpLo = u ? u.lo : -1; p.udpHi = u ? u.hi : -1;
    p.liteLo = l ? l.lo : -1; p.liteHi = l ? l.hi : -1;
  }
}

/** Sets a tally's fields from a record (a stored state). */
export function setTally(p: PairState, which: 'chain' | 'flag' | 'prefix', rec: Readonly<Record<string, number>>): void {
  let k = '';
  let n = 0;
  let more: Record<string, number> | null = null;
  for (const [key, v] of Object.entries(rec)) {
    if (k === '') {
      k = key;
      n = v;
    } else {
      (more ??= {})[key] = v;
    }
  }
  if (which === 'chain') { p.chain = k; p.chainN = n; p.chainMore = more; }
  else if (which === 'flag') { p.flag = k; p.flagN = n; p.flagMore = more; }
  else { p.prefix = k; p.prefixN = n; p.prefixMore = more; }
}

/** The interval data as the store keeps it, or null. */
export function pairInterval(p: PairState): PairInterval | null {
  if (!p.cur) return null;
  return {
    flags: p.curFlags, protos: p.curProtos, topera: (p.curMarks & MARK_TOPERA) !== 0, masscan: (p.curMarks & MARK_MASSCAN) !== 0,
    mirai: (p.curMarks & MARK_MIRAI) !== 0,
  };
}

/** MARK_* bits of a stored marks object. */
export function markBits(m: { topera?: boolean; masscan?: boolean; mirai?: boolean } | null | undefined): number {
  if (!m) return 0;
  return (m.topera ? MARK_TOPERA : 0) | (m.masscan ? MARK_MASSCAN : 0) | (m.mirai ? MARK_MIRAI : 0);
}

/** A signature that matched packets from a source (summed over destinations). */
export interface SourceSigHit {
  /** Signature id. */
  sid: number;
  /** Message. */
  msg: string;
  /** Danger level the signature assigns. */
  dl: DangerLevel;
  /** Rule protocol. */
  proto: string;
  /** Matching packets. */
  count: number;
  /** A few destination ports of matching packets. */
  dports: number[];
  /** Whether it came from a fwsnort SID. */
  fwsnort: boolean;
  /** First and last match, event ms. */
  first: number;
  last: number;
}

/** One danger-level step. */
export interface DangerChange {
  /** Event time (ms). */
  time: number;
  /** New level. */
  level: DangerLevel;
  /** Why ("packets", "hosts", "signature", "icmp", "auto_dl", "protocols"). */
  reason: string;
}

/** Everything detection keeps about one source. */
export interface SourceState {
  /** Canonical address. */
  ip: string;
  /** 4 or 6. */
  family: 4 | 6;
  /** psad's %scan_dl: sticky danger level. */
  dl: DangerLevel;
  /** First and last counted packet, event ms. */
  firstSeen: number;
  lastSeen: number;
  /** Counted packets. */
  packets: number;
  /** Pairs by destination. */
  pairs: Map<string, PairState>;
  /** Packets by destination port, keyed protoCode * 65536 + port (protoCode: tcp 0, udp 1, udplite 2). */
  ports: Map<number, number>;
  /** Signature hits by sid. */
  sigs: Map<number, SourceSigHit>;
  /** Danger-level history. */
  history: DangerChange[];
  /** Packets by syslog host (sensor) that logged them. */
  sensors: Record<string, number>;
  /** Tags ("nmap", "masscan", "mirai", "topera", "port-sweep", "protocol-scan", "signature"). */
  tags: string[];
  /** Interval id of the interval fields below. */
  interval: number;
  /** Signature danger level of this interval (psad's %curr_sigs_dl) and fwsnort SID level (%curr_sids_dl). */
  curSigDl: number;
  curSidDl: number;
  /** Whether the source has sent a TCP packet carrying options (probewatch's per-source Masscan test). */
  sawTcpOptions: boolean;
  /** psad's %mirai_scan{src}{dst}{23}: SYNs to tcp/23 by destination. */
  mirai: Record<string, number>;
  /** Bookkeeping for incremental writes (not persisted). */
  dirty: DirtyMarks;
}

/** What changed since the state was last written (the sets are created on first use: most sources never need them). */
export interface DirtyMarks {
  /** The source row itself. */
  source: boolean;
  /** Destinations whose pair changed. */
  pairs: Set<string> | null;
  /** Port keys whose count changed. */
  ports: Set<number> | null;
  /** Sids whose hit changed. */
  sigs: Set<number> | null;
  /** History entries already written. */
  historyWritten: number;
  /** Used since the cache last considered evicting it (second-chance LRU). */
  used: boolean;
  /** Everything must be written (changes were not tracked while the directory kept no store). */
  full: boolean;
}

/** Fresh dirty marks. */
export function cleanMarks(historyWritten = 0): DirtyMarks {
  return { source: false, pairs: null, ports: null, sigs: null, historyWritten, used: false, full: false };
}

/** Shared empty values of fields that stay empty for nearly every pair; replaced (never mutated) on first write. */
export const EMPTY_SIGS: readonly PairSigHit[] = Object.freeze([]);
export const EMPTY_COUNTS: Readonly<Record<string, number>> = Object.freeze({});
export const EMPTY_LIST: readonly string[] = Object.freeze([]);

/** Port-key protocol codes. */
export const PORT_PROTOS = ['tcp', 'udp', 'udplite'] as const;

/** Per-source packet counts by protocol, chain, interface and log prefix, summed over the source's pairs. */
export interface SourceCounts {
  protocols: Record<string, number>;
  chains: Record<string, number>;
  interfaces: Record<string, number>;
  prefixes: Record<string, number>;
}

/** Sums the pairs' cumulative counters (kept per pair only, so the per-packet work stays small). */
export function sourceCounts(s: SourceState): SourceCounts {
  const out: SourceCounts = { protocols: {}, chains: {}, interfaces: {}, prefixes: {} };
  const add = (rec: Record<string, number>, k: string, n: number): void => {
    rec[k] = (rec[k] ?? 0) + n;
  };
  const chain = (k: string, n: number): void => {
    const [c = '', intf = '', proto = ''] = k.split('\t');
    add(out.chains, c, n);
    if (intf !== '') add(out.interfaces, intf, n);
    add(out.protocols, proto, n);
  };
  const prefix = (k: string, n: number): void => {
    if (k !== '*noprfx*') add(out.prefixes, k, n);
  };
  for (const p of s.pairs.values()) {
    if (p.chain !== '') chain(p.chain, p.chainN);
    if (p.chainMore) for (const [k, n] of Object.entries(p.chainMore)) chain(k, n);
    if (p.prefix !== '') prefix(p.prefix, p.prefixN);
    if (p.prefixMore) for (const [k, n] of Object.entries(p.prefixMore)) prefix(k, n);
  }
  return out;
}

/** A new, empty pair (window not yet live). */
export function newPairState(dst: string, time: number): PairState {
  const none = EMPTY_LIST as string[];
  return {
    dst, live: false, start: time, absnum: 0, totProtocols: 0, slots: none, wprotos: none,
    wTcpLo: -1, wTcpHi: -1, wUdpLo: -1, wUdpHi: -1, wLiteLo: -1, wLiteHi: -1, packets: 0, first: time, last: time,
    tcpLo: -1, tcpHi: -1, udpLo: -1, udpHi: -1, liteLo: -1, liteHi: -1,
    chain: '', chainN: 0, chainMore: null, flag: '', flagN: 0, flagMore: null, prefix: '', prefixN: 0, prefixMore: null,
    sigs: EMPTY_SIGS as PairSigHit[], icmpInvalid: EMPTY_COUNTS, scanTypes: none, sweep: false, marks: 0, hosts: none, interval: -1,
    cur: false, curFlags: none, curProtos: none, curMarks: 0, expBucket: Number.NaN,
  };
}

/** Which evicted sources a level assignment can leave alone. */
export interface TouchedHint {
  /** Sources at or above this level are always processed (their scan types are labelled). */
  minDl: number;
  /** Sources with at least this many packets are processed (DANGER_LEVEL1). */
  minPackets: number;
  /** Sources with at least this many destinations are processed (DL1_UNIQUE_HOSTS; 0 disables the test). */
  minDsts: number;
}

/**
 * Where detection keeps source state: a scan table in memory, optionally over a store that holds evicted sources. The
 * detector works on the table's records by id; it never knows whether a source was evicted and reloaded.
 */
export interface SourceDirectory {
  /** Whether changes must be tracked per pair, port and signature (only when a store is written incrementally). */
  readonly tracksChanges: boolean;
  /** The hot state. */
  readonly table: ScanTable;
  /**
   * The source's id in the table, loading it when it was evicted; -1 when never seen. `ip` is the address's text, or ''
   * for an IPv4 address given as `v4`, its 32 bits as a signed number (ScanTable.findSource); `v4` is ignored otherwise.
   */
  find(ip: string, v4: number): number;
  /** Registers a source the detector has just added to the table (a bounded directory may evict others, never it). */
  added(id: number): void;
  /**
   * Changes whenever ids handed out before may have been reused (sources evicted, reloaded, copied): a caller that
   * keeps ids of its own (the expiry schedule) drops them then.
   */
  readonly generation: number;
  /** Whether every source and pair it knows is in the table (nothing evicted, nothing stored elsewhere). */
  readonly allHot: boolean;
  /** Notes that the source was touched in the current interval (its S_INTERVAL is already set). */
  touch(id: number): void;
  /**
   * Calls `fn` for every source touched in interval `id` (in memory or evicted) and keeps their changes. A store-backed
   * directory may skip evicted sources that `hint` shows cannot change (fewer packets and destinations than the first
   * thresholds, no pending signature level, below the reporting level).
   */
  forEachTouched(id: number, fn: (s: number) => void, hint?: TouchedHint): void;
  /**
   * Ends the window of live pairs whose `start` (psad) or `last` (own mode) is at or before `cutoff`: every such pair
   * in the table when `all` (the caller kept no schedule of its own), and a store-backed directory also what it holds
   * on disk.
   */
  expirePairs(cutoff: number, by: 'start' | 'last', all: boolean): number;
}
