// The compact summary of a profile shown in lists and live streams; one definition for the index and the API.
import type { SourceProfile } from './profile.ts';
import type { SourceSummary } from './queries.ts';

/** Current OS guess as one display string: OS or tool name with its flavor, or null. */
export function osText(p: SourceProfile): string | null {
  const g = p.os.current;
  if (!g?.name) return null;
  return g.flavor ? `${g.name} ${g.flavor}` : g.name;
}

/** The busiest ports first (ties by port number). */
export function portsByPackets(p: SourceProfile): SourceProfile['ports'] {
  return [...p.ports].sort((a, b) => b.packets - a.packets || a.port - b.port);
}

/** Summarises a profile at `version`. */
export function summarize(p: SourceProfile, version: number): SourceSummary {
  return {
    ip: p.ip,
    family: p.family,
    dangerLevel: p.dangerLevel,
    packets: p.packets,
    firstSeen: p.firstSeen,
    lastSeen: p.lastSeen,
    country: p.geo?.country ? p.geo.country.toUpperCase() : null,
    city: p.geo?.city ?? null,
    asn: p.as?.number ?? null,
    asOrganization: p.as?.organization ?? null,
    os: osText(p),
    ports: portsByPackets(p).slice(0, 10).map((x) => `${x.proto}/${x.port}`),
    scanTypes: p.scanTypes.slice(0, 10),
    tags: p.tags.slice(0, 10),
    sensors: p.sensors.slice(0, 10),
    blockedUntil: p.response.blockedUntil,
    version,
  };
}
