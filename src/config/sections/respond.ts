// Response settings: alerts (syslog, email, webhook), external scripts and automatic blocking, mapped from psad.conf.
import { section } from '../define.ts';

const SYSLOG_FACILITIES = ['LOG_LOCAL0', 'LOG_LOCAL1', 'LOG_LOCAL2', 'LOG_LOCAL3', 'LOG_LOCAL4', 'LOG_LOCAL5', 'LOG_LOCAL6', 'LOG_LOCAL7', 'LOG_DAEMON', 'LOG_USER', 'LOG_AUTH'] as const;
const SYSLOG_PRIORITIES = ['LOG_EMERG', 'LOG_ALERT', 'LOG_CRIT', 'LOG_ERR', 'LOG_WARNING', 'LOG_NOTICE', 'LOG_INFO', 'LOG_DEBUG'] as const;

export const respond = section('respond', 'Response: alerts, external scripts and automatic blocking', {
  minDangerLevel: 1,
  emailAlertDangerLevel: 1,
  alertAll: true,
  alertingMethods: 'ALL',
  emailAddresses: [] as string[],
  emailLimit: 0,
  emailLimitPerDst: false,
  emailLimitStatusMsg: true,
  emailThrottle: 0,
  emailAppendHeader: '',
  mailAlertPrefix: '[probewatch-alert]',
  mailStatusPrefix: '[probewatch-status]',
  autoIdsEmails: true,
  smtpHost: 'localhost',
  smtpPort: 25,
  smtpSecure: false,
  smtpFrom: 'probewatch@localhost',
  smtpTimeout: 30,
  hostname: '',
  syslogTarget: 'unix:/dev/log',
  syslogIdentity: 'psad',
  syslogFacility: 'LOG_LOCAL7',
  syslogPriority: 'LOG_INFO',
  sigMsgSyslog: true,
  sigMsgSyslogThreshold: 10,
  syslogQueueSize: 10000,
  webhookUrl: '',
  webhookSecret: '',
  webhookRetries: 5,
  webhookBackoff: 1,
  webhookTimeout: 10,
  webhookQueueSize: 1000,
  extScriptExec: false,
  externalScript: '',
  execExtScriptPerAlert: false,
  extBlockScriptExec: false,
  externalBlockScript: '',
  scriptTimeout: 30,
  scriptConcurrency: 4,
  scriptOutputTail: 2048,
  autoIds: false,
  autoIdsDangerLevel: 5,
  autoIdsRegex: false,
  autoBlockRegex: 'ESTAB',
  autoBlockTimeout: 3600,
  autoBlockDl1Timeout: 3600,
  autoBlockDl2Timeout: 3600,
  autoBlockDl3Timeout: 3600,
  autoBlockDl4Timeout: 3600,
  autoBlockDl5Timeout: 0,
  blockBackend: 'auto',
  nftTable: 'probewatch',
  ipsetName: 'probewatch',
  iptablesChain: 'PROBEWATCH_BLOCK',
  allowlist: [] as string[],
  homeNet: [] as string[],
  dryRun: false,
  reconcileInterval: 15,
  historyRetention: 90 * 86400,
  maxTrackedSources: 100_000,
}, {
  minDangerLevel: {
    kind: 'int', min: 0, max: 5, psad: 'MIN_DANGER_LEVEL',
    doc: 'No alert of any kind (syslog, email, webhook, script) below this level; raising it quiets small probes but hides early reconnaissance.',
  },
  emailAlertDangerLevel: {
    kind: 'int', min: 0, max: 5, psad: 'EMAIL_ALERT_DANGER_LEVEL',
    doc: 'Email alerts and the external script only from this level; higher means fewer mails, later warning.',
  },
  alertAll: {
    kind: 'bool', psad: 'ALERT_ALL',
    doc: 'Alert for every interval in which a source sends new packets (Y) instead of only when its danger level rises (N); Y is noisier but never silent about continuing scans.',
  },
  alertingMethods: {
    kind: 'string', psad: 'ALERTING_METHODS',
    doc: 'psad syntax: ALL, or "noemail" and/or "nosyslog" to switch those sinks off (webhooks are on whenever webhookUrl is set).',
  },
  emailAddresses: {
    kind: 'list', psad: 'EMAIL_ADDRESSES', env: 'PROBEWATCH_EMAIL_ADDRESSES',
    doc: 'Alert recipients; empty sends no email. More recipients cost nothing extra per alert (one SMTP transaction).',
  },
  emailLimit: {
    kind: 'int', min: 0, psad: 'EMAIL_LIMIT',
    doc: 'At most this many alert emails per source (or per source and destination); 0 = unlimited. A limit can hide a real attack that comes after it.',
  },
  emailLimitPerDst: {
    kind: 'bool', psad: 'ENABLE_EMAIL_LIMIT_PER_DST',
    doc: 'Count EMAIL_LIMIT and EMAIL_THROTTLE per source and destination instead of per source; more mail when a source scans many hosts.',
  },
  emailLimitStatusMsg: {
    kind: 'bool', psad: 'EMAIL_LIMIT_STATUS_MSG',
    doc: 'Send one status email when a source reaches EMAIL_LIMIT, so the silence that follows is explained.',
  },
  emailThrottle: {
    kind: 'int', min: 0, psad: 'EMAIL_THROTTLE',
    doc: 'Send only every Nth alert email per source (1st, N+1th, …); 0 or 1 = every one. Higher cuts mail volume for long scans.',
  },
  emailAppendHeader: {
    kind: 'string', psad: 'EMAIL_APPEND_HEADER',
    doc: 'An extra "Name: value" header on alert emails (psad example: "From:you@somehost" overrides the sender); empty or NONE for none.',
  },
  mailAlertPrefix: {
    kind: 'string', psad: 'MAIL_ALERT_PREFIX',
    doc: 'Subject prefix of alert emails; importing psad.conf keeps "[psad-alert]" so existing mail filters still match.',
  },
  mailStatusPrefix: {
    kind: 'string', psad: 'MAIL_STATUS_PREFIX',
    doc: 'Subject prefix of status emails (block added/removed, email limit reached).',
  },
  autoIdsEmails: {
    kind: 'bool', psad: 'ENABLE_AUTO_IDS_EMAILS',
    doc: 'Send a status email when a block is added or removed (sources at or above emailAlertDangerLevel only).',
  },
  smtpHost: {
    kind: 'string', env: 'PROBEWATCH_SMTP_HOST',
    doc: 'SMTP relay for alert emails (psad piped to the local mail command; localhost:25 is the same local MTA).',
  },
  smtpPort: {
    kind: 'int', min: 1, max: 65535, env: 'PROBEWATCH_SMTP_PORT',
    doc: 'SMTP port: 25 (relay), 587 (submission with STARTTLS), 465 with smtpSecure.',
  },
  smtpSecure: {
    kind: 'bool',
    doc: 'Use implicit TLS (port 465); otherwise STARTTLS is used when the server offers it.',
  },
  smtpFrom: {
    kind: 'string', env: 'PROBEWATCH_SMTP_FROM',
    doc: 'Envelope and header sender of alert emails.',
  },
  smtpTimeout: {
    kind: 'duration', min: 1, max: 600,
    doc: 'Give up on one SMTP delivery after this long; longer survives slow relays but holds the mail queue.',
  },
  hostname: {
    kind: 'string', psad: 'HOSTNAME',
    doc: 'Host name used in emails and RFC 5424 syslog; empty uses the system host name.',
  },
  syslogTarget: {
    kind: 'string', env: 'PROBEWATCH_SYSLOG_TARGET',
    doc: '"unix:/dev/log" (local daemon, psad format), "tcp://host:port" (RFC 5424, octet counting), or "" for no syslog.',
  },
  syslogIdentity: {
    kind: 'string', psad: 'SYSLOG_IDENTITY',
    doc: 'Syslog tag; the default "psad" keeps OSSEC/Wazuh/fail2ban rules that match program psad working.',
  },
  syslogFacility: {
    kind: 'enum', values: SYSLOG_FACILITIES, psad: 'SYSLOG_FACILITY',
    doc: 'Syslog facility of alert lines.',
  },
  syslogPriority: {
    kind: 'enum', values: SYSLOG_PRIORITIES, psad: 'SYSLOG_PRIORITY',
    doc: 'Syslog priority of alert lines.',
  },
  sigMsgSyslog: {
    kind: 'bool', psad: 'ENABLE_SIG_MSG_SYSLOG',
    doc: 'Also write one "signature match" syslog line per matched signature.',
  },
  sigMsgSyslogThreshold: {
    kind: 'int', min: 0, psad: 'SIG_MSG_SYSLOG_THRESHOLD',
    doc: 'At most this many signature lines per source, destination and protocol per alert; higher is more complete, noisier.',
  },
  syslogQueueSize: {
    kind: 'int', min: 1, max: 1_000_000,
    doc: 'Lines held while the TCP syslog receiver is unreachable; the oldest are dropped (and counted) beyond it.',
  },
  webhookUrl: {
    kind: 'string', env: 'PROBEWATCH_WEBHOOK_URL',
    doc: 'POST every alert as JSON to this http(s) URL; empty disables webhooks.',
  },
  webhookSecret: {
    kind: 'string', env: 'PROBEWATCH_WEBHOOK_SECRET',
    doc: 'HMAC-SHA256 key; the signature of "<timestamp>.<body>" goes in X-Probewatch-Signature so receivers can reject forgeries and replays.',
  },
  webhookRetries: {
    kind: 'int', min: 0, max: 100,
    doc: 'Retries after a failed delivery (network error, 5xx, 429), with exponential backoff; more survives longer outages.',
  },
  webhookBackoff: {
    kind: 'duration', min: 0.01, max: 3600,
    doc: 'First retry delay, doubled per attempt (with jitter, capped at 5 minutes).',
  },
  webhookTimeout: {
    kind: 'duration', min: 0.1, max: 300,
    doc: 'Per-request deadline.',
  },
  webhookQueueSize: {
    kind: 'int', min: 1, max: 1_000_000,
    doc: 'Deliveries waiting or retrying; beyond it the oldest are dropped and counted, so an outage cannot grow memory.',
  },
  extScriptExec: {
    kind: 'bool', psad: 'ENABLE_EXT_SCRIPT_EXEC',
    doc: 'Run externalScript for sources that reach emailAlertDangerLevel.',
  },
  externalScript: {
    kind: 'string', psad: 'EXTERNAL_SCRIPT',
    doc: 'Command run with an argument vector, never a shell; an argument "SRCIP" becomes the source address; profile fields come as PROBEWATCH_* environment variables.',
  },
  execExtScriptPerAlert: {
    kind: 'bool', psad: 'EXEC_EXT_SCRIPT_PER_ALERT',
    doc: 'Run the script on every alert (Y) instead of once per source (N).',
  },
  extBlockScriptExec: {
    kind: 'bool', psad: 'ENABLE_EXT_BLOCK_SCRIPT_EXEC',
    doc: 'Run externalBlockScript after each new block.',
  },
  externalBlockScript: {
    kind: 'string', psad: 'EXTERNAL_BLOCK_SCRIPT',
    doc: 'Command run after a block, same rules as externalScript.',
  },
  scriptTimeout: {
    kind: 'duration', min: 0.1, max: 3600,
    doc: 'Scripts still running after this are killed (TERM, then KILL 2 s later); psad used 30 s.',
  },
  scriptConcurrency: {
    kind: 'int', min: 1, max: 256,
    doc: 'Scripts running at once; more run queued (bounded by 1000), so a scan storm cannot fork-bomb the host.',
  },
  scriptOutputTail: {
    kind: 'int', min: 0, max: 1_048_576,
    doc: 'Bytes of the end of a script\'s stdout+stderr kept in the response history.',
  },
  autoIds: {
    kind: 'bool', psad: 'ENABLE_AUTO_IDS',
    doc: 'Block sources automatically at autoIdsDangerLevel; a spoofed source can make you block a host you need, hence the never-block list.',
  },
  autoIdsDangerLevel: {
    kind: 'int', min: 1, max: 5, psad: 'AUTO_IDS_DANGER_LEVEL',
    doc: 'Lowest danger level that is blocked automatically.',
  },
  autoIdsRegex: {
    kind: 'bool', psad: 'ENABLE_AUTO_IDS_REGEX',
    doc: 'Only block sources whose packets were logged with a prefix matching autoBlockRegex.',
  },
  autoBlockRegex: {
    kind: 'string', psad: 'AUTO_BLOCK_REGEX',
    doc: 'Regular expression over log prefixes (used with autoIdsRegex); psad\'s default ESTAB matches fwsnort established-flow rules.',
  },
  autoBlockTimeout: {
    kind: 'duration', min: 0, psad: 'AUTO_BLOCK_TIMEOUT',
    doc: 'Block length when no level applies (manual blocks without --for, imported psad blocks); 0 = permanent.',
  },
  autoBlockDl1Timeout: { kind: 'duration', min: 0, psad: 'AUTO_BLOCK_DL1_TIMEOUT', doc: 'Block length for a DL1 source; 0 = permanent.' },
  autoBlockDl2Timeout: { kind: 'duration', min: 0, psad: 'AUTO_BLOCK_DL2_TIMEOUT', doc: 'Block length for a DL2 source; 0 = permanent.' },
  autoBlockDl3Timeout: { kind: 'duration', min: 0, psad: 'AUTO_BLOCK_DL3_TIMEOUT', doc: 'Block length for a DL3 source; 0 = permanent.' },
  autoBlockDl4Timeout: { kind: 'duration', min: 0, psad: 'AUTO_BLOCK_DL4_TIMEOUT', doc: 'Block length for a DL4 source; 0 = permanent.' },
  autoBlockDl5Timeout: {
    kind: 'duration', min: 0, psad: 'AUTO_BLOCK_DL5_TIMEOUT',
    doc: 'Block length for a DL5 source; 0 = permanent (psad\'s default). Permanent blocks accumulate until unblocked.',
  },
  blockBackend: {
    kind: 'enum', values: ['auto', 'nftables', 'ipset', 'iptables', 'none'], env: 'PROBEWATCH_BLOCK_BACKEND',
    doc: 'Firewall used for blocks: auto = nftables when nft exists, else ipset+iptables, else iptables chains; none disables blocking.',
  },
  nftTable: {
    kind: 'string',
    doc: 'nftables table (family inet) probewatch owns: sets block4/block6 with timeouts and input/forward/output chains.',
  },
  ipsetName: {
    kind: 'string',
    doc: 'Base name of the ipset sets (NAME4, NAME6) and the iptables rules that match them.',
  },
  iptablesChain: {
    kind: 'string',
    doc: 'Prefix of the iptables/ip6tables chains (PREFIX_INPUT, _OUTPUT, _FORWARD), like psad\'s PSAD_BLOCK_*.',
  },
  allowlist: {
    kind: 'list', env: 'PROBEWATCH_ALLOWLIST',
    doc: 'Addresses and networks never blocked whatever their danger level (monitoring, upstream resolvers, your office).',
  },
  homeNet: {
    kind: 'list', psad: 'HOME_NET',
    doc: 'Your networks, never blocked: CIDR, IPv4 ADDR/NETMASK (psad\'s 192.168.10.0/255.255.255.0) or IPv6 CIDR, comma-separated; "any", NOT_USED or empty means none. A malformed entry stops start-up (PW_ERR_HOME_NET).',
  },
  dryRun: {
    kind: 'bool', env: 'PROBEWATCH_DRY_RUN', flag: 'dry-run',
    doc: 'Decide and record blocks but never touch the firewall; use it to watch what autoIds would do before enabling it.',
  },
  reconcileInterval: {
    kind: 'duration', min: 1, max: 3600,
    doc: 'How often blocks are expired and the firewall is checked against the store (re-applying blocks lost to a firewall reload, picking up CLI changes).',
  },
  historyRetention: {
    kind: 'duration', min: 0,
    doc: 'Response history (alerts, scripts, blocks) older than this is pruned; 0 keeps it forever.',
  },
  maxTrackedSources: {
    kind: 'int', min: 100, max: 100_000_000,
    doc: 'Sources whose alert counters stay in memory; the least recently seen are evicted (their counters stay in the store).',
  },
});
