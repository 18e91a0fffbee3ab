// Turns a validated /sources query string into a SourceFilter: splits comma lists, normalises case, parses times.
import { pwError } from '../domain/errors.ts';
import { toDangerLevel } from '../domain/profile.ts';
import type { SourceFilter, SourceSort } from '../domain/queries.ts';
import { parseSearch } from '../domain/search.ts';
import { osKey } from '../domain/summary.ts';

/** The /sources query as fastify hands it over after schema validation. */
export interface SourcesQuery {
  minDangerLevel?: number;
  maxDangerLevel?: number;
  since?: string;
  until?: string;
  family?: number;
  country?: string[];
  asn?: string[];
  os?: string[];
  port?: string[];
  scanType?: string[];
  signature?: string[];
  tool?: string[];
  sensor?: string[];
  whois?: string;
  sort?: SourceSort;
  limit?: number;
  cursor?: string;
  format?: 'json' | 'ndjson';
}

/** Most distinct values in one filter after splitting commas. */
const MAX_VALUES = 64;

function list(values: string[] | undefined, name: string, norm: (s: string) => string): string[] | undefined {
  if (!values) return undefined;
  const out = new Set<string>();
  for (const v of values) for (const part of v.split(',')) {
    const t = norm(part.trim());
    if (t.length > 0) out.add(t);
  }
  if (out.size > MAX_VALUES) throw pwError('PW_ERR_VALIDATION', [`${name} has more than ${MAX_VALUES} values`]);
  return out.size > 0 ? [...out] : undefined;
}

/**
 * The `os` values: p0f labels contain commas ("Windows 10, 11 or Server 2016+"), so a value with commas stands both for
 * itself and for the list its commas separate — alternatives all, a label with commas never matches a part by accident
 * unless that part is itself a name or label.
 */
function osValues(values: string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  const out = new Set<string>();
  for (const v of values) {
    const whole = osKey(v);
    if (whole.length > 0) out.add(whole);
    if (v.includes(',')) for (const part of v.split(',')) if (osKey(part).length > 0) out.add(osKey(part));
  }
  if (out.size > MAX_VALUES) throw pwError('PW_ERR_VALIDATION', [`os has more than ${MAX_VALUES} values`]);
  return out.size > 0 ? [...out] : undefined;
}

/** Parses an RFC 3339 time to ms; 400 when it is not one. */
export function parseTime(text: string, name: string): number {
  const t = Date.parse(text);
  if (!Number.isFinite(t)) throw pwError('PW_ERR_VALIDATION', [`${name} is not an RFC 3339 time`]);
  return t;
}

/** Builds the filter; the object's key order is fixed so its hash identifies the query. */
export function sourceFilter(q: SourcesQuery): SourceFilter {
  const f: SourceFilter = {};
  if (q.minDangerLevel !== undefined) f.minDangerLevel = toDangerLevel(q.minDangerLevel);
  if (q.maxDangerLevel !== undefined) f.maxDangerLevel = toDangerLevel(q.maxDangerLevel);
  if (q.since !== undefined) f.seenSince = parseTime(q.since, 'since');
  if (q.until !== undefined) f.seenUntil = parseTime(q.until, 'until');
  if (q.family === 4 || q.family === 6) f.family = q.family;
  const country = list(q.country, 'country', (s) => s.toUpperCase());
  if (country) f.country = country;
  const asn = list(q.asn, 'asn', (s) => s.replace(/^as/i, ''));
  if (asn) {
    f.asn = asn.map((a) => {
      const n = Number(a);
      if (!Number.isSafeInteger(n) || n < 0 || n > 4294967295) throw pwError('PW_ERR_VALIDATION', ['asn must be a 32-bit AS number']);
      return n;
    });
  }
  const lower = (s: string): string => s.toLowerCase().replace(/\s+/g, ' ');
  for (const key of ['port', 'scanType', 'signature', 'tool', 'sensor'] as const) {
    const v = list(q[key], key, lower);
    if (v) f[key] = v;
  }
  const os = osValues(q.os);
  if (os) f.os = os;
  if (f.port) {
    for (const p of f.port) {
      const n = Number(p.slice(p.indexOf('/') + 1));
      if (!Number.isInteger(n) || n > 65535) throw pwError('PW_ERR_VALIDATION', ['port must be 0–65535']);
    }
  }
  if (q.whois !== undefined) f.whois = parseSearch(q.whois);
  if (f.minDangerLevel !== undefined && f.maxDangerLevel !== undefined && f.minDangerLevel > f.maxDangerLevel) {
    throw pwError('PW_ERR_VALIDATION', ['minDangerLevel is above maxDangerLevel']);
  }
  return f;
}
