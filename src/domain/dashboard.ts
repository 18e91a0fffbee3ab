// The dashboard's read interface: hourly rollups (cards, timeline, ports × hour, countries), level changes, per-source timeline.
import type { DangerLevel } from './profile.ts';

/** Window lengths the dashboard offers, in hours. */
export const DASHBOARD_WINDOWS = { '24h': 24, '3d': 72, '7d': 168, '30d': 720, '90d': 2160 } as const;

/** A window name ("24h" … "90d"). */
export type DashboardWindow = keyof typeof DASHBOARD_WINDOWS;

/** Milliseconds in an hour (rollup bucket width). */
export const HOUR_MS = 3_600_000;

/** The hour bucket (hours since the epoch) of a time in ms. */
export function hourOf(ms: number): number {
  return Math.floor(ms / HOUR_MS);
}

/** The UTC day bucket (days since the epoch) of an hour bucket. */
export function dayOfHour(hour: number): number {
  return Math.floor(hour / 24);
}

/** The hour range a window covers: `from` … `to` inclusive, ending in the hour of `endMs`. */
export interface WindowRange {
  /** First hour bucket in the window. */
  from: number;
  /** Last hour bucket in the window (the hour of the end time). */
  to: number;
  /** Window length in hours. */
  hours: number;
}

/** The hour range of `window` ending at `endMs`, and the previous window right before it. */
export function windowRange(window: DashboardWindow, endMs: number): { current: WindowRange; previous: WindowRange } {
  const hours = DASHBOARD_WINDOWS[window];
  const to = hourOf(endMs);
  const from = to - hours + 1;
  return { current: { from, to, hours }, previous: { from: from - hours, to: from - 1, hours } };
}

/** A stat card: the value over (or at the end of) the window and the same figure for the previous window. */
export interface StatCard {
  /** Value for the current window. */
  value: number;
  /** Value for the previous window of the same length, or null when the rollups do not reach back that far. */
  previous: number | null;
  /** The value is a HyperLogLog estimate (distinct sources across hours), not an exact count. */
  estimate: boolean;
}

/** Stat cards of the overview. */
export interface OverviewCards {
  /** Sources known at the end of the window (previous: at its start). */
  sources: StatCard;
  /** Distinct sources that sent packets in the window. */
  active: StatCard;
  /** Sources first seen in the window. */
  newSources: StatCard;
  /** Packets per hour, averaged over the window. */
  packetsPerHour: StatCard;
  /** Sources with an enrichment provider still pending, at the end of the window. */
  enrichBacklog: StatCard;
  /** Sources per danger level at the end of the window, index = level. */
  levels: StatCard[];
}

/** Per-hour series, columnar (one entry per hour of the window, zeros included). */
export interface TimelineSeries {
  /** Hour starts, seconds since the epoch. */
  time: number[];
  /** Sources first seen in the hour. */
  newSources: number[];
  /** Packets counted in the hour. */
  packets: number[];
  /** Sources whose danger level rose to 4 or 5 in the hour. */
  reachedDl4: number[];
}

/** GET /dashboard/overview. */
export interface DashboardOverview {
  /** Window asked for. */
  window: DashboardWindow;
  /** First and last instant of the window (ISO, hour-aligned start; end is the end time). */
  from: string;
  to: string;
  cards: OverviewCards;
  timeline: TimelineSeries;
  /** Outbox rows the rollups have not read yet (0 = current). */
  lag: number;
}

/** One port's row of the heat map. */
export interface PortRow {
  /** "tcp/22", or "other" for the ports beyond the per-hour cap. */
  port: string;
  /** Packets in the window. */
  packets: number;
  /** Packets per bucket, aligned with `buckets`. */
  cells: number[];
}

/** GET /dashboard/ports: the top ports of the window, per bucket, and the protocol mix. */
export interface DashboardPorts {
  window: DashboardWindow;
  /** Bucket width: hours for windows up to 7 days, UTC days beyond. */
  bucket: 'hour' | 'day';
  /** Bucket starts, seconds since the epoch. */
  buckets: number[];
  /** Busiest ports first. */
  ports: PortRow[];
  /** Packets to ports not listed (other ports, and the "other" overflow of capped hours). */
  otherPackets: number;
  /** Packets per protocol in the window. */
  protocols: { proto: string; packets: number }[];
}

/** One country of the map. */
export interface CountryCount {
  /** ISO 3166-1 alpha-2 (upper case). */
  code: string;
  /** ISO 3166-1 numeric (the world-atlas feature id), or null for codes without one. */
  numeric: string | null;
  /** English name. */
  name: string;
  /** Sources seen in the window located there. */
  sources: number;
}

/** GET /dashboard/countries: sources seen in the window per country. */
export interface DashboardCountries {
  window: DashboardWindow;
  /** Countries with at least one source, most first. */
  countries: CountryCount[];
  /** Sources seen in the window without a known country. */
  unknown: number;
}

/** One danger-level change of a source. */
export interface LevelChange {
  /** Increasing id (resume point of the live strip). */
  id: number;
  /** When the level was reached (event time, ISO). */
  time: string;
  /** Canonical address. */
  ip: string;
  /** Level before (0 for a new source). */
  from: DangerLevel;
  /** Level reached. */
  to: DangerLevel;
}

/** Per-source hourly packets and danger-level steps (source page charts). */
export interface SourceTimeline {
  ip: string;
  /** Hour starts, seconds since the epoch, one per hour from the window start to its end. */
  time: number[];
  /** Packets in each hour. */
  packets: number[];
  /** Danger level steps, oldest first. */
  levels: { time: string; level: DangerLevel }[];
}

/** What the dashboard reads. Implemented over the rollup tables; every call is bounded by the window, never by the source count. */
export interface DashboardQueries {
  /** Cards and timeline of `window` ending at `endMs`. */
  overview(window: DashboardWindow, endMs: number): DashboardOverview;
  /** Top `top` ports of the window per bucket, and protocols. */
  ports(window: DashboardWindow, endMs: number, top: number): DashboardPorts;
  /** Sources per country seen in the window. */
  countries(window: DashboardWindow, endMs: number): DashboardCountries;
  /** Level changes with id above `afterId`, newest first, at most `limit`. */
  levelChanges(afterId: number, limit: number): LevelChange[];
  /** Timeline of one source over `window` ending at `endMs`, or null when the source has no rollup state. */
  sourceTimeline(ip: string, window: DashboardWindow, endMs: number): SourceTimeline | null;
}
