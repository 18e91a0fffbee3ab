// Registry whois servers, how each wants an address asked, and recognising a referral's host as a known registry.
import type { Registry } from '../../domain/enrichment.ts';

/** A whois server to connect to. */
export interface Server {
  /** Host name or address. */
  host: string;
  /** TCP port (43). */
  port: number;
}

/** The registries' public whois servers. */
export const DEFAULT_HOSTS: Readonly<Record<Exclude<Registry, 'other'>, string>> = {
  arin: 'whois.arin.net',
  ripe: 'whois.ripe.net',
  apnic: 'whois.apnic.net',
  lacnic: 'whois.lacnic.net',
  afrinic: 'whois.afrinic.net',
};

/** Parses "HOST", "HOST:PORT", "[v6]:PORT" or "v6addr"; null when malformed. */
export function parseServer(s: string): Server | null {
  const t = s.trim().replace(/^whois:\/\//i, '').replace(/\/+$/, '');
  if (t.length === 0) return null;
  let m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(t);
  if (m) return { host: m[1]!, port: m[2] ? Number(m[2]) : 43 };
  m = /^([^:\s/]+)(?::(\d{1,5}))?$/.exec(t);
  if (m) return { host: m[1]!, port: m[2] ? Number(m[2]) : 43 };
  if (/^[0-9a-f:]+$/i.test(t)) return { host: t, port: 43 };
  return null;
}

/** The registry a server host name belongs to ("whois.ripe.net" → ripe), or 'other'. */
export function registryOfHost(host: string): Registry {
  const h = host.toLowerCase();
  for (const [reg, name] of Object.entries(DEFAULT_HOSTS)) if (h === name || h.endsWith(`.${reg}.net`)) return reg as Registry;
  return 'other';
}

/**
 * The query line for an address. RIPE-software servers (RIPE, APNIC, AFRINIC) get `-r`: no recursion into person and
 * role objects, which would count against RIPE's daily personal-data limit. ARIN gets `n + ADDR`: networks only, with
 * the full record of every matching network so the most specific one can be chosen. LACNIC takes the bare address.
 */
export function queryFor(registry: Registry, ip: string): string {
  switch (registry) {
    case 'arin': return `n + ${ip}`;
    case 'ripe':
    case 'apnic':
    case 'afrinic': return `-r ${ip}`;
    case 'lacnic':
    case 'other': return ip;
  }
}

/** Resolves the server map: defaults, overridden by `REGISTRY=HOST[:PORT]` entries (enrich.whoisServers). */
export function serverMap(overrides: readonly string[]): { map: Record<Exclude<Registry, 'other'>, Server>; errors: string[] } {
  const map = Object.fromEntries(Object.entries(DEFAULT_HOSTS).map(([k, h]) => [k, { host: h, port: 43 }])) as Record<Exclude<Registry, 'other'>, Server>;
  const errors: string[] = [];
  for (const o of overrides) {
    const eq = o.indexOf('=');
    const reg = o.slice(0, eq).trim().toLowerCase();
    const srv = parseServer(o.slice(eq + 1));
    if (eq === -1 || !(reg in DEFAULT_HOSTS) || !srv) { errors.push(o); continue; }
    map[reg as Exclude<Registry, 'other'>] = srv;
  }
  return { map, errors };
}
