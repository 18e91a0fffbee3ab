// Passive OS fingerprinting settings: signature files, capture interfaces and filter, and p0f's flow-table caps.
import { section } from '../define.ts';

export const fingerprint = section('fingerprint', 'Passive OS fingerprinting (p0f v3 engine)', {
  signatures: ['modern.fp', 'p0f.fp'],
  interfaces: [] as string[],
  liveBackend: 'cap',
  reader: 'auto',
  bpfFilter: '',
  snaplen: 512,
  bufferSize: 8 * 1024 * 1024,
  maxFlows: 1000,
  maxHosts: 10000,
  flowMaxAge: 30,
  hostIdle: 7200,
  storeBatch: 2000,
}, {
  signatures: {
    kind: 'paths', env: 'PROBEWATCH_SIGNATURES', flag: 'signatures',
    doc: 'p0f.fp-format files matched in this order (the first matching signature wins); bare names are the bundled signatures/ files. modern.fp first lets current OSes win over stock generic labels; p0f.fp alone gives exactly stock p0f.',
  },
  interfaces: {
    kind: 'list', env: 'PROBEWATCH_INTERFACES', flag: 'interface',
    doc: 'Interfaces to capture SYNs on live (needs root or CAP_NET_RAW); empty disables live capture. "any" captures every interface in Linux cooked mode.',
  },
  liveBackend: {
    kind: 'enum', values: ['cap', 'pcap'], env: 'PROBEWATCH_LIVE_BACKEND', flag: 'backend',
    doc: 'Binding for live capture: cap (default) cannot read kernel drop counters or capture timestamps; pcap (node_pcap) reports both at the same speed.',
  },
  reader: {
    kind: 'enum', values: ['auto', 'libpcap', 'js'], env: 'PROBEWATCH_READER', flag: 'reader',
    doc: 'How capture files are read: js, a built-in pcap/pcapng reader without a native callback per packet (about a third less CPU; same frames, lines and counters as libpcap), or libpcap through node_pcap (any format libpcap reads, BPF filters). auto uses js for files and libpcap for --filter, standard input and files js does not recognise.',
  },
  bpfFilter: {
    kind: 'string', env: 'PROBEWATCH_BPF_FILTER', flag: 'filter',
    doc: 'Extra BPF expression that narrows what is fingerprinted (e.g. "dst net 203.0.113.0/24"); live capture ANDs it with a SYN-only filter, file reading with p0f\'s "tcp".',
  },
  snaplen: {
    kind: 'int', min: 128, max: 262144,
    doc: 'Bytes captured per live packet; headers need under 200 (IPv6 extension headers more), larger values only cost kernel buffer space.',
  },
  bufferSize: {
    kind: 'int', min: 65536, max: 1024 * 1024 * 1024,
    doc: 'Kernel capture buffer per interface in bytes; larger absorbs SYN floods without drops at the cost of locked memory.',
  },
  maxFlows: {
    kind: 'int', min: 1, max: 10_000_000,
    doc: 'Connections tracked while waiting for their SYN+ACK (p0f -m, default 1000); more catches SYN+ACKs of slow servers under a flood at the cost of memory, and changes output versus stock p0f.',
  },
  maxHosts: {
    kind: 'int', min: 1, max: 100_000_000,
    doc: 'Hosts tracked before the flow table is pruned (p0f -m, default 10000); keep p0f\'s value for identical output, raise it on busy sensors so SYN+ACKs are not lost to pruning.',
  },
  flowMaxAge: {
    kind: 'duration', min: 1, max: 86400,
    doc: 'How long a SYN waits for its SYN+ACK (p0f -t, 30s); longer matches slow answers, shorter frees memory sooner under floods.',
  },
  hostIdle: {
    kind: 'duration', min: 60, max: 30 * 86400,
    doc: 'How long an idle host stays in the engine\'s host table (p0f -t, 120m); only affects pruning order, never what is stored.',
  },
  storeBatch: {
    kind: 'int', min: 1, max: 1_000_000,
    doc: 'Fingerprints per store transaction; larger is faster on floods but delays what the API shows by up to one batch.',
  },
});
