// psad's danger-level algorithm (assign_danger_level, psad:5036-5172), run for each source touched in an interval.
import type { DangerLevel } from '../domain/profile.ts';
import { markPair } from '../domain/scan-state.ts';
import type { DangerChange, PairState, SourceState } from '../domain/scan-state.ts';
import type { DetectOptions } from './rules.ts';

/** Raises the source's level to `level` (levels only ever rise, as %scan_dl does) and records why. */
export function raise(s: SourceState, level: number, reason: string, time: number): DangerChange | null {
  if (level <= s.dl) return null;
  const change: DangerChange = { time, level: level as DangerLevel, reason };
  s.dl = change.level;
  s.history.push(change);
  s.dirty.source = true;
  return change;
}

/**
 * psad's port range over tcp, udp and udplite of a pair (psad:5075-5089): start in `spanLo`, end in `spanHi` (0 when there
 * are no ports). Module-level results instead of an object: this runs for every live pair of every touched source.
 */
let spanLo = 65535;
let spanHi = 0;
let spanAny = false;
function portSpan(p: PairState): void {
  let start = 65535;
  let end = 0;
  if (p.wTcpLo >= 0) {
    if (start > p.wTcpLo) start = p.wTcpLo;
    if (end < p.wTcpHi) end = p.wTcpHi;
  }
  if (p.wUdpLo >= 0) {
    if (start > p.wUdpLo) start = p.wUdpLo;
    if (end < p.wUdpHi) end = p.wUdpHi;
  }
  if (p.wLiteLo >= 0) {
    if (start > p.wLiteLo) start = p.wLiteLo;
    if (end < p.wLiteHi) end = p.wLiteHi;
  }
  spanLo = start;
  spanHi = end;
  // own mode asks whether the window holds any range at all (only tcp/udp/udplite ranges are ever kept)
  spanAny = p.wTcpLo >= 0 || p.wUdpLo >= 0 || p.wLiteLo >= 0;
}

const NO_CHANGES: DangerChange[] = [];

/**
 * Assigns the level for one source at the end of interval `interval`. psad compatibility: only destinations of this
 * interval count, and tot_dsts is their number (so slow sweeps never add up). Own mode: every live destination counts,
 * and DL1_UNIQUE_HOSTS 0 disables the destination-count criteria as psad.conf documents (psad makes every source DL1).
 *
 * `memo` (own mode) remembers each source object's destination count at its last assignment. A pair without packets
 * since then, judged again with the same count, can neither raise the level (levels only rise) nor become a sweep it
 * was not already: such pairs are skipped, so a slow sweep of n hosts costs O(n) per interval, not O(n²) overall. A
 * source reloaded from the store is a new object, unknown to the memo, and gets the full pass.
 */
export function assignDanger(s: SourceState, interval: number, o: DetectOptions, time: number,
  memo?: WeakMap<SourceState, number>): DangerChange[] {
  // no array until something changes: most calls change nothing (returned list is read-only to callers)
  let changes = NO_CHANGES;
  const push = (c: DangerChange | null): void => {
    if (c) {
      if (changes === NO_CHANGES) changes = [];
      changes.push(c);
    }
  };
  if (s.interval === interval) {
    push(raise(s, s.curSigDl, 'signature', time));
    push(raise(s, s.curSidDl, 'fwsnort', time));
  }
  const compat = o.compat;
  const [dl1, dl2, dl3, dl4, dl5] = o.dangerLevels as [number, number, number, number, number];
  const [h1, h2, h3, h4, h5] = o.uniqueHosts as [number, number, number, number, number];
  const hostsOff = !compat && h1 === 0;
  // two passes over the pairs instead of collecting them: tot_dsts first, then the levels
  let totDsts = 0;
  for (const p of s.pairs.values()) {
    if (compat ? p.interval === interval && p.live : p.live) totDsts++;
  }
  if (totDsts === 0) return changes;
  let prevDsts = -1;
  if (memo && !compat) {
    prevDsts = memo.get(s) ?? -1;
    memo.set(s, totDsts);
  }
  for (const p of s.pairs.values()) {
    if (!(compat ? p.interval === interval && p.live : p.live)) continue;
    if (prevDsts === totDsts && p.interval !== interval) continue;
    const absnum = p.absnum;
    if (absnum < dl1 && (hostsOff || totDsts < h1)) continue;
    const totProtocols = compat ? p.totProtocols : p.wprotos.length;
    portSpan(p);
    const start = spanLo;
    const end = spanHi;
    // psad tests `if ($e_port)`: a pair whose only port is 0 is treated like ICMP (range = packets)
    const hasPorts = compat ? end !== 0 : spanAny;
    const range = hasPorts ? end - start : absnum;
    const rangeHit = range >= o.portRangeScanThreshold;
    const protoHit = totProtocols >= o.protocolScanThreshold;
    const hostHit = !hostsOff && totDsts >= h1;
    if (!(rangeHit || protoHit || hostHit)) continue;
    const packetReason = rangeHit ? 'packets' : protoHit ? 'protocols' : 'hosts';
    const packetLevel = absnum < dl2 ? 1 : absnum < dl3 ? 2 : absnum < dl4 ? 3 : absnum < dl5 ? 4 : 5;
    let changed = false;
    const a = raise(s, packetLevel, packetReason, time);
    if (a) {
      push(a);
      changed = true;
    }
    if (!hostsOff) {
      const hostLevel = totDsts < h2 ? 1 : totDsts < h3 ? 2 : totDsts < h4 ? 3 : totDsts < h5 ? 4 : 5;
      const b = raise(s, hostLevel, 'hosts', time);
      if (b) {
        push(b);
        changed = true;
      }
    }
    const sweep = hasPorts && range === o.portRangeSweepThreshold && !hostsOff && totDsts >= h1;
    // psad marks a sweep only when this destination just changed the level (psad:5157); own mode whenever it is one
    if (sweep && (changed || !compat) && !p.sweep) {
      p.sweep = true;
      markPair(s, p.dst);
    }
  }
  return changes;
}
