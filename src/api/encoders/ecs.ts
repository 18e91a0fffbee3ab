// Feed events as Elastic Common Schema documents: an enrichment/threat-indicator document per source state.
import type { SourceProfile } from '../../domain/profile.ts';
import { osText, portsByPackets } from '../../domain/summary.ts';
import { eventHeader } from './event.ts';
import type { ResolvedEntry } from './event.ts';

/** ECS version the documents follow. */
export const ECS_VERSION = '8.11.0';

type Json = string | number | boolean | Json[] | { [k: string]: Json };

/** Drops undefined, null and empty-string/empty-array/empty-object values (ECS documents carry no nulls). */
function clean(o: Record<string, unknown>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) {
      if (v.length > 0) out[k] = v as Json[];
    } else if (typeof v === 'object') {
      const c = clean(v as Record<string, unknown>);
      if (Object.keys(c).length > 0) out[k] = c;
    } else {
      out[k] = v as Json;
    }
  }
  return out;
}

/** ECS `threat.indicator.confidence` for a danger level. */
export function confidence(level: number): string {
  if (level <= 0) return 'None';
  if (level <= 2) return 'Low';
  if (level === 3) return 'Medium';
  return 'High';
}

function geo(p: SourceProfile): Record<string, unknown> | undefined {
  const g = p.geo;
  if (!g) return undefined;
  return {
    country_iso_code: g.country ?? undefined,
    country_name: g.countryName ?? undefined,
    city_name: g.city ?? undefined,
    region_name: g.region ?? undefined,
    continent_code: g.continent ?? undefined,
    timezone: g.timezone ?? undefined,
    location: typeof g.latitude === 'number' && typeof g.longitude === 'number' ? { lat: g.latitude, lon: g.longitude } : undefined,
  };
}

function asn(p: SourceProfile): Record<string, unknown> | undefined {
  if (!p.as || p.as.number === null) return undefined;
  return { number: p.as.number, organization: { name: p.as.organization ?? undefined } };
}

/** The ECS document of one resolved feed entry. */
export function ecsDocument(r: ResolvedEntry, observer: { version: string; hostname?: string }): Record<string, Json> {
  const h = eventHeader(r);
  const ip = r.entry.ip;
  const family = ip.includes(':') ? 'ipv6' : 'ipv4';
  const p = r.profile;
  const base = {
    '@timestamp': h.created,
    ecs: { version: ECS_VERSION },
    event: {
      id: h.id,
      kind: 'enrichment',
      category: ['threat'],
      type: p ? ['indicator'] : ['indicator', 'deletion'],
      action: h.action,
      created: h.created,
      start: p?.firstSeen,
      end: p?.lastSeen,
      dataset: 'probewatch.profile',
      module: 'probewatch',
      provider: 'probewatch',
      severity: p?.dangerLevel ?? 0,
      risk_score: (p?.dangerLevel ?? 0) * 20,
      sequence: h.sequence,
    },
    observer: { type: 'ids', vendor: 'probewatch', product: 'probewatch', version: observer.version, hostname: observer.hostname },
    network: { type: family },
    related: { ip: [ip] },
    threat: {
      indicator: { type: family === 'ipv6' ? 'ipv6-addr' : 'ipv4-addr', ip, provider: 'probewatch' },
      feed: { name: 'probewatch', description: 'Sources probing this sensor (psad-compatible scan detection, p0f OS guesses)' },
    },
    probewatch: { version: r.version, deleted: p === null },
  };
  if (!p) return clean({ ...base, source: { ip } });
  const ports = portsByPackets(p);
  const scanning = p.scanTypes.length > 0 || p.dangerLevel > 0;
  const cur = p.os.current;
  return clean({
    ...base,
    source: { ip, domain: p.rdns?.name ?? undefined, packets: p.packets, geo: geo(p), as: asn(p) },
    network: { type: family, transport: p.protocols.map((x) => x.proto) },
    related: { ip: [ip], hosts: p.rdns?.name ? [p.rdns.name] : undefined },
    threat: {
      indicator: {
        type: family === 'ipv6' ? 'ipv6-addr' : 'ipv4-addr',
        ip,
        first_seen: p.firstSeen,
        last_seen: p.lastSeen,
        modified_at: h.created,
        sightings: p.packets,
        confidence: confidence(p.dangerLevel),
        provider: 'probewatch',
        description: describe(p),
        port: ports.slice(0, 20).map((x) => x.port),
      },
      feed: base.threat.feed,
      framework: scanning ? 'MITRE ATT&CK' : undefined,
      technique: scanning ? { id: ['T1595'], name: ['Active Scanning'] } : undefined,
    },
    probewatch: {
      version: r.version,
      deleted: false,
      danger_level: p.dangerLevel,
      scan_types: p.scanTypes,
      signatures: p.signatures.map((s) => ({ sid: s.sid, msg: s.msg, dl: s.dl, count: s.count })),
      ports: ports.slice(0, 50).map((x) => `${x.proto}/${x.port}`),
      protocols: p.protocols.map((x) => x.proto),
      tags: p.tags,
      sensors: p.sensors,
      destinations: p.destinations.length,
      os: cur ? {
        label: cur.label ?? undefined, name: cur.name ?? undefined, flavor: cur.flavor ?? undefined, class: cur.class ?? undefined,
        quality: cur.quality, tool: cur.tool, distance: cur.dist, raw_sig: cur.rawSig, muonfp: cur.muonfp,
        link: cur.link ?? undefined, mtu: cur.mtu ?? undefined,
      } : undefined,
      whois: p.whois ? {
        registry: p.whois.registry ?? undefined, range: p.whois.range ?? undefined, netname: p.whois.netname ?? undefined,
        org: p.whois.orgName ?? undefined, country: p.whois.country ?? undefined, abuse: p.whois.abuse ?? undefined,
      } : undefined,
      blocked_until: p.response.blockedUntil ?? undefined,
    },
  });
}

/** One line describing the source, for indicator descriptions and CEF msg. */
export function describe(p: SourceProfile): string {
  const parts = [`danger level ${p.dangerLevel}`, `${p.packets} packets`];
  if (p.ports.length > 0) parts.push(`${p.ports.length} ports`);
  if (p.scanTypes.length > 0) parts.push(p.scanTypes.slice(0, 3).join(', '));
  const os = osText(p);
  if (os) parts.push(`OS ${os}`);
  return parts.join('; ');
}
