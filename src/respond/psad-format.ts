// psad's alert texts, byte for byte: the "scan detected" and "signature match" syslog lines and the email alert body.
// (psad 2.4.6 scan_logr psad:5402-6005, scan_logr_signatures psad:6020, print_chains_and_prefixes psad:6258.)
import { psadIp } from '../domain/address.ts';
import type { ChainPrefixCount, DestinationActivity, NoticeContext, ScanNotice } from '../domain/response.ts';

const LOG_LEN = 23;
const pad = (label: string): string => label.padStart(LOG_LEN);
const range = (lo: number, hi: number): string => (lo === hi ? String(lo) : `${lo}-${hi}`);

const NMAP_OPTS: Record<string, string> = { SYN: '-sT or -sS', FIN: '-sF', 'URG PSH FIN': '-sX', NULL: '-sN', 'URG PSH SYN FIN': '-O' };

/** psad's scan style text ("Nmap -sT or -sS scan", "-sU scan", "Mirai botnet default credentials scan", …). */
export function scanStyle(d: DestinationActivity): string {
  let style = '';
  if (d.protocolScan !== undefined) style += 'Nmap -sO IP protocol scan,';
  const labels = new Set(d.labels ?? []);
  if (d.tcp) {
    for (const { flags } of d.tcp.flags) {
      const opts = NMAP_OPTS[flags] ?? '';
      if (labels.has('port-sweep')) style = `Port sweep ${flags} scan`;
      else if (labels.has('topera')) style = `Topera ${flags} scan`;
      else if (labels.has('masscan')) style = `Masscan ${flags} scan`;
      else if (labels.has('mirai')) style = 'Mirai botnet default credentials scan';
      else style = style ? `${style} ${opts} scan,` : `Nmap ${opts} scan,`;
    }
  }
  if (d.udp) style += ' -sU scan,';
  return style.replace(/,$/, '').replace(/^\s/, '');
}

/** psad's `scan detected (…): SRC -> DST …` line for one destination. */
export function scanDetectedLine(src: string, d: DestinationActivity, level: number, totalDsts: number): string {
  const style = scanStyle(d);
  let range_ = '';
  if (d.tcp) {
    const flags = d.tcp.flags.map((f) => f.flags).join(' ');
    range_ = `tcp: [${range(d.tcp.low, d.tcp.high)}]${flags ? ` flags: ${flags}` : ''}`;
  }
  if (d.udp) range_ = `udp: [${range(d.udp.low, d.udp.high)}]`;
  let s = 'scan detected ';
  if (style) s += `(${style}): `;
  s += `${psadIp(src)} -> ${psadIp(d.dst)}`;
  if (range_) s += ` ${range_}`;
  if (d.tcp?.packets) s += ` tcp pkts: ${d.tcp.packets}`;
  if (d.udp?.packets) s += ` udp pkts: ${d.udp.packets}`;
  if (d.icmp?.packets) s += ` icmp pkts: ${d.icmp.packets}`;
  if (d.otherPackets) s += ` other proto pkts: ${d.otherPackets}`;
  return `${s} DL: ${level} total scan dsts: ${totalDsts}`;
}

const FWSNORT_CHAIN: Record<string, string> = { INPUT: 'FWSNORT_INPUT', FORWARD: 'FWSNORT_FORWARD', OUTPUT: 'FWSNORT_OUTPUT' };
const hasPort = (proto: string): boolean => proto === 'tcp' || proto === 'udp' || proto === 'udplite';

/** psad's `src: SRC signature match: "MSG" (sid: N) proto port: P` lines, at most `threshold` per protocol. */
export function signatureLines(src: string, d: DestinationActivity, threshold: number): string[] {
  const out: string[] = [];
  const perProto = new Map<string, number>();
  for (const s of d.signatures ?? []) {
    const n = (perProto.get(s.proto) ?? 0) + 1;
    perProto.set(s.proto, n);
    if (n > threshold) continue;
    let line = `src: ${psadIp(src)} signature match: "${s.msg}" (sid: ${s.sid}) ${s.proto}`;
    if (hasPort(s.proto)) line += ` port: ${s.dport ?? 0}`;
    if (s.fwsnort) {
      line += ' fwsnort';
      if (s.fwsnortEstab !== undefined) {
        const c = FWSNORT_CHAIN[s.chain];
        if (c) line += ` chain: ${c}`;
        if (s.fwsnortEstab) line += '_ESTAB';
      }
      if (s.fwsnortRule) line += ` rule: ${s.fwsnortRule}`;
    }
    out.push(line);
  }
  return out;
}

/** Every syslog line psad writes for one alerted destination: signature matches first, then the scan line. */
export function alertSyslogLines(n: ScanNotice, dst: string, opts: { signatures: boolean; threshold: number }): string[] {
  const d = n.destinations.find((x) => x.dst === dst);
  if (!d) return [];
  const sig = opts.signatures ? signatureLines(n.ip, d, opts.threshold) : [];
  return [...sig, scanDetectedLine(n.ip, d, n.level, n.destinations.length)];
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/** Perl's `scalar localtime` ("Thu Nov 26 14:24:52 2026", day padded with a space). */
export function perlLocaltime(ms: number): string {
  const t = new Date(ms);
  return `${DAYS[t.getDay()]!} ${MONTHS[t.getMonth()]!} ${String(t.getDate()).padStart(2, ' ')} ${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())} ${t.getFullYear()}`;
}

function chainLines(chains: readonly ChainPrefixCount[]): string[] {
  const out: string[] = [];
  for (const c of chains) {
    if (c.prefix === '') {
      out.push(`${pad('iptables chain: ')}${c.chain}, ${c.packets} packets`);
      continue;
    }
    let chain = c.chain;
    let rule = 0;
    if (/SID\d+/.test(c.prefix)) {
      rule = Number(/\[(\d+)\]/.exec(c.prefix)?.[1] ?? 0);
      chain = FWSNORT_CHAIN[c.chain] ?? c.chain;
      if (c.prefix.includes('ESTAB')) chain += '_ESTAB';
    }
    out.push(`${pad('iptables chain: ')}${chain} (prefix "${c.prefix}"), ${c.packets} packets`);
    if (rule) out.push(`${pad('fwsnort rule: ')}${rule}`);
  }
  return out;
}

function signatureBlock(d: DestinationActivity): string {
  let out = '';
  const protos = [...new Set((d.signatures ?? []).map((s) => s.proto))];
  for (const proto of protos) {
    out += `\n\n[+] ${proto.toUpperCase()} scan signatures:\n\n`;
    for (const s of (d.signatures ?? []).filter((x) => x.proto === proto)) {
      out += `   "${s.msg}"\n`;
      if (hasPort(proto)) {
        const dp = s.dport ?? 0;
        if (s.chain === 'INPUT') out += `       dst port:  ${dp} (${s.localServer ? 'server bound to local port!' : 'no server bound to local port'})\n`;
        else out += `       dst port:  ${dp}\n`;
        if (proto === 'tcp') out += `       flags:     ${s.flags ?? 'NA'}\n`;
      }
      let chain = s.chain;
      if (s.fwsnort && s.fwsnortEstab !== undefined) chain = `${FWSNORT_CHAIN[s.chain] ?? s.chain}${s.fwsnortEstab ? '_ESTAB' : ''}`;
      out += `${s.psadId ? '       psad_id:   ' : '       sid:       '}${s.sid}\n`;
      out += `       chain:     ${chain}\n       packets:   ${s.packets}\n`;
      if (s.classtype) out += `       classtype: ${s.classtype}\n`;
      out += '\n';
    }
  }
  for (const f of d.icmpFindings ?? []) out += `   ${f}\n`;
  return out;
}

/** Options of the email body that do not come from the notice. */
export interface EmailOptions {
  /** Wall-clock ms of the alert (header and footer line). */
  now: number;
  /** "Total email alerts" value. */
  counter: number;
  /** Print the DNS lines (psad prints them when ENABLE_DNS_LOOKUPS is on). */
  dns: boolean;
}

/** psad's email alert for one destination, plus a Geo line (probewatch addition) when the notice has geo data. */
export function emailBody(n: ScanNotice, dst: string, o: EmailOptions): string {
  const d = n.destinations.find((x) => x.dst === dst);
  if (!d) return '';
  const ctx: NoticeContext = n.context ?? {};
  const time = perlLocaltime(o.now);
  const L: string[] = [];
  let head = `=-=-=-=-=-=-=-=-=-=-=-= ${time} =-=-=-=-=-=-=-=-=-=-=-=\n\n\n`;
  head += `${pad('Danger level: ')}[${n.level}] (out of 5)${(d.totalProtocols ?? 1) > 1 ? ' Multi-Protocol' : ''}\n\n`;
  L.push(`${pad('Scanned destinations: ')}${n.destinations.length}`);
  if (d.protocolScan !== undefined) L.push(`${pad('IP Protocol scan: ')}[${d.protocolScan} unique protocols, Nmap -sO]`);
  const labels = new Set(d.labels ?? []);
  if (d.tcp) {
    L.push(`${pad('Scanned TCP ports: ')}[${range(d.tcp.low, d.tcp.high)}: ${d.tcp.packets} packets]`);
    let prefix = 'TCP flags: ';
    for (const { flags, packets } of d.tcp.flags) {
      const opts = NMAP_OPTS[flags] ?? '';
      let text: string;
      if (labels.has('port-sweep')) text = `[${flags}: ${packets} packets, port sweep ${flags} scan]`;
      else if (labels.has('topera')) text = `[${flags}: ${packets} packets, Topera ${flags} scan]`;
      else if (labels.has('masscan')) text = `[${flags}: ${packets} packets, Masscan ${flags} scan]`;
      else if (labels.has('mirai')) text = `[${flags}: ${packets} packets, Mirai botnet default credentials scan]`;
      else text = opts ? `[${flags}: ${packets} packets, Nmap: ${opts}]` : `[${flags}: ${packets} packets]`;
      L.push(`${pad(prefix)}${text}`);
      // psad clears the label only on the plain-nmap branch, so labelled flag lines all say "TCP flags:"
      if (!labels.has('port-sweep') && !labels.has('topera') && !labels.has('masscan') && !labels.has('mirai')) prefix = '';
    }
    L.push(...chainLines(d.tcp.chains));
  }
  if (d.udp) {
    L.push(`${pad('Scanned UDP ports: ')}[${range(d.udp.low, d.udp.high)}: ${d.udp.packets} packets, Nmap: -sU]`);
    L.push(...chainLines(d.udp.chains));
  }
  if (d.icmp) {
    L.push(`${pad('icmp packets: ')}[${d.icmp.packets}]`);
    L.push(...chainLines(d.icmp.chains));
  }
  L.push('', `${pad('Source: ')}${psadIp(n.ip)}`);
  if (o.dns) L.push(`${pad('DNS: ')}${ctx.rdns ?? '[No reverse dns info available]'}`);
  (ctx.os ?? []).forEach((os, i) => L.push(`${pad(i === 0 ? 'OS guess: ' : ' ')}${os}`));
  if (ctx.geo) {
    const g = ctx.geo;
    const where = [g.country, g.city].filter((x) => x).join(', ');
    const as = g.asn !== null ? ` (AS${g.asn}${g.org ? ` ${g.org}` : ''})` : '';
    if (where || as) L.push(`${pad('Geo: ')}${where || 'unknown'}${as}`);
  }
  L.push('', `${pad('Destination: ')}${psadIp(dst)}`);
  if (o.dns) L.push(`${pad('DNS: ')}[No reverse dns info available]`);
  L.push('', `${pad('Overall scan start: ')}${perlLocaltime(d.firstSeen)}`, `${pad('Total email alerts: ')}${o.counter}`);
  if (d.tcpRange) L.push(`${pad('Complete TCP range: ')}[${range(d.tcpRange.low, d.tcpRange.high)}]`);
  if (d.udpRange) L.push(`${pad('Complete UDP range: ')}[${range(d.udpRange.low, d.udpRange.high)}]`);
  const sensors = d.sensors ?? [];
  if (sensors.length > 0) L.push(`${pad(sensors.length > 1 ? 'Syslog hostnames: ' : 'Syslog hostname: ')}${sensors.join(', ')}`);
  L.push('', pad('Global stats: '), `${pad('')}${'chain:'.padEnd(9)}${'interface:'.padEnd(12)}${'protocol:'.padEnd(11)}${'packets:'.padEnd(10)}`);
  for (const s of d.stats ?? []) L.push(`${pad('')}${s.chain.padEnd(9)}${s.intf.padEnd(12)}${s.proto.padEnd(11)}${String(s.packets).padEnd(10)}`);
  let body = `${head}${L.join('\n')}\n${signatureBlock(d)}`;
  if (ctx.whois) body += `\n[+] Whois Information (source IP):\n${ctx.whois.endsWith('\n') ? ctx.whois : `${ctx.whois}\n`}`;
  body += `\n=-=-=-=-=-=-=-=-=-=-=-= ${time} =-=-=-=-=-=-=-=-=-=-=-=\n`;
  return body;
}

/** psad's alert subject: "[prefix] DL3 src: SRC dst: DST" (the rDNS name replaces the source address when known). */
export function emailSubject(prefix: string, n: ScanNotice, dst: string): string {
  return `${prefix} DL${n.level} src: ${n.context?.rdns ?? psadIp(n.ip)} dst: ${psadIp(dst)}`;
}
