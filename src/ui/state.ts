// The page's state in the URL hash (#/?window=7d&country=NL, #/source/192.0.2.1): shareable, back/forward work.
import type { DashboardWindow } from '../domain/dashboard.ts';

/** Table filters and sort, as /sources query parameters. */
export interface Filters {
  minDangerLevel: string;
  country: string;
  asn: string;
  os: string;
  port: string;
  scanType: string;
  /** "" (any time), a window name ("24h" …) or a local date-time ("2026-06-01T12:00"). */
  since: string;
  sort: string;
}

/** Where the page is. */
export type Route = { view: 'overview'; window: DashboardWindow; filters: Filters } | { view: 'source'; ip: string; window: DashboardWindow };

export const WINDOWS: readonly DashboardWindow[] = ['24h', '3d', '7d', '30d', '90d'];
const FILTER_KEYS = ['minDangerLevel', 'country', 'asn', 'os', 'port', 'scanType', 'since', 'sort'] as const;

export function emptyFilters(): Filters {
  return { minDangerLevel: '', country: '', asn: '', os: '', port: '', scanType: '', since: '', sort: '-lastSeen' };
}

/** Reads the route from location.hash. */
export function readRoute(hash = location.hash): Route {
  const m = /^#\/([^?]*)(?:\?(.*))?$/.exec(hash);
  const path = m?.[1] ?? '';
  const q = new URLSearchParams(m?.[2] ?? '');
  const w = q.get('window') as DashboardWindow | null;
  const window = w && WINDOWS.includes(w) ? w : '24h';
  if (path.startsWith('source/')) return { view: 'source', ip: decodeURIComponent(path.slice(7)), window };
  const filters = emptyFilters();
  for (const k of FILTER_KEYS) {
    const v = q.get(k);
    if (v !== null) filters[k] = v;
  }
  return { view: 'overview', window, filters };
}

/** The hash of a route. */
export function routeHash(r: Route): string {
  const q = new URLSearchParams();
  if (r.window !== '24h') q.set('window', r.window);
  if (r.view === 'source') {
    const qs = q.toString();
    return `#/source/${encodeURIComponent(r.ip)}${qs ? `?${qs}` : ''}`;
  }
  for (const k of FILTER_KEYS) {
    const v = r.filters[k];
    if (v && !(k === 'sort' && v === '-lastSeen')) q.set(k, v);
  }
  const qs = q.toString();
  return `#/${qs ? `?${qs}` : ''}`;
}

/** Navigates (a new history entry, so Back returns). */
export function go(r: Route): void {
  const hash = routeHash(r);
  if (location.hash !== hash) location.hash = hash;
}
