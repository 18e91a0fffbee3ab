// Scan-type labels (psad's scan_logr, psad:5720-5815): nmap guesses from TCP flags, UDP, IP protocol scans, port sweeps
// and the Topera / Masscan / Mirai marks, given to a destination when its source is reported.
import { MARK_MASSCAN, MARK_MIRAI, MARK_TOPERA } from '../domain/scan-state.ts';
import {
  P_BITS, P_CURFLAG, P_CURPROTOS, P_DST, P_FLAG, P_LABEL, P_LSTAMP, P_WPROTOS, PB_CURMARKS_SHIFT, PB_MARKS_SHIFT, PB_SWEEP, PB_UDP,
  PROTO_UDP, PW, S_FLAGS, SB_DIRTY, SW, TAG_MASSCAN, TAG_MIRAI, TAG_NMAP, TAG_PORT_SWEEP, TAG_PROTOCOL_SCAN, TAG_TOPERA,
} from '../domain/scan-table.ts';
import type { PairExtra, ScanTable } from '../domain/scan-table.ts';
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

const FLAGS: string[] = [];
const ONE: string[] = [''];

/** The flag strings of the pair: this interval's (compatibility) or every one seen, first seen first. */
function flagList(t: ScanTable, p: number, compat: boolean): readonly string[] {
  const x = t.extraOf(p);
  const f = t.pi[p * PW + (compat ? P_CURFLAG : P_FLAG)]!;
  const more = compat ? x?.curFlags : x?.flagMore;
  if (!more) {
    if (f === 0) return EMPTY;
    // nearly always one flag string: no list to build
    ONE[0] = t.flags.text[f - 1]!;
    return ONE;
  }
  let n = 0;
  if (f > 0) FLAGS[n++] = t.flags.text[f - 1]!;
  if (compat) for (const id of x!.curFlags!) FLAGS[n++] = t.flags.text[id]!;
  else for (const k of Object.keys(x!.flagMore!)) FLAGS[n++] = k;
  return FLAGS.slice(0, n);
}

const EMPTY: readonly string[] = [];

function bitCount(m: number): number {
  let n = 0;
  for (let v = m; v !== 0; v &= v - 1) n++;
  return n;
}

/** Adds a label to the pair once; whether it was new. */
function add(t: ScanTable, p: number, label: string): boolean {
  const o = p * PW;
  const first = t.pi[o + P_LABEL]!;
  if (first === 0) {
    t.pi[o + P_LABEL] = t.labels.id(label) + 1;
    return true;
  }
  if (t.labels.text[first - 1] === label) return false;
  const x = t.extra(p);
  if (x.labels?.includes(label)) return false;
  (x.labels ??= []).push(label);
  return true;
}

/**
 * Everything own mode's labelPair reads of pair `p` in one number, or 0 when it does not fit: the sweep, mark and UDP
 * bits, the window's protocol bits and the first flag string's id, with no extra flag strings or protocol names
 * beside them. Two equal stamps mean the same labels and tags; labels and tags are only ever added, so a pair stamped
 * the same as at its last labelling has them all already.
 */
function labelStamp(t: ScanTable, p: number, bits: number, x: PairExtra | null): number {
  if (x !== null && (x.flagMore !== null || x.wprotos !== null)) return 0;
  const w = t.pi[p * PW + P_WPROTOS]!;
  const f = t.pi[p * PW + P_FLAG]!;
  if (w >>> 6 !== 0 || f >>> 9 !== 0) return 0;
  const kept = ((bits & PB_SWEEP) !== 0 ? 1 : 0) | (((bits >>> PB_MARKS_SHIFT) & 7) << 1) | ((bits & PB_UDP) !== 0 ? 16 : 0);
  return 1 | (w << 1) | (f << 7) | (kept << 16);
}

/**
 * Labels one destination of a reported source. psad compatibility labels what happened in this interval, with the
 * Topera/Masscan/Mirai mark of its last packet only and never "Port sweep" (psad sets the mark where scan_logr does not
 * read it); own mode labels every flag combination seen, with marks from any packet, and shows port sweeps.
 * Returns whether the pair changed.
 */
export function labelPair(t: ScanTable, s: number, p: number, o: DetectOptions): boolean {
  const compat = o.compat;
  let changed = false;
  const po = p * PW;
  const bits = t.pi[po + P_BITS]!;
  const x = t.extraOf(p);
  // own mode labels a reported source's pairs in every interval they get packets, nearly always seeing them as before:
  // only a pair seen otherwise is labelled again (~2 % of own mode's analyze; compatibility labels the interval's
  // flags, and resets Mirai counters as it goes)
  const stamp = compat ? 0 : labelStamp(t, p, bits, x);
  if (stamp !== 0 && t.pi[po + P_LSTAMP] === stamp) return false;
  if (!compat) t.pi[po + P_LSTAMP] = stamp;
  const protoMask = t.pi[po + (compat ? P_CURPROTOS : P_WPROTOS)]!;
  const protoCount = bitCount(protoMask) + ((compat ? x?.curProtos : x?.wprotos)?.length ?? 0);
  const marks = (bits >>> (compat ? PB_CURMARKS_SHIFT : PB_MARKS_SHIFT)) & 7;
  if (protoCount >= o.protocolScanThreshold) {
    changed = add(t, p, 'Nmap -sO IP protocol scan') || changed;
    tag(t, s, TAG_PROTOCOL_SCAN);
  }
  const sweep = (bits & PB_SWEEP) !== 0;
  // indexed: this runs at the end of analyze, often before it is optimized, and for…of then allocates per flag string
  const fl = flagList(t, p, compat);
  for (let i = 0; i < fl.length; i++) {
    const f = fl[i]!;
    let label: string;
    if (!compat && sweep) {
      label = cached(SWEEP, f, 'Port sweep ', ' scan');
      tag(t, s, TAG_PORT_SWEEP);
    } else if ((marks & MARK_TOPERA) !== 0) {
      label = cached(TOPERA, f, 'Topera ', ' scan');
      tag(t, s, TAG_TOPERA);
    } else if ((marks & MARK_MASSCAN) !== 0) {
      label = cached(MASSCAN, f, 'Masscan ', ' scan');
      tag(t, s, TAG_MASSCAN);
    } else if ((marks & MARK_MIRAI) !== 0) {
      label = 'Mirai botnet default credentials scan';
      tag(t, s, TAG_MIRAI);
      // psad resets the tcp/23 counter once the Mirai scan has been reported (psad:5794)
      const m = t.mirai[s];
      const dst = t.dsts.text[t.pi[po + P_DST]!]!;
      if (compat && m?.has(dst)) m.set(dst, 0);
    } else {
      const opt = nmapOption(f, compat);
      if (!opt) continue;
      label = cached(NMAP, opt, 'Nmap ', ' scan');
      tag(t, s, TAG_NMAP);
    }
    changed = add(t, p, label) || changed;
  }
  const udp = compat ? (protoMask & PROTO_UDP) !== 0 : (bits & PB_UDP) !== 0;
  if (udp) {
    changed = add(t, p, 'Nmap -sU scan') || changed;
    tag(t, s, TAG_NMAP);
  }
  return changed;
}

function tag(t: ScanTable, s: number, bit: number): void {
  if (t.tag(s, bit)) t.si[s * SW + S_FLAGS]! |= SB_DIRTY;
}
