// Detection settings: psad's thresholds, filters and data files (defaults = psad 2.4.6), plus probewatch's own bounds.
import { section } from '../define.ts';

/** The signature variables psad.conf 2.4.6 defines (conf:382-394); `$HOME_NET` and `$EXTERNAL_NET` come from their settings. */
export const DEFAULT_SIGNATURE_VARIABLES = [
  'HTTP_SERVERS=$HOME_NET',
  'SMTP_SERVERS=$HOME_NET',
  'DNS_SERVERS=$HOME_NET',
  'SQL_SERVERS=$HOME_NET',
  'TELNET_SERVERS=$HOME_NET',
  'AIM_SERVERS=[64.12.24.0/24, 64.12.25.0/24, 64.12.26.14/24, 64.12.28.0/24, 64.12.29.0/24, 64.12.161.0/24, 64.12.163.0/24, 205.188.5.0/24, 205.188.9.0/24]',
  'HTTP_PORTS=80',
  'SHELLCODE_PORTS=!80',
  'ORACLE_PORTS=1521',
];

export const detect = section('detect', 'Scan detection (psad semantics)', {
  compat: false,
  homeNet: ['any'],
  intfLocalNets: true,
  externalNet: ['any'],
  dangerLevels: [5, 15, 150, 1500, 10000],
  uniqueHosts: [10, 20, 50, 100, 500],
  portRangeScanThreshold: 1,
  portRangeSweepThreshold: 0,
  protocolScanThreshold: 5,
  persistence: false,
  scanTimeout: 3600,
  persistenceCtrThreshold: 5,
  checkInterval: 5,
  minDangerLevel: 1,
  maxScanIpPairs: 0,
  ignorePorts: [] as string[],
  ignoreProtocols: [] as string[],
  ignoreInterfaces: [] as string[],
  ignoreLogPrefixes: '',
  fwSearchAll: true,
  fwMsgSearch: ['DROP'],
  snortSidStr: 'SID',
  ignoreConntrackBugPkts: true,
  enableIpv6Detection: true,
  expectTcpOptions: true,
  snortSigStrict: true,
  signaturesFile: '',
  autoDlFile: '',
  snortRuleDlFile: '',
  icmpTypesFile: '',
  icmp6TypesFile: '',
  ipOptionsFile: '',
  protocolsFile: '',
  fwsnortRulesDirs: ['/etc/fwsnort/snort_rules'],
  signatureVariables: DEFAULT_SIGNATURE_VARIABLES,
  reportTopIps: 25,
  reportTopPorts: 20,
  reportTopSigs: 50,
  maxHotSources: 20_000,
  memoryBudget: 512,
  analyzeMemory: 0,
}, {
  compat: {
    kind: 'bool', env: 'PROBEWATCH_PSAD_COMPAT', flag: 'psad-compat',
    doc: 'psad compatibility: reproduce psad 2.4.6 verdicts including its bugs (on whenever --psad-conf is given); off fixes the bugs listed in docs/detect.md.',
  },
  homeNet: {
    kind: 'list', psad: 'HOME_NET',
    doc: 'Protected networks ("any"/NOT_USED, or CIDR, IPv4 ADDR/NETMASK and IPv6 CIDR entries, comma-separated), also never blocked; signatures with $HOME_NET only match these, so a narrow value hides attacks on other hosts.',
  },
  intfLocalNets: {
    kind: 'bool', psad: 'ENABLE_INTF_LOCAL_NETS',
    doc: 'follow, serve and ingest take HOME_NET from the networks of this machine\'s interfaces (not lo or dummy*), in place of homeNet, as psad\'s daemon does (analyze keeps homeNet); turn off on a syslog collector, whose sensors\' addresses are not local.',
  },
  externalNet: {
    kind: 'list', psad: 'EXTERNAL_NET',
    doc: 'Networks signatures call $EXTERNAL_NET ("any" or CIDRs); narrowing it stops signatures firing for traffic from elsewhere.',
  },
  dangerLevels: {
    kind: 'int-list', items: 5, min: 1, psad: 'DANGER_LEVEL1, DANGER_LEVEL2, DANGER_LEVEL3, DANGER_LEVEL4, DANGER_LEVEL5',
    doc: 'Packets from one source to one destination needed for danger levels 1–5; lower values flag scanners sooner and noise more often.',
  },
  uniqueHosts: {
    kind: 'int-list', items: 5, min: 0, psad: 'DL1_UNIQUE_HOSTS, DL2_UNIQUE_HOSTS, DL3_UNIQUE_HOSTS, DL4_UNIQUE_HOSTS, DL5_UNIQUE_HOSTS',
    doc: 'Distinct destinations one source must touch for danger levels 1–5 (sweep detection); the first value 0 disables it (own mode).',
  },
  portRangeScanThreshold: {
    kind: 'int', min: 0, max: 65535, psad: 'PORT_RANGE_SCAN_THRESHOLD',
    doc: 'Port range (highest − lowest port) a source must cover on one host before packets count towards a level; 0 counts repeated hits on one port.',
  },
  portRangeSweepThreshold: {
    kind: 'int', min: 0, max: 65535, psad: 'PORT_RANGE_SWEEP_THRESHOLD',
    doc: 'A multi-host scan whose per-host port range equals this is labelled a port sweep; 0 means one port on many hosts.',
  },
  protocolScanThreshold: {
    kind: 'int', min: 1, max: 256, psad: 'PROTOCOL_SCAN_THRESHOLD',
    doc: 'Distinct IP protocols to one host that make an IP protocol scan (Nmap -sO); lower flags multi-protocol clients.',
  },
  persistence: {
    kind: 'bool', psad: 'ENABLE_PERSISTENCE',
    doc: 'Keep per-destination scan counters forever instead of expiring them after scanTimeout; on catches slow scans, off bounds growth.',
  },
  scanTimeout: {
    kind: 'duration', min: 1, psad: 'SCAN_TIMEOUT',
    doc: 'Per-destination counters expire this long after the first packet (psad) or the last packet (own mode) unless persistence is on.',
  },
  persistenceCtrThreshold: {
    kind: 'int', min: 0, psad: 'PERSISTENCE_CTR_THRESHOLD',
    doc: 'Expiry runs every this many check intervals (0: every interval); larger is cheaper and keeps counters a little longer.',
  },
  checkInterval: {
    kind: 'duration', min: 1, psad: 'CHECK_INTERVAL',
    doc: 'Length of one detection interval by event time (follow/serve); danger levels are assigned at its end, so shorter alerts sooner.',
  },
  minDangerLevel: {
    kind: 'int', min: 0, max: 5, psad: 'MIN_DANGER_LEVEL',
    doc: 'Lowest danger level reported as a scan (reports, status, alerts); sources below it still have profiles.',
  },
  maxScanIpPairs: {
    kind: 'int', min: 0, psad: 'MAX_SCAN_IP_PAIRS',
    doc: 'Stop tracking new source/destination pairs past this many (0: no limit, probewatch bounds memory by maxHotSources instead).',
  },
  ignorePorts: {
    kind: 'port-list', psad: 'IGNORE_PORTS',
    doc: 'Destination ports whose packets are ignored, as "tcp/61000-61356, udp/53"; every ignored port is a blind spot.',
  },
  ignoreProtocols: {
    kind: 'list', psad: 'IGNORE_PROTOCOLS',
    doc: 'IP protocols (names or numbers) whose packets are ignored; e.g. igmp for noisy multicast segments.',
  },
  ignoreInterfaces: {
    kind: 'list', psad: 'IGNORE_INTERFACES',
    doc: 'Interfaces (IN=, or OUT= for OUTPUT) whose packets are ignored, e.g. trusted internal links.',
  },
  ignoreLogPrefixes: {
    kind: 'string', psad: 'IGNORE_LOG_PREFIXES',
    doc: 'Regular expression over the log prefix; matching lines are ignored ("" ignores none).',
  },
  fwSearchAll: {
    kind: 'bool', psad: 'FW_SEARCH_ALL',
    doc: 'Consider every firewall LOG line; off keeps only lines matching fwMsgSearch (for hosts that log accepted traffic too).',
  },
  fwMsgSearch: {
    kind: 'list', psad: 'FW_MSG_SEARCH',
    doc: 'Regular expressions over the whole line, used when fwSearchAll is off; a line matching any one is analysed.',
  },
  snortSidStr: {
    kind: 'string', psad: 'SNORT_SID_STR',
    doc: 'Text before the number in fwsnort log prefixes ("SID" → "SID2003"); such lines are signature hits.',
  },
  ignoreConntrackBugPkts: {
    kind: 'bool', psad: 'IGNORE_CONNTRACK_BUG_PKTS',
    doc: 'Ignore TCP packets with ACK or RST (mostly late packets of closed connections); on hides ACK scans, off shows them with some noise.',
  },
  enableIpv6Detection: {
    kind: 'bool', psad: 'ENABLE_IPV6_DETECTION',
    doc: 'Analyse ip6tables lines; off ignores every IPv6 packet.',
  },
  expectTcpOptions: {
    kind: 'bool', psad: 'EXPECT_TCP_OPTIONS',
    doc: 'Firewall logs TCP options (--log-tcp-options); then a SYN without options after ones with options is labelled a Masscan scan.',
  },
  snortSigStrict: {
    kind: 'bool', psad: 'ENABLE_SNORT_SIG_STRICT',
    doc: 'A signature with an unsupported option or without psad_id stops start-up (psad) instead of being skipped with a warning.',
  },
  signaturesFile: {
    kind: 'path', psad: 'SIGS_FILE',
    doc: 'psad-format signatures file; "" or a missing file uses the bundled signatures/psad/signatures.',
  },
  autoDlFile: {
    kind: 'path', psad: 'AUTO_DL_FILE',
    doc: 'auto_dl file (force or ignore danger levels per address, network, protocol, port); "" or missing uses the bundled copy.',
  },
  snortRuleDlFile: {
    kind: 'path', psad: 'SNORT_RULE_DL_FILE',
    doc: 'snort_rule_dl file ("<sid> <level>", 0 ignores the signature); "" or missing uses the bundled copy.',
  },
  icmpTypesFile: {
    kind: 'path', psad: 'ICMP_TYPES_FILE',
    doc: 'Valid ICMP types and codes; others raise the source to level 2. "" or missing uses the bundled copy.',
  },
  icmp6TypesFile: {
    kind: 'path', psad: 'ICMP6_TYPES_FILE',
    doc: 'Valid ICMPv6 types and codes; others raise the source to level 2. "" or missing uses the bundled copy.',
  },
  ipOptionsFile: {
    kind: 'path', psad: 'IP_OPTS_FILE',
    doc: 'IP option table for the ipopts signature keyword; "" or missing uses the bundled copy.',
  },
  protocolsFile: {
    kind: 'path', psad: 'PROTOCOLS_FILE',
    doc: 'IP protocol names (/etc/protocols format) for ignoreProtocols and reports; "" or missing uses the bundled copy.',
  },
  fwsnortRulesDirs: {
    kind: 'paths', psad: 'SNORT_RULES_DIR, FWSNORT_RULES_DIR',
    doc: 'Directories of fwsnort/Snort *.rules files giving messages for SID log prefixes; missing directories are skipped.',
  },
  signatureVariables: {
    kind: 'list',
    doc: 'Extra "NAME=value" variables signatures may use as $NAME; --psad-conf adds every psad.conf key no other setting takes.',
  },
  reportTopIps: {
    kind: 'int', min: 0, psad: 'STATUS_IP_THRESHOLD',
    doc: 'Attackers listed in analyze/status reports (0: all); the JSON output always has every source.',
  },
  reportTopPorts: {
    kind: 'int', min: 0, psad: 'STATUS_PORTS_THRESHOLD',
    doc: 'Scanned ports listed in analyze/status reports (0: all).',
  },
  reportTopSigs: {
    kind: 'int', min: 0, psad: 'STATUS_SIGS_THRESHOLD',
    doc: 'Signatures listed in analyze/status reports (0: all).',
  },
  maxHotSources: {
    kind: 'int', min: 100, env: 'PROBEWATCH_MAX_HOT_SOURCES',
    doc: 'Sources kept in memory (about 2 KB each); colder ones are written to the store and reloaded on their next packet. Higher is faster under floods, costs memory.',
  },
  analyzeMemory: {
    kind: 'int', min: 0, env: 'PROBEWATCH_ANALYZE_MEMORY',
    doc: 'Memory (MB) analyze without --data-dir may use before it spills sources to a temporary store (0: a quarter of the machine, at least memoryBudget); spilling a log whose sources are all active is slow.',
  },
  memoryBudget: {
    kind: 'int', min: 64, env: 'PROBEWATCH_MEMORY_BUDGET',
    doc: 'Memory (MB, resident) the process may use before hot sources are evicted early, whatever maxHotSources says; keep it under the machine limit.',
  },
});
