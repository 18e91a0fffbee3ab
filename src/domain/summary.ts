// The compact summary of a profile shown in lists and live streams; one definition for the index and the API.
import type { SourceProfile } from './profile.ts';
import type { SourceSummary } from './queries.ts';

/** Current OS guess as one display string: OS or tool name with its flavor, or null. */
export function osText(p: SourceProfile): string | null {
  return guessText(p.os.current);
}

/** How OS and tool names are compared (the `os` filter, index terms, /stats): lower case, whitespace collapsed. */
export function osKey(s: string): string {
  return s.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** The text of one guess as the breakdowns show it ("Linux 3.11 and newer", "NMap SYN scan"), or null without a name. */
export function guessText(g: { name: string | null; flavor: string | null } | null): string | null {
  if (!g?.name) return null;
  return g.flavor ? `${g.name} ${g.flavor}` : g.name;
}

/**
 * The OS and tool guesses a source is filed under by the `os` filter and the OS breakdown: the current guess (what the
 * host runs) and every tool match (`!` class: what it was probed with — "NMap SYN scan" beside "Linux 3.11 and newer").
 * Each as p0f name and display text, current first, tools once each by text.
 */
export function osGuesses(p: SourceProfile): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  const seen = new Set<string>();
  for (const g of [p.os.current, ...p.os.history]) {
    if (!g?.name || (g !== p.os.current && !g.tool)) continue;
    const text = guessText(g)!;
    const k = osKey(text);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ name: g.name, text });
  }
  return out;
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
