// What the search index keeps of a profile: sort columns, filter terms (lower case) and facet labels.
import type { SourceProfile } from '../../domain/profile.ts';
import type { SourceSummary } from '../../domain/queries.ts';
import { osGuesses, osKey, osText, portsByPackets, summarize } from '../../domain/summary.ts';

/** The display-only summary fields stored as JSON in api_index.summary. */
export type SummaryExtra = Pick<SourceSummary, 'city' | 'asOrganization' | 'os' | 'ports' | 'scanTypes' | 'tags' | 'sensors' | 'blockedUntil'>;

/** One source as the index stores it. */
export interface IndexedSource {
  ip: string;
  version: number;
  family: 4 | 6;
  dangerLevel: number;
  firstSeen: number;
  lastSeen: number;
  packets: number;
  country: string | null;
  asn: number | null;
  summary: SummaryExtra;
  /** Filter terms, e.g. "port:tcp/22", "port:22", "cc:us", "os:linux", "tool:nmap". */
  terms: string[];
  /** Display text per counted term ("scan:nmap: -ss" → "Nmap: -sS"). */
  labels: Map<string, string>;
}

/** Prefix of terms that are counted for /stats, mapped to their facet name. */
export const COUNTED_PREFIXES: Readonly<Record<string, string>> = {
  'cc:': 'country',
  'asn:': 'asn',
  'osl:': 'os',
  'pp:': 'port',
  'scan:': 'scanType',
  'sig:': 'signature',
  'tool:': 'tool',
};

/** The (facet, value) a term counts under, or null when the term is a filter helper only. */
export function countKey(term: string): [string, string] | null {
  const colon = term.indexOf(':');
  if (colon < 0) return null;
  const facet = COUNTED_PREFIXES[term.slice(0, colon + 1)];
  return facet ? [facet, term.slice(colon + 1)] : null;
}

function ms(iso: string): number {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : 0;
}

const lower = (s: string): string => s.trim().toLowerCase();

/** Extracts what the index keeps of one profile; `maxTerms` caps ports, scan types, signatures and sensors each. */
export function indexedSource(p: SourceProfile, version: number, maxTerms: number): IndexedSource {
  const terms = new Set<string>();
  const labels = new Map<string, string>();
  const add = (term: string, label?: string): void => {
    if (term.length > 300) return; // pathological labels stay out of the index, never out of the profile
    terms.add(term);
    if (label !== undefined && !labels.has(term)) labels.set(term, label);
  };
  const country = p.geo?.country ? p.geo.country.toUpperCase() : null;
  if (country) add(`cc:${country.toLowerCase()}`, country);
  const asn = p.as?.number ?? null;
  if (asn !== null) add(`asn:${asn}`, p.as?.organization ?? '');
  // the OS breakdown and the os filter share their terms: a source counts under its current guess and under each tool
  // it was fingerprinted with, and os=X matches exactly the sources counted under X's label or p0f name
  const guesses = osGuesses(p);
  if (!osText(p)) {
    add('osl:unknown', 'unknown');
    add('os:unknown');
  }
  for (const g of guesses.slice(0, maxTerms)) {
    add(`osl:${osKey(g.text)}`, g.text);
    add(`os:${osKey(g.name)}`);
    add(`os:${osKey(g.text)}`);
  }
  const ports = portsByPackets(p).slice(0, maxTerms);
  for (const pc of ports) {
    add(`pp:${lower(pc.proto)}/${pc.port}`, `${pc.proto}/${pc.port}`);
    add(`port:${pc.port}`);
  }
  for (const s of p.scanTypes.slice(0, maxTerms)) add(`scan:${lower(s)}`, s);
  for (const s of p.signatures.slice(0, maxTerms)) {
    add(`sig:${s.sid}`, s.msg);
    add(`sigmsg:${lower(s.msg)}`);
  }
  const tools = new Set<string>(p.tags);
  for (const g of [p.os.current, ...p.os.history]) if (g?.tool && g.name) tools.add(g.name);
  for (const t of [...tools].slice(0, maxTerms)) add(`tool:${lower(t)}`, t);
  for (const s of p.sensors.slice(0, maxTerms)) add(`sensor:${lower(s)}`);
  return {
    ip: p.ip,
    version,
    family: p.family,
    dangerLevel: p.dangerLevel,
    firstSeen: ms(p.firstSeen),
    lastSeen: ms(p.lastSeen),
    packets: p.packets,
    country,
    asn,
    summary: summaryExtra(summarize(p, version)),
    terms: [...terms],
    labels,
  };
}

/** The display-only fields of a summary (the rest are index columns). */
function summaryExtra(s: SourceSummary): SummaryExtra {
  return {
    city: s.city, asOrganization: s.asOrganization, os: s.os, ports: s.ports, scanTypes: s.scanTypes, tags: s.tags,
    sensors: s.sensors, blockedUntil: s.blockedUntil,
  };
}
