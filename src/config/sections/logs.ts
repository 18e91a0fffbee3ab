// Log intake settings: which files / journald / syslog listeners to read, how lines are parsed, batched and bounded.
import { section } from '../define.ts';

export const logs = section('logs', 'Reading firewall logs (files, journald, remote syslog)', {
  files: [] as string[],
  journal: false,
  journalctl: 'journalctl',
  fromEnd: false,
  timezone: '',
  maxLineLength: 16_384,
  errorSamples: 3,
  futureTolerance: 86_400,
  batchSize: 2000,
  flushInterval: 1,
  pollInterval: 1,
  readChunk: 1_048_576,
  syslogListen: [] as string[],
  syslogHost: 'peer',
  syslogMaxConnections: 64,
  syslogQueue: 100_000,
  sidTag: 'SID',
}, {
  files: {
    kind: 'paths', env: 'PROBEWATCH_LOG', flag: 'log', psad: 'IPT_SYSLOG_FILE',
    doc: 'Log files to follow (kernel LOG lines via rsyslog/syslog-ng/ulogd); each is followed across rotation and resumed from its stored offset.',
  },
  journal: {
    kind: 'bool', env: 'PROBEWATCH_JOURNAL', flag: 'journal',
    doc: 'Follow the kernel messages in journald (journalctl -k -f -o json) with cursor resume; costs one journalctl child process.',
  },
  journalctl: {
    kind: 'path', psad: 'journalctlCmd',
    doc: 'journalctl binary (looked up in PATH when not absolute).',
  },
  fromEnd: {
    kind: 'bool', flag: 'from-end',
    doc: 'A file or journal seen for the first time is read from its end instead of its start: skips history (faster start) but misses scans already logged.',
  },
  timezone: {
    kind: 'string', env: 'PROBEWATCH_TIMEZONE', flag: 'timezone',
    doc: 'Zone for stamps without an offset ("Nov 26 14:22:44"): IANA name or UTC; empty = the machine\'s zone. psad reads them as UTC; set UTC to match it.',
  },
  maxLineLength: {
    kind: 'int', min: 256, max: 16_777_216,
    doc: 'Longest line read (characters); longer firewall lines are counted as too-long errors. Higher tolerates odd relays, costs that much memory per source.',
  },
  errorSamples: {
    kind: 'int', min: 0, max: 1000,
    doc: 'Example lines kept per error reason (with line numbers) for reports; more helps debugging, costs memory and report size.',
  },
  futureTolerance: {
    kind: 'duration', min: 0, max: 31 * 86_400,
    doc: 'How far a yearless stamp may lie ahead of now before it is taken as last year\'s; covers writer clock skew, too much misdates old December lines.',
  },
  batchSize: {
    kind: 'int', min: 1, max: 1_000_000,
    doc: 'Lines per batch handed to detection and committed with the read offset in one transaction; larger is faster, holds more in memory and delays visibility.',
  },
  flushInterval: {
    kind: 'duration', min: 0.01, max: 3600,
    doc: 'A partial batch is flushed after this long, so a quiet log still shows up promptly; lower means more, smaller transactions.',
  },
  pollInterval: {
    kind: 'duration', min: 0.05, max: 3600,
    doc: 'How often followed files are checked for growth, rotation and truncation (besides fs.watch events); lower notices rotation sooner, costs stat calls.',
  },
  readChunk: {
    kind: 'int', min: 4096, max: 268_435_456,
    doc: 'Bytes read from a file at a time; larger reads faster through a backlog, costs that much buffer memory per file.',
  },
  syslogListen: {
    kind: 'list', env: 'PROBEWATCH_SYSLOG_LISTEN', flag: 'syslog-listen',
    doc: 'Syslog receivers, udp://HOST:PORT or tcp://HOST:PORT (RFC 3164/5424, TCP newline or octet-counted framing); lets other servers send their firewall logs here.',
  },
  syslogHost: {
    kind: 'enum', values: ['peer', 'message'],
    doc: 'Which name a remote event keeps as its sensor: the sender\'s address (peer; cannot be forged over TCP) or the HOSTNAME in the message (readable, but anyone can write it).',
  },
  syslogMaxConnections: {
    kind: 'int', min: 1, max: 100_000,
    doc: 'Concurrent TCP syslog connections; more serves more senders, each holds up to maxLineLength of buffer.',
  },
  syslogQueue: {
    kind: 'int', min: 100, max: 100_000_000,
    doc: 'Received messages waiting for processing before new ones are dropped (and counted as lost); larger rides out bursts, costs memory.',
  },
  sidTag: {
    kind: 'string', psad: 'SNORT_SID_STR',
    doc: 'Marker of an fwsnort SID in the log prefix ("SID" + digits); change only if your fwsnort rules use another.',
  },
});
