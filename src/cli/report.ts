// The readable scan report of `analyze` and `status` (after psad -A / psad -S): levels, top signatures, attackers and
// ports, prefixes and protocol counters, scan types and chains/interfaces, then per-source detail. Attacker-controlled text is escaped.
import type { SourceProfile } from '../domain/profile.ts';
import type { ParseStatsSummary } from '../logs/parse-stats.ts';

/** Everything a report shows. */
export interface ReportData {
  /** "psad compatibility" or "probewatch". */
  mode: string;
  /** Sources per danger level (index = level). */
  levels: number[];
  /** Sources with a profile. */
  sources: number;
  minDangerLevel: number;
  topSigs: { sid: number; msg: string; proto: string; count: number; sources: number }[];
  topAttackers: { ip: string; dl: number; packets: number; sigCount: number }[];
  topPorts: { proto: string; port: number; packets: number }[];
  prefixes: [string, number][];
  protocols: [string, number][];
  /** Profiles shown in detail (the top attackers at or above the minimum level). */
  details: SourceProfile[];
  /** Input summary (analyze). */
  input?: {
    inputs: readonly string[];
    lines: number;
    /** Packets counted towards scan state. */
    counted: number;
    parse: ParseStatsSummary;
    skipped: [string, number][];
    unreadable: { input: string; error: string }[];
    elapsedMs: number;
  };
  /** Operational notes (data files, skipped rules). */
  notes: string[];
}

/** Makes attacker-controlled text safe for a terminal: control characters become \xNN. */
export function safe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function rangeText(low: number, high: number): string {
  return low === high ? String(low) : `${low}-${high}`;
}

/** Geo, AS, whois and rDNS lines (psad -A's whois block and more), and providers that failed or were skipped. */
function enrichmentLines(p: SourceProfile): string[] {
  const out: string[] = [];
  const t = (x: string | number | null | undefined): string => (x === null || x === undefined || x === '' ? '-' : safe(String(x)));
  if (p.geo) out.push(`    Geo: ${t(p.geo.country)}${p.geo.city ? `, ${safe(p.geo.city)}` : ''}${p.geo.anonymous ? `  Anonymous: ${Object.entries(p.geo.anonymous).filter(([, v]) => v).map(([k]) => k).join(', ') || 'no'}` : ''}`);
  if (p.as) out.push(`    AS: ${p.as.number === null ? '-' : `AS${p.as.number}`} ${t(p.as.organization)}${p.as.network ? ` (${safe(p.as.network)})` : ''}`);
  const w = p.whois;
  if (w) {
    out.push(`    Whois (${t(w.server ?? w.registry)}): ${w.parsed ? [w.netname, w.orgName, w.range, w.country].filter(Boolean).map((x) => safe(String(x))).join(', ') : 'unparsed answer kept raw (--json)'}`);
    if (w.abuse) out.push(`        Abuse: ${safe(w.abuse)}`);
    for (const d of w.descr.slice(0, 3)) out.push(`        Descr: ${safe(d)}`);
  }
  if (p.rdns?.name) out.push(`    rDNS: ${safe(p.rdns.name)}${p.rdns.confirmed ? '' : ' (not forward-confirmed)'}`);
  const odd = Object.entries(p.enrichment).filter(([, s]) => s.state === 'failed' || (s.state === 'skipped' && s.reason));
  if (out.length > 0 || odd.length > 0) {
    out.push(`    Enrichment: ${Object.entries(p.enrichment).map(([k, s]) => `${k} ${s.state}${s.reason && s.state !== 'done' ? ` (${safe(s.reason)})` : ''}`).join('; ')}`);
  }
  return out;
}

function detail(p: SourceProfile): string[] {
  const out: string[] = [];
  const sigCount = p.signatures.reduce((n, s) => n + s.count, 0);
  out.push(`SRC:  ${p.ip}, DL: ${p.dangerLevel}, Dsts: ${p.destinations.length}, Pkts: ${p.packets}, ` +
    `Protocols: ${p.protocols.map((x) => x.proto).join(', ')}, Unique sigs: ${p.signatures.length}, Sig count: ${sigCount}`);
  out.push(`    First seen: ${p.firstSeen}  Last seen: ${p.lastSeen}`);
  out.push(...enrichmentLines(p));
  if (p.scanTypes.length > 0) out.push(`    Scan types: ${p.scanTypes.map(safe).join('; ')}`);
  if (p.chains.length > 0) out.push(`    Chains: ${p.chains.join(', ')}  Interfaces: ${p.interfaces.map(safe).join(', ') || '-'}`);
  if (p.sensors.length > 0) out.push(`    Logged by: ${p.sensors.map(safe).join(', ')}`);
  out.push(...enrichmentLines(p));
  if (p.dangerHistory.length > 0) {
    out.push(`    Danger level history: ${p.dangerHistory.map((h) => `${h.level} (${h.reason}, ${h.time})`).join(' → ')}`);
  }
  const maxDst = 10;
  for (const d of p.destinations.slice(0, maxDst)) {
    out.push(`    DST: ${d.ip}, Pkts: ${d.packets}`);
    for (const r of d.portRanges) out.push(`        Scanned ports: ${r.proto.toUpperCase()} ${rangeText(r.low, r.high)}`);
    for (const c of d.chains) {
      out.push(`        Chain: ${c.chain}, Intf: ${safe(c.inIf || c.outIf)}, Proto: ${c.proto}, Pkts: ${c.packets}`);
    }
    if (d.flags.length > 0) out.push(`        TCP flags: ${d.flags.map((f) => `${f.flags}: ${f.packets}`).join(', ')}`);
    if (d.scanTypes.length > 0) out.push(`        Scan types: ${d.scanTypes.map(safe).join('; ')}`);
    if (d.prefixes.length > 0) out.push(`        Log prefixes: ${d.prefixes.map((x) => `"${safe(x.prefix)}": ${x.packets}`).join(', ')}`);
  }
  if (p.destinations.length > maxDst) out.push(`    … and ${p.destinations.length - maxDst} more destinations (--json lists them all)`);
  for (const s of p.signatures) {
    out.push(`    Signature match: "${safe(s.msg)}" (${s.proto}), Count: ${s.count}, DL: ${s.dl}, Sid: ${s.sid}` +
      (s.dports.length > 0 ? `, DP: ${s.dports.join(',')}` : '') + (s.fwsnort ? ', fwsnort' : ''));
  }
  return out;
}

/** Renders the report as text. */
export function renderReport(r: ReportData): string {
  const out: string[] = [];
  out.push(`[+] probewatch scan report (${r.mode} mode)`);
  if (r.input) {
    const i = r.input;
    out.push(`[+] Read ${i.lines} lines from ${i.inputs.map(safe).join(', ')} in ${(i.elapsedMs / 1000).toFixed(2)} s: ` +
      `${i.parse.packets} firewall packets, ${i.parse.errors} malformed firewall lines, ${i.parse.skipped} other lines`);
    for (const u of i.unreadable) out.push(`[-] Could not read ${safe(u.input)}: ${safe(u.error)}`);
  }
  out.push('[+] Danger levels:');
  for (let dl = 1; dl <= 5; dl++) out.push(`    Level ${dl}: ${r.levels[dl] ?? 0} IP addresses`);
  out.push(`    Tracking ${r.sources} sources (${r.levels[0] ?? 0} below level 1)`, '');
  out.push(`[+] Top ${r.topSigs.length} signature matches:`);
  if (r.topSigs.length === 0) out.push('        [NONE]');
  for (const s of r.topSigs) {
    out.push(`      "${safe(s.msg)}" (${s.proto}),  Count: ${s.count},  Unique sources: ${s.sources},  Sid: ${s.sid}`);
  }
  out.push('', `[+] Top ${r.topAttackers.length} attackers:`);
  if (r.topAttackers.length === 0) out.push('        [NONE]');
  for (const a of r.topAttackers) out.push(`      ${a.ip.padEnd(15)} DL: ${a.dl}, Packets: ${a.packets}, Sig count: ${a.sigCount}`);
  out.push('', `[+] Top ${r.topPorts.length} scanned ports:`);
  if (r.topPorts.length === 0) out.push('        [NONE]');
  for (const p of r.topPorts) out.push(`      ${p.proto} ${String(p.port).padEnd(5)} ${p.packets} packets`);
  out.push('', '[+] Log prefix counters:');
  if (r.prefixes.length === 0) out.push('        [NONE]');
  for (const [p, n] of r.prefixes) out.push(`      "${safe(p)}": ${n}`);
  out.push('', '    Total protocol packet counters:');
  for (const [p, n] of r.protocols) out.push(`      ${p.padStart(8)}: ${n} pkts`);
  const shown = `level ${Math.max(1, r.minDangerLevel)} and above, top ${r.details.length}`;
  out.push('', `[+] Scan types (sources at ${shown}):`);
  const types = new Map<string, number>();
  for (const p of r.details) for (const t of p.scanTypes) types.set(t, (types.get(t) ?? 0) + 1);
  if (types.size === 0) out.push('        [NONE]');
  for (const [t, n] of [...types].sort((a, b) => b[1] - a[1])) out.push(`      ${safe(t)}: ${n} source${n === 1 ? '' : 's'}`);
  out.push('', `[+] Chains and interfaces (packets from sources at ${shown}):`);
  const where = new Map<string, number>();
  for (const p of r.details) {
    for (const d of p.destinations) {
      for (const c of d.chains) {
        const k = `${c.chain}\t${c.inIf || c.outIf || '-'}`;
        where.set(k, (where.get(k) ?? 0) + c.packets);
      }
    }
  }
  if (where.size === 0) out.push('        [NONE]');
  for (const [k, n] of [...where].sort((a, b) => b[1] - a[1])) {
    const [chain = '', intf = ''] = k.split('\t');
    out.push(`      Chain: ${safe(chain)}, Intf: ${safe(intf)}: ${n} pkts`);
  }
  out.push('', `[+] Source detail (level ${Math.max(1, r.minDangerLevel)} and above):`);
  if (r.details.length === 0) out.push('        [NONE]');
  for (const p of r.details) out.push('', ...detail(p));
  if (r.input) {
    const i = r.input;
    out.push('', '[+] Malformed firewall lines (never counted):');
    const reasons = Object.entries(i.parse.byReason);
    if (reasons.length === 0) out.push('        [NONE]');
    for (const [reason, n] of reasons) {
      out.push(`      ${reason}: ${n}`);
      for (const s of i.parse.samples[reason as keyof typeof i.parse.samples] ?? []) {
        out.push(`          ${s.source ? `${safe(s.source)}:` : 'line '}${s.line}: ${safe(s.text.slice(0, 160))}${s.detail ? ` (${safe(s.detail)})` : ''}`);
      }
    }
    if (i.skipped.length > 0) {
      out.push('', '[+] Packets not counted (filters):');
      for (const [why, n] of i.skipped) out.push(`      ${why}: ${n}`);
    }
    if (i.parse.lossNotices > 0) {
      out.push('', `[!] ${i.parse.lossNotices} rate-limit notices: packets may have been lost before they were logged ` +
        `(${Object.entries(i.parse.possiblyLost).map(([k, n]) => `${k}: ${n}`).join(', ')})`);
    }
  }
  for (const n of r.notes) out.push(`[*] ${safe(n)}`);
  return `${out.join('\n')}\n`;
}
