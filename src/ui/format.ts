// Formatting for the page: numbers, percentages, times in the viewer's zone (UTC in the tooltip), danger levels.
import { h } from './dom.ts';

const nf = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });

/** A count as the reader's locale writes it. */
export function num(n: number): string {
  return nf.format(n);
}

/** A count in compact form (12.3K) for axes and tight places. */
export function short(n: number): string {
  return Math.abs(n) < 10_000 ? nf.format(n) : compact.format(n);
}

const dateTime = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const dateTimeThisYear = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** The viewer's time zone name (shown once in the footer). */
export const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** A <time> element: local date and time, UTC in the tooltip. */
export function when(iso: string | number, short = false): HTMLTimeElement {
  const d = typeof iso === 'number' ? new Date(iso) : new Date(iso);
  if (Number.isNaN(d.getTime())) return h('time', {}, String(iso));
  const utc = `${d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '')} UTC`;
  const full = d.getFullYear() === new Date().getFullYear() ? dateTimeThisYear : dateTime;
  return h('time', { datetime: d.toISOString(), title: utc }, short ? timeOnly.format(d) : full.format(d));
}

/** Relative age ("5 min ago") of a time. */
export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

/** The change of a card against the previous window, as "+12 %", or null when there is nothing to compare. */
export function change(value: number, previous: number | null): { text: string; dir: 'up' | 'down' | 'flat' } | null {
  if (previous === null) return null;
  if (previous === 0) return value === 0 ? { text: '±0', dir: 'flat' } : { text: 'from 0', dir: 'up' };
  const pct = ((value - previous) / previous) * 100;
  if (Math.abs(pct) < 0.5) return { text: '±0 %', dir: 'flat' };
  return { text: `${pct > 0 ? '+' : '−'}${nf.format(Math.abs(pct))} %`, dir: pct > 0 ? 'up' : 'down' };
}

/** The danger-level badge. */
export function badge(level: number): HTMLSpanElement {
  return h('span', { class: `dl dl${level}`, title: `danger level ${level}` }, `DL ${level}`);
}
