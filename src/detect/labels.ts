// Scan-type labels (psad's scan_logr, psad:5720-5815): nmap guesses from TCP flags, UDP, IP protocol scans, port sweeps
// and the Topera / Masscan / Mirai marks, given to a destination when its source is reported.
import type { PairState, SourceState } from '../domain/scan-state.ts';
import type { DetectOptions } from './rules.ts';

/** nmap option guessed from a psad flag string (psad:5745-5761; "ACK" → -sA is probewatch's addition). */
export function nmapOption(flags: string, compat: boolean): string {
  switch (flags) {
    case 'SYN': return '-sT or -sS';
    case 'FIN': return '-sF';
    case 'URG PSH FIN': return '-sX';
    case 'NULL': return '-sN';
    case 'URG PSH SYN FIN': return '-O';
    case 'ACK': return compat ? '' : '-sA';
    default: return '';
  }
}

const NONE: readonly string[] = Object.freeze([]);
const NO_MARKS = Object.freeze({ topera: false, masscan: false, mirai: false });
// labels are built from a handful of flag strings: build each once (this runs for every pair of a reported source in
// every interval it sends packets)
const SWEEP = new Map<string, string>();
const TOPERA = new Map<string, string>();
const MASSCAN = new Map<string, string>();
const NMAP = new Map<string, string>();

function cached(cache: Map<string, string>, v: string, head: string, tail: string): string {
  let label = cache.get(v);
  if (label === undefined) {
    label = head + v + tail;
    if (cache.size < 256) cache.set(v, label);
  }
  return label;
}

/** Own keys of a flag-count record (the shared empty record has none). */
function flagKeys(rec: Readonly<Record<string, number>>): readonly string[] {
  let out: string[] | null = null;
  for (const k in rec) {
    if (!Object.prototype.hasOwnProperty.call(rec, k)) continue;
    (out ??= []).push(k);
  }
  return out ?? NONE;
}

function add(p: PairState, label: string): boolean {
  if (p.scanTypes.includes(label)) return false;
  // the shared empty list is replaced, never written to
  p.scanTypes = [...p.scanTypes, label];
  return true;
}

/**
 * Labels one destination of a reported source. psad compatibility labels what happened in this interval, with the
 * Topera/Masscan/Mirai mark of its last packet only and never "Port sweep" (psad sets the mark where scan_logr does not
 * read it); own mode labels every flag combination seen, with marks from any packet, and shows port sweeps.
 * Returns whether the pair changed.
 */
export function labelPair(s: SourceState, p: PairState, o: DetectOptions): boolean {
  const compat = o.compat;
  const cur = p.cur;
  let changed = false;
  const flags = compat ? (cur?.flags ?? NONE) : flagKeys(p.flags);
  const protos = compat ? (cur?.protos ?? NONE) : p.wprotos;
  const marks = compat ? (cur ?? NO_MARKS) : p.sticky;
  if (protos.length >= o.protocolScanThreshold) {
    changed = add(p, 'Nmap -sO IP protocol scan') || changed;
    tag(s, 'protocol-scan');
  }
  for (const f of flags) {
    let label: string;
    if (!compat && p.sweep) {
      label = cached(SWEEP, f, 'Port sweep ', ' scan');
      tag(s, 'port-sweep');
    } else if (marks.topera) {
      label = cached(TOPERA, f, 'Topera ', ' scan');
      tag(s, 'topera');
    } else if (marks.masscan) {
      label = cached(MASSCAN, f, 'Masscan ', ' scan');
      tag(s, 'masscan');
    } else if (marks.mirai) {
      label = 'Mirai botnet default credentials scan';
      tag(s, 'mirai');
      // psad resets the tcp/23 counter once the Mirai scan has been reported (psad:5794)
      if (compat && s.mirai[p.dst] !== undefined) s.mirai = { ...s.mirai, [p.dst]: 0 };
    } else {
      const opt = nmapOption(f, compat);
      if (!opt) continue;
      label = cached(NMAP, opt, 'Nmap ', ' scan');
      tag(s, 'nmap');
    }
    changed = add(p, label) || changed;
  }
  const udp = compat ? protos.includes('udp') : Object.prototype.hasOwnProperty.call(p.ranges, 'udp');
  if (udp) {
    changed = add(p, 'Nmap -sU scan') || changed;
    tag(s, 'nmap');
  }
  return changed;
}

function tag(s: SourceState, t: string): void {
  if (!s.tags.includes(t)) {
    s.tags = [...s.tags, t];
    s.dirty.source = true;
  }
}
