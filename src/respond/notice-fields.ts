// Flattens a notice for scripts (PROBEWATCH_* environment variables) and webhooks (a versioned JSON document).
import { isoTime } from '../domain/clock.ts';
import type { BlockRecord, ScanNotice } from '../domain/response.ts';
import { scanDetectedLine, scanStyle } from './psad-format.ts';

const uniq = (xs: readonly string[]): string[] => [...new Set(xs)];

/** PROBEWATCH_* variables describing a notice (values are data: the runner strips NULs and bounds the size). */
export function noticeFields(n: ScanNotice): Record<string, string> {
  const ports: string[] = [];
  const flags: string[] = [];
  const chains: string[] = [];
  for (const d of n.destinations) {
    if (d.tcp) ports.push(`tcp:${d.tcp.low}-${d.tcp.high}`);
    if (d.udp) ports.push(`udp:${d.udp.low}-${d.udp.high}`);
    for (const f of d.tcp?.flags ?? []) flags.push(f.flags);
    for (const c of [...(d.tcp?.chains ?? []), ...(d.udp?.chains ?? []), ...(d.icmp?.chains ?? [])]) chains.push(c.chain);
  }
  const sigs = n.destinations.flatMap((d) => d.signatures ?? []).map((s) => `${s.sid}:${s.msg}`);
  const geo = n.context?.geo;
  return {
    PROBEWATCH_SRC_IP: n.ip,
    PROBEWATCH_DANGER_LEVEL: String(n.level),
    PROBEWATCH_PREVIOUS_LEVEL: String(n.previous),
    PROBEWATCH_REASON: n.reason,
    PROBEWATCH_TIME: isoTime(n.time),
    PROBEWATCH_PACKETS: String(n.packets),
    PROBEWATCH_DESTINATIONS: n.destinations.map((d) => d.dst).join(','),
    PROBEWATCH_PORTS: uniq(ports).join(','),
    PROBEWATCH_FLAGS: uniq(flags).join(','),
    PROBEWATCH_CHAINS: uniq(chains).join(','),
    PROBEWATCH_PREFIXES: uniq(n.prefixes).join(','),
    PROBEWATCH_SCAN_TYPES: uniq([...n.scanTypes, ...n.destinations.map(scanStyle).filter((s) => s)]).join(','),
    PROBEWATCH_SIGNATURES: uniq(sigs).join(';'),
    PROBEWATCH_OS: (n.context?.os ?? [])[0] ?? '',
    PROBEWATCH_RDNS: n.context?.rdns ?? '',
    PROBEWATCH_COUNTRY: geo?.country ?? '',
    PROBEWATCH_ASN: geo?.asn === null || geo?.asn === undefined ? '' : String(geo.asn),
  };
}

/** PROBEWATCH_* variables for the block script. */
export function blockFields(rec: BlockRecord): Record<string, string> {
  return {
    PROBEWATCH_EVENT: 'block',
    PROBEWATCH_SRC_IP: rec.ip,
    PROBEWATCH_DANGER_LEVEL: String(rec.level),
    PROBEWATCH_BLOCK_SECONDS: rec.expiresAt === null ? '0' : String(Math.round((rec.expiresAt - rec.createdAt) / 1000)),
    PROBEWATCH_BLOCK_ORIGIN: rec.origin,
    PROBEWATCH_REASON: rec.reason,
  };
}

/** The webhook document for an alert (schema version 1). */
export function webhookPayload(n: ScanNotice, dsts: readonly string[], host: string, now: number): Record<string, unknown> {
  const sel = n.destinations.filter((d) => dsts.includes(d.dst));
  return {
    type: 'alert',
    version: 1,
    host,
    time: isoTime(now),
    eventTime: isoTime(n.time),
    source: {
      ip: n.ip,
      dangerLevel: n.level,
      previousLevel: n.previous,
      levelChanged: n.level !== n.previous,
      reason: n.reason,
      packets: n.packets,
      scanTypes: n.scanTypes,
      prefixes: n.prefixes,
      os: n.context?.os ?? [],
      rdns: n.context?.rdns ?? null,
      geo: n.context?.geo ?? null,
    },
    totalDestinations: n.destinations.length,
    destinations: sel.map((d) => ({
      ip: d.dst,
      scanType: scanStyle(d) || null,
      tcp: d.tcp ?? null,
      udp: d.udp ?? null,
      icmp: d.icmp ?? null,
      otherPackets: d.otherPackets ?? 0,
      labels: d.labels ?? [],
      signatures: d.signatures ?? [],
      firstSeen: isoTime(d.firstSeen),
      syslog: scanDetectedLine(n.ip, d, n.level, n.destinations.length),
    })),
  };
}
