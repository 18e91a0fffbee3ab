// The merged per-source profile: the one JSON shape `analyze --json`, `status --json` and `GET /sources/{ip}` share.

/** psad danger level; 0 = seen but below every threshold. */
export type DangerLevel = 0 | 1 | 2 | 3 | 4 | 5;

/** Clamps and narrows a number to a DangerLevel. */
export function toDangerLevel(n: number): DangerLevel {
  if (n <= 0) return 0;
  if (n >= 5) return 5;
  return Math.floor(n) as DangerLevel;
}

/** One step of a source's danger level over time. */
export interface DangerStep {
  /** When the level was reached (event time, ISO 8601 UTC). */
  time: string;
  /** The level reached. */
  level: DangerLevel;
  /** Why: "packets", "hosts", "signature", "icmp", "auto_dl", "protocols", …. */
  reason: string;
}

/** A port or port range with the packets sent to it. */
export interface PortCount {
  /** "tcp", "udp", "udplite", "sctp". */
  proto: string;
  /** Destination port. */
  port: number;
  /** Packets counted to this port from this source. */
  packets: number;
}

/** Per-protocol packet count. */
export interface ProtocolCount {
  /** psad's name: tcp, udp, icmp, icmp6, udplite, or the protocol number. */
  proto: string;
  /** Packets counted. */
  packets: number;
}

/** What one source did to one destination. */
export interface DestinationSummary {
  /** Destination address, canonical. */
  ip: string;
  /** Packets counted to it. */
  packets: number;
  /** Lowest and highest TCP/UDP port seen, psad's "[lo-hi]" per protocol. */
  portRanges: { proto: string; low: number; high: number }[];
  /** Chains and interfaces the packets were logged in, with counts ("INPUT", "eth0"). */
  chains: { chain: string; inIf: string; outIf: string; proto: string; packets: number }[];
  /** TCP flag combinations seen ("SYN", "FIN", "URG PSH FIN", …) with counts. */
  flags: { flags: string; packets: number }[];
  /** Scan-type labels for this destination (psad's "Nmap: -sT or -sS", "Port sweep", …). */
  scanTypes: string[];
  /** Log prefixes with counts. */
  prefixes: { prefix: string; packets: number }[];
  /** First packet to this destination (ISO). */
  firstSeen: string;
  /** Last packet to this destination (ISO). */
  lastSeen: string;
}

/** A psad-format signature that matched packets from this source. */
export interface SignatureHit {
  /** Signature id (psad_id or sid). */
  sid: number;
  /** The rule's msg. */
  msg: string;
  /** Danger level the signature assigns. */
  dl: DangerLevel;
  /** Matching packets. */
  count: number;
  /** Protocol of the rule. */
  proto: string;
  /** Destination ports seen on matching packets (a few). */
  dports: number[];
  /** Whether it came from a fwsnort SID in the log prefix rather than psad's own signatures. */
  fwsnort: boolean;
  /** First and last match (ISO). */
  firstSeen: string;
  lastSeen: string;
}

/** One OS / tool guess from a SYN or SYN+ACK (p0f engine). */
export interface OsGuess {
  /** p0f label "type:class:name:flavor", or null when nothing matched. */
  label: string | null;
  /** Class: "unix", "win", "other", or "!" for tools. */
  class: string | null;
  /** OS or tool name ("Linux", "NMap"). */
  name: string | null;
  /** Flavor ("3.11 and newer"). */
  flavor: string | null;
  /** Match quality. */
  quality: 'exact' | 'generic' | 'fuzzy' | 'none';
  /** Whether the label is a tool ("!" class) rather than an OS. */
  tool: boolean;
  /** Estimated hop distance. */
  dist: number;
  /** p0f raw_sig. */
  rawSig: string;
  /** MuonFP string. */
  muonfp: string;
  /** Link type from the MTU, when known. */
  link: string | null;
  /** MTU derived from the MSS, when present. */
  mtu: number | null;
  /** 'pcap', 'live' or 'log'. */
  via: 'pcap' | 'live' | 'log';
  /** 'syn' or 'syn+ack'. */
  mode: 'syn' | 'syn+ack';
  /** First and last time seen (ISO) and how often. */
  firstSeen: string;
  lastSeen: string;
  count: number;
}

/** Geo enrichment (MaxMind DB). */
export interface GeoInfo {
  /** ISO 3166-1 alpha-2 of the location's country (the `country` record). */
  country: string | null;
  /** ISO 3166-1 numeric code of the country, for maps. */
  countryNumeric?: string | null;
  /** Country name in English. */
  countryName?: string | null;
  /** City name in English. */
  city: string | null;
  /** Subdivision (region) name. */
  region?: string | null;
  /** Continent code. */
  continent?: string | null;
  /** Latitude and longitude. */
  latitude?: number | null;
  longitude?: number | null;
  /** Accuracy radius in km. */
  accuracyRadius?: number | null;
  /** Time zone. */
  timezone?: string | null;
  /** Anonymity flags from an Anonymous-IP database, when configured. */
  anonymous?: { vpn: boolean; tor: boolean; proxy: boolean; hosting: boolean; anonymous: boolean } | null;
}

/** ASN enrichment. */
export interface AsInfo {
  /** Autonomous system number. */
  number: number | null;
  /** Organisation name. */
  organization: string | null;
  /** Routed prefix the lookup fell in. */
  network?: string | null;
}

/** Parsed whois record (most specific network). */
export interface WhoisInfo {
  registry: string | null;
  server: string | null;
  range: string | null;
  cidrs: string[];
  netname: string | null;
  orgName: string | null;
  orgId: string | null;
  country: string | null;
  descr: string[];
  abuse: string | null;
  status: string | null;
  created: string | null;
  updated: string | null;
  originAs: number | null;
  /** Whether parsing succeeded (false: `raw` kept, fields empty). */
  parsed: boolean;
  /** The raw answer text (size-capped). */
  raw: string;
}

/** Reverse DNS. */
export interface RdnsInfo {
  /** PTR name, or null. */
  name: string | null;
  /** Whether the name resolves back to the address. */
  confirmed: boolean;
}

/** Enrichment state of one provider for one source. */
export interface ProviderState {
  state: 'pending' | 'done' | 'failed' | 'skipped' | 'disabled';
  /** Why it failed or was skipped. */
  reason?: string | null;
  /** When the data was fetched (ISO). */
  fetchedAt?: string | null;
  /** Database or server it came from ("GeoLite2-City", "whois.ripe.net"). */
  source?: string | null;
  /** Database build date (ISO), for geo/ASN. */
  build?: string | null;
}

/** Response actions taken for the source. */
export interface ResponseState {
  /** Blocked until (ISO), "permanent", or null. */
  blockedUntil: string | null;
  /** Alerts sent, by sink. */
  alerts: { sink: string; time: string; level: DangerLevel; ok: boolean; detail?: string }[];
  /** External scripts run. */
  scripts: { time: string; command: string; exitCode: number | null; outputTail: string; timedOut: boolean }[];
}

/** The merged profile of one source. Every field is present; unknowns are null or empty. */
export interface SourceProfile {
  /** Canonical address (IPv6 compressed). */
  ip: string;
  /** 4 or 6. */
  family: 4 | 6;
  /** Current danger level. */
  dangerLevel: DangerLevel;
  /** Danger level over time. */
  dangerHistory: DangerStep[];
  /** Total packets counted from this source. */
  packets: number;
  /** Per-destination detail. */
  destinations: DestinationSummary[];
  /** Top destination ports with packet counts. */
  ports: PortCount[];
  /** Packets per protocol. */
  protocols: ProtocolCount[];
  /** Scan-type labels across destinations. */
  scanTypes: string[];
  /** Signature hits. */
  signatures: SignatureHit[];
  /** Chains the packets were logged in. */
  chains: string[];
  /** Interfaces (IN=) packets arrived on. */
  interfaces: string[];
  /** Sensors (syslog hosts) that logged this source. */
  sensors: string[];
  /** Tags: tool names ("NMap SYN scan"), "masscan", "mirai", "topera", …. */
  tags: string[];
  /** First and last packet (ISO). */
  firstSeen: string;
  lastSeen: string;
  /** OS guesses: the current one and the history. */
  os: { current: OsGuess | null; history: OsGuess[] };
  geo: GeoInfo | null;
  as: AsInfo | null;
  whois: WhoisInfo | null;
  rdns: RdnsInfo | null;
  /** Enrichment state per provider. */
  enrichment: { geo: ProviderState; asn: ProviderState; whois: ProviderState; rdns: ProviderState };
  response: ResponseState;
}
