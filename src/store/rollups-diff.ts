// What one profile change adds to the dashboard rollups: the difference between the profile and what was last counted.
import { hourOf } from '../domain/dashboard.ts';
import type { DangerLevel, SourceProfile } from '../domain/profile.ts';

/** What the rollups last counted of a source (a row of ui_state). */
export interface RollState {
  packets: number;
  level: DangerLevel;
  /** Hour bucket of the last packet. */
  lastHour: number;
  /** Alpha-2 upper case, '' when unknown. */
  country: string;
  /** Whether an enrichment provider was pending. */
  pending: boolean;
  /** Packets per "proto/port" of the profile's port list. */
  ports: Record<string, number>;
  /** Packets per protocol. */
  protos: Record<string, number>;
}

/** The rollup increments of one change. */
export interface RollDelta {
  /** The state to store after this change. */
  next: RollState;
  /** The source is new to the rollups: counted as new in `firstHour`. */
  isNew: boolean;
  /** Hour of the first packet (for new sources). */
  firstHour: number;
  /** Packets added since the last count, attributed to `next.lastHour`. */
  packets: number;
  /** Packets added per port and per protocol (positive increments only). */
  ports: [string, number][];
  protos: [string, number][];
  /** Level change, when the level differs: when (event time) it was reached. */
  level: { from: DangerLevel; to: DangerLevel; time: number } | null;
}

function ms(iso: string): number {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : 0;
}

function pendingOf(p: SourceProfile): boolean {
  const e = p.enrichment;
  return e.geo.state === 'pending' || e.asn.state === 'pending' || e.whois.state === 'pending' || e.rdns.state === 'pending';
}

/** Port lists are the profile's busiest ports; the rollups follow at most this many per source. */
const MAX_PORTS = 64;
/** Protocols whose packets have a destination port. */
const PORT_PROTOS = new Set(['tcp', 'udp', 'udplite', 'sctp']);
/** The port bucket of packets whose port is not followed. */
export const OTHER_PORT = 'other';

/** Computes the increments from `old` (null for a source new to the rollups) to profile `p`. */
export function rollDelta(p: SourceProfile, old: RollState | null): RollDelta {
  const last = ms(p.lastSeen);
  const lastHour = hourOf(last);
  // the ports followed are the first MAX_PORTS a source hit, kept even when they leave the profile's (capped, ranked)
  // list, so a port that drops out and comes back is never counted twice; the rest of its packets go to "other"
  const ports: Record<string, number> = { ...(old?.ports ?? {}) };
  let followed = Object.keys(ports).length;
  const portInc: [string, number][] = [];
  for (const pc of p.ports) {
    const key = `${pc.proto.toLowerCase()}/${pc.port}`;
    const was = ports[key];
    if (was === undefined && followed >= MAX_PORTS) continue;
    if (was === undefined) followed++;
    const d = pc.packets - (was ?? 0);
    if (d > 0) portInc.push([key, d]);
    ports[key] = Math.max(was ?? 0, pc.packets);
  }
  const protos: Record<string, number> = {};
  const protoInc: [string, number][] = [];
  for (const pc of p.protocols) {
    const key = pc.proto.toLowerCase();
    protos[key] = (protos[key] ?? 0) + pc.packets;
  }
  for (const [key, n] of Object.entries(protos)) {
    const d = n - (old?.protos[key] ?? 0);
    if (d > 0) protoInc.push([key, d]);
  }
  // packets of port protocols beyond the followed ports (a wide sweep) still count, under "other"
  let portPackets = 0;
  for (const [proto, d] of protoInc) if (PORT_PROTOS.has(proto)) portPackets += d;
  const listed = portInc.reduce((s, x) => s + x[1], 0);
  if (portPackets > listed) portInc.push([OTHER_PORT, portPackets - listed]);
  const next: RollState = {
    packets: p.packets,
    level: p.dangerLevel,
    // a profile whose last packet went back in time (an older log replayed later) keeps the later hour
    lastHour: old ? Math.max(old.lastHour, lastHour) : lastHour,
    country: p.geo?.country ? p.geo.country.toUpperCase().slice(0, 2) : '',
    pending: pendingOf(p),
    ports,
    protos,
  };
  const from = old?.level ?? 0;
  let level: RollDelta['level'] = null;
  if (p.dangerLevel !== from) {
    // the time the current level was reached, as detect recorded it; the last packet when there is no history
    let time = last;
    for (let i = p.dangerHistory.length - 1; i >= 0; i--) {
      const step = p.dangerHistory[i]!;
      if (step.level !== p.dangerLevel) break;
      time = ms(step.time) || time;
    }
    level = { from, to: p.dangerLevel, time };
  }
  return {
    next,
    isNew: old === null,
    firstHour: hourOf(ms(p.firstSeen) || last),
    packets: Math.max(0, p.packets - (old?.packets ?? 0)),
    ports: portInc,
    protos: protoInc,
    level,
  };
}
