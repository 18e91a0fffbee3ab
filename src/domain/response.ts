// What the response stage consumes (per-source scan notices from detect) and the store/API ports it works through.
import type { DangerLevel } from './profile.ts';

/** TCP or UDP activity to one destination in one interval: psad's "[lo-hi]" new range and packet count. */
export interface PortActivity {
  /** Lowest destination port seen in the interval. */
  low: number;
  /** Highest destination port seen in the interval. */
  high: number;
  /** Packets in the interval. */
  packets: number;
}

/** Packets logged in one chain with one log prefix (psad's print_chains_and_prefixes); prefix "" when none. */
export interface ChainPrefixCount {
  /** "INPUT", "FORWARD", "OUTPUT". */
  chain: string;
  /** The log prefix, "" when the line had none. */
  prefix: string;
  /** Packets. */
  packets: number;
}

/** Cumulative per chain/interface/protocol packet count (psad's "Global stats" table). */
export interface ChainStat {
  /** Chain name. */
  chain: string;
  /** IN= interface (or OUT= for OUTPUT). */
  intf: string;
  /** Protocol name (tcp, udp, icmp, …). */
  proto: string;
  /** Packets since the scan began. */
  packets: number;
}

/** A signature that matched in the interval, as psad's scan_logr_signatures prints it. */
export interface SignatureActivity {
  /** sid or psad_id. */
  sid: number;
  /** The rule's msg. */
  msg: string;
  /** "tcp", "udp", "udplite", "icmp", "icmp6", or a number. */
  proto: string;
  /** Destination port for tcp/udp/udplite rules. */
  dport?: number;
  /** TCP flags of the matching packets ("SYN"). */
  flags?: string;
  /** Chain the packets were logged in. */
  chain: string;
  /** Matching packets. */
  packets: number;
  /** True when the id is a psad_id (printed "psad_id:" rather than "sid:"). */
  psadId: boolean;
  /** Snort classtype, when the rule has one. */
  classtype?: string;
  /** Whether it came from a fwsnort SID in the log prefix. */
  fwsnort: boolean;
  /** fwsnort: the "[n]" rule number from the prefix. */
  fwsnortRule?: number;
  /** fwsnort: whether the prefix said ESTAB. */
  fwsnortEstab?: boolean;
  /** Whether the destination port has a local listener (for "server bound to local port!"), when known. */
  localServer?: boolean;
}

/** What one source did to one destination in the interval that triggered the notice. */
export interface DestinationActivity {
  /** Destination address, canonical. */
  dst: string;
  /** TCP ports in the interval. */
  tcp?: PortActivity & {
    /** TCP flag combinations in psad's spelling ("SYN", "URG PSH FIN", "NULL") with packets. */
    flags: { flags: string; packets: number }[];
    /** Chains and prefixes of the TCP packets. */
    chains: ChainPrefixCount[];
  };
  /** UDP ports in the interval. */
  udp?: PortActivity & { chains: ChainPrefixCount[] };
  /** ICMP packets in the interval. */
  icmp?: { packets: number; chains: ChainPrefixCount[] };
  /** Packets of other protocols in the interval. */
  otherPackets?: number;
  /** Set when detection flags an IP protocol scan (Nmap -sO): the distinct protocols seen in the interval. */
  protocolScan?: number;
  /** Special scan labels psad attaches: 'port-sweep', 'topera', 'masscan', 'mirai'. */
  labels?: ('port-sweep' | 'topera' | 'masscan' | 'mirai')[];
  /** Cumulative TCP range "[lo-hi]" since the scan began. */
  tcpRange?: { low: number; high: number };
  /** Cumulative UDP range since the scan began. */
  udpRange?: { low: number; high: number };
  /** Cumulative per chain/interface/protocol counts. */
  stats?: ChainStat[];
  /** Distinct protocols since the scan began (> 1 prints "Multi-Protocol"). */
  totalProtocols?: number;
  /** Signatures that matched in the interval. */
  signatures?: SignatureActivity[];
  /** Invalid ICMP type/code findings ("Invalid ICMP type \"x\" …" lines), preformatted. */
  icmpFindings?: string[];
  /** Syslog hosts that logged the packets. */
  sensors?: string[];
  /** First packet from the source to this destination (ms), psad's s_time. */
  firstSeen: number;
}

/** Context attached to a notice for the human-facing sinks (email, webhook); everything optional. */
export interface NoticeContext {
  /** OS guesses to print ("Linux:3.11 and newer"), best first. */
  os?: string[];
  /** Reverse DNS name of the source. */
  rdns?: string | null;
  /** Whois text (already size-capped) or a one-line summary. */
  whois?: string | null;
  /** Geo summary. */
  geo?: { country: string | null; city: string | null; asn: number | null; org: string | null } | null;
}

/**
 * One per-source notice from detection, for the interval in which the source sent new packets (psad's scan_logr
 * input). `level > previous` marks a danger-level change; with ALERT_ALL every notice alerts, otherwise only the
 * destinations not yet alerted at the current level.
 */
export interface ScanNotice {
  /** Source address, canonical. */
  ip: string;
  /** Level before this interval (0 for a new source). */
  previous: DangerLevel;
  /** Level after this interval. */
  level: DangerLevel;
  /** Event time of the interval's last packet (ms). */
  time: number;
  /** Why the level is what it is ("packets", "hosts", "signature", "auto_dl", …). */
  reason: string;
  /** Total packets counted from the source so far. */
  packets: number;
  /** Log prefixes seen in the interval (for AUTO_BLOCK_REGEX). */
  prefixes: string[];
  /** Scan-type labels across destinations ("Nmap -sT or -sS", "Port sweep", …) for the webhook. */
  scanTypes: string[];
  /** Per-destination activity in the interval (psad alerts per destination). */
  destinations: DestinationActivity[];
  /** Optional enrichment for email/webhook. */
  context?: NoticeContext;
}

/** Who asked for a block. */
export type BlockOrigin = 'auto' | 'cli' | 'api' | 'restore';

/** A block as persisted: the store is the source of truth the firewall is reconciled against. */
export interface BlockRecord {
  /** Blocked address, canonical. */
  ip: string;
  /** 4 or 6. */
  family: 4 | 6;
  /** When the block was (first) added, wall-clock ms. */
  createdAt: number;
  /** When it ends, wall-clock ms; null = permanent. */
  expiresAt: number | null;
  /** Danger level that caused it (0 for manual blocks). */
  level: DangerLevel;
  /** Who asked. */
  origin: BlockOrigin;
  /** Free text: "DL5 scan", "operator", …. */
  reason: string;
}

/** Persistence of active blocks (implemented by src/store/blocks.ts). */
export interface BlockRepository {
  /** Inserts or replaces the block of `rec.ip`. */
  upsert(rec: BlockRecord, now: number): void;
  /** Removes the block; returns whether one existed. */
  remove(ip: string, now: number): boolean;
  /** The block of one address, or null. */
  get(ip: string): BlockRecord | null;
  /** Every block, soonest expiry first (permanent last). */
  list(): BlockRecord[];
}

/** One line of response history. */
export interface ResponseLogEntry {
  /** Source address. */
  ip: string;
  /** Wall-clock ms. */
  time: number;
  /** What happened. */
  kind: 'alert' | 'script' | 'block' | 'unblock' | 'expire' | 'refuse' | 'reapply' | 'limit';
  /** Sink or backend ("syslog", "email", "webhook", "nftables", "script", …). */
  channel: string;
  /** Whether it worked. */
  ok: boolean;
  /** Danger level at the time. */
  level: DangerLevel;
  /** Details: error text, script exit status and output tail, timeout, …. */
  detail: Record<string, unknown>;
}

/** Persistence of response history and per-source alert counters (implemented by src/store/response-log.ts). */
export interface ResponseLogRepository {
  /** Appends one entry (touching the source's profile version when the source exists). */
  append(entry: ResponseLogEntry): void;
  /** The newest entries of one address, newest first. */
  recent(ip: string, limit: number): ResponseLogEntry[];
  /** Saved alert-policy state of a source (JSON), or null. */
  loadState(ip: string): string | null;
  /** Saves alert-policy state of a source. */
  saveState(ip: string, state: string, now: number): void;
}

/** Outcome of a block/unblock request through the admin API or CLI. */
export interface BlockResult {
  /** The canonical address. */
  ip: string;
  /** The block now in force (null after unblock). */
  block: BlockRecord | null;
  /** False in dry-run: nothing was changed in the firewall. */
  applied: boolean;
  /** Firewall backend used ("nftables", "ipset", "iptables", "dry-run"). */
  backend: string;
}

/** What the API's admin scope needs from the response stage (implemented by respond's ResponseService). */
export interface BlockAdmin {
  /** Blocks `ip` for `seconds` (0 = permanent); throws PW_ERR_BLOCK_REFUSED for never-block addresses. */
  block(ip: string, seconds: number, reason: string, origin: BlockOrigin): Promise<BlockResult>;
  /** Removes the block of `ip`; throws PW_ERR_NOT_FOUND when there is none. */
  unblock(ip: string, origin: BlockOrigin): Promise<BlockResult>;
  /** Active blocks. */
  blocks(): BlockRecord[];
}
