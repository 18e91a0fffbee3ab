// Renders a source's scan state as the detection part of its SourceProfile (the other parts start empty and are
// filled by the areas that own them).
import { isoTime } from './clock.ts';
import { pairChains, pairFlags, pairPrefixes, pairRanges, PORT_PROTOS, sourceCounts } from './scan-state.ts';
import type { SourceState } from './scan-state.ts';
import type { DestinationSummary, ProviderState, SourceProfile } from './profile.ts';

/** Limits for large sources (a sweep of a /16 has 65,536 destinations). */
export interface ProfileLimits {
  /** Most destinations listed (busiest first); 0 = all. */
  maxDestinations?: number;
  /** Most ports listed (busiest first); 0 = all. */
  maxPorts?: number;
  /** Enrichment state for providers nobody has run yet. */
  enrichment?: ProviderState['state'];
}

function sortedEntries(rec: Record<string, number>): [string, number][] {
  return Object.entries(rec).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

/** The profile skeleton every area fills: detection fields empty, no OS, no enrichment, no response. */
export function emptyProfile(ip: string, family: 4 | 6, enrichment: ProviderState['state'] = 'pending'): SourceProfile {
  const state = (): ProviderState => ({ state: enrichment });
  return {
    ip, family, dangerLevel: 0, dangerHistory: [], packets: 0, destinations: [], ports: [], protocols: [], scanTypes: [],
    signatures: [], chains: [], interfaces: [], sensors: [], tags: [], firstSeen: isoTime(0), lastSeen: isoTime(0),
    os: { current: null, history: [] }, geo: null, as: null, whois: null, rdns: null,
    enrichment: { geo: state(), asn: state(), whois: state(), rdns: state() },
    response: { blockedUntil: null, alerts: [], scripts: [] },
  };
}

/** Builds the detection part of a profile from scan state. */
export function scanProfile(s: SourceState, limits: ProfileLimits = {}): SourceProfile {
  const p = emptyProfile(s.ip, s.family, limits.enrichment);
  p.dangerLevel = s.dl;
  p.dangerHistory = s.history.map((h) => ({ time: isoTime(h.time), level: h.level, reason: h.reason }));
  p.packets = s.packets;
  const pairs = [...s.pairs.values()].sort((a, b) => b.packets - a.packets || (a.dst < b.dst ? -1 : 1));
  const maxD = limits.maxDestinations ?? 0;
  const scanTypes = new Set<string>();
  for (const pair of pairs) for (const t of pair.scanTypes) scanTypes.add(t);
  p.destinations = (maxD > 0 ? pairs.slice(0, maxD) : pairs).map((pair): DestinationSummary => ({
    ip: pair.dst,
    packets: pair.packets,
    portRanges: Object.entries(pairRanges(pair)).map(([proto, r]) => ({ proto, low: r.lo, high: r.hi })),
    chains: sortedEntries(pairChains(pair)).map(([k, n]) => {
      const [chain = '', intf = '', proto = ''] = k.split('\t');
      return { chain, inIf: chain === 'OUTPUT' ? '' : intf, outIf: chain === 'OUTPUT' ? intf : '', proto, packets: n };
    }),
    flags: sortedEntries(pairFlags(pair)).map(([flags, packets]) => ({ flags, packets })),
    scanTypes: [...pair.scanTypes],
    prefixes: sortedEntries(pairPrefixes(pair)).map(([prefix, packets]) => ({ prefix, packets })),
    firstSeen: isoTime(pair.first),
    lastSeen: isoTime(pair.last),
  }));
  const ports = [...s.ports].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const maxP = limits.maxPorts ?? 0;
  p.ports = (maxP > 0 ? ports.slice(0, maxP) : ports).map(([k, n]) => ({ proto: PORT_PROTOS[Math.floor(k / 65536)] ?? 'tcp', port: k % 65536, packets: n }));
  const counts = sourceCounts(s);
  p.protocols = sortedEntries(counts.protocols).map(([proto, packets]) => ({ proto, packets }));
  p.scanTypes = [...scanTypes];
  p.signatures = [...s.sigs.values()].sort((a, b) => b.count - a.count || a.sid - b.sid).map((h) => ({
    sid: h.sid, msg: h.msg, dl: h.dl, count: h.count, proto: h.proto, dports: [...h.dports], fwsnort: h.fwsnort,
    firstSeen: isoTime(h.first), lastSeen: isoTime(h.last),
  }));
  p.chains = sortedEntries(counts.chains).map(([c]) => c);
  p.interfaces = sortedEntries(counts.interfaces).map(([c]) => c);
  p.sensors = sortedEntries(s.sensors).map(([c]) => c);
  p.tags = [...s.tags];
  p.firstSeen = isoTime(s.firstSeen);
  p.lastSeen = isoTime(s.lastSeen);
  return p;
}
