// Scan-type labels (psad's scan_logr, psad:5720-5815): nmap guesses from TCP flags, UDP, IP protocol scans, port sweeps
// and the Topera / Masscan / Mirai marks, given to a destination when its source is reported.
import { MARK_MASSCAN, MARK_MIRAI, MARK_TOPERA } from '../domain/scan-state.ts';
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

/** The flag strings of a pair's cumulative flag tally. */
function flagKeys(p: PairState): readonly string[] {
  if (p.flag === '') return NONE;
  return p.flagMore ? [p.flag, ...Object.keys(p.flagMore)] : [p.flag];
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
  let changed = false;
  const flags = compat ? p.curFlags : flagKeys(p);
  const protos = compat ? p.curProtos : p.wprotos;
  const marks = compat ? p.curMarks : p.marks;
  if (protos.length >= o.protocolScanThreshold) {
    changed = add(p, 'Nmap -sO IP protocol scan') || changed;
    tag(s, 'protocol-scan');
  }
  for (const f of flags) {
    let label: string;
    if (!compat && p.sweep) {
      label = cached(SWEEP, f, 'Port sweep ', ' scan');
      tag(s, 'port-sweep');
    } else if ((marks & MARK_TOPERA) !== 0) {
      label = cached(TOPERA, f, 'Topera ', ' scan');
      tag(s, 'topera');
    } else if ((marks & MARK_MASSCAN) !== 0) {
      label = cached(MASSCAN, f, 'Masscan ', ' scan');
      tag(s, 'masscan');
    } else if ((marks & MARK_MIRAI) !== 0) {
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
  const udp = compat ? protos.includes('udp') : p.udpLo >= 0;
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
