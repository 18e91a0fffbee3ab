// psad's danger-level algorithm (assign_danger_level, psad:5036-5172), run for each source touched in an interval.
import type { DangerLevel } from '../domain/profile.ts';
import type { DangerChange } from '../domain/scan-state.ts';
import {
  P_ABSNUM, P_BITS, P_DST, P_INTERVAL, P_TOTP, P_WLITE, P_WPROTOS, P_WTCP, P_WUDP, PB_LIVE, PB_SWEEP, PB_WLITE, PB_WTCP,
  PB_WUDP, PW, S_CURSID, S_CURSIG, S_DL, S_FLAGS, S_INTERVAL, S_MEMO, S_PHEAD, SB_DIRTY, SF_LAST, SW,
} from '../domain/scan-table.ts';
import type { ScanTable } from '../domain/scan-table.ts';
import type { DetectOptions } from './rules.ts';

/** Raises the source's level to `level` (levels only ever rise, as %scan_dl does) and records why. */
export function raise(t: ScanTable, s: number, level: number, reason: string, time: number): DangerChange | null {
  return raised(t, s, level, reason, time) ? { time, level: level as DangerLevel, reason } : null;
}

/** raise() without making the change object (for callers that only need to know whether the level rose). */
export function raised(t: ScanTable, s: number, level: number, reason: string, time: number): boolean {
  const o = s * SW;
  if (level <= t.si[o + S_DL]!) return false;
  t.si[o + S_DL] = level;
  t.pushLevel(s, time, level, reason);
  t.si[o + S_FLAGS]! |= SB_DIRTY;
  return true;
}

/** Protocols in a pair's window (own mode's count): set bits plus names without one. */
function wprotoCount(t: ScanTable, p: number): number {
  let m = t.pi[p * PW + P_WPROTOS]!;
  let n = 0;
  while (m !== 0) {
    m &= m - 1;
    n++;
  }
  return n + (t.extraOf(p)?.wprotos?.length ?? 0);
}

const NO_CHANGES: DangerChange[] = [];

/** The level for a destination count (DL1–5_UNIQUE_HOSTS). */
function hostLevel(n: number, h: readonly number[]): number {
  return n < h[1]! ? 1 : n < h[2]! ? 2 : n < h[3]! ? 3 : n < h[4]! ? 4 : 5;
}

/**
 * Assigns the level for one source at the end of interval `interval`. psad compatibility: only destinations of this
 * interval count, and tot_dsts is their number (so slow sweeps never add up). Own mode: every live destination counts,
 * and DL1_UNIQUE_HOSTS 0 disables the destination-count criteria as psad.conf documents (psad makes every source DL1).
 *
 * Only what can change is judged. psad compatibility walks the pairs of this interval (a list kept per source). Own
 * mode keeps the live-destination count as pairs open and close, and remembers it at each assignment (S_MEMO): a pair
 * without packets since the last assignment, judged again where the count gives the same host test and host level,
 * gives the same raises — already applied, as levels only rise — and the same sweep mark, so only this interval's
 * pairs are walked; all of them only when the count crosses a DLn_UNIQUE_HOSTS threshold. A slow sweep of n hosts
 * costs O(1) per interval between thresholds, not O(n). A source reloaded from the store has no memo (full walk).
 * `listed` is the number of pairs t.intervalPairs(s) has just put into t.ibuf for this source (-1: not done).
 * `collect` false: the changes are recorded in the history only, and the list returned is empty (no objects made: a
 * caller that reads the histories, as analyze does, dropped ~100,000 of them at the end of the benchmark log).
 */
export function assignDanger(t: ScanTable, s: number, interval: number, o: DetectOptions, track = false, listed = -1, collect = true): DangerChange[] {
  // no array until something changes: most calls change nothing (returned list is read-only to callers)
  let changes = NO_CHANGES;
  const so = s * SW;
  const si = t.si;
  // Raises are stamped with the source's last packet, read where each raise is made. A time in ms is no small integer:
  // passed to a call V8 does not inline, it goes into a fresh heap number, and one value read up here and used by every
  // raise was boxed once per call, whether anything was raised or not (13 MB of heap numbers on the benchmark log).
  // For the same reason raise() is only called for a level above the source's.
  if (si[so + S_INTERVAL] === interval) {
    const sig = si[so + S_CURSIG]!;
    const sid = si[so + S_CURSID]!;
    if (collect) {
      const a = sig > si[so + S_DL]! ? raise(t, s, sig, 'signature', t.sf[so / 2 + SF_LAST]!) : null;
      if (a) changes = [a];
      const b = sid > si[so + S_DL]! ? raise(t, s, sid, 'fwsnort', t.sf[so / 2 + SF_LAST]!) : null;
      if (b) changes = changes === NO_CHANGES ? [b] : [...changes, b];
    } else {
      if (sig > si[so + S_DL]!) raised(t, s, sig, 'signature', t.sf[so / 2 + SF_LAST]!);
      if (sid > si[so + S_DL]!) raised(t, s, sid, 'fwsnort', t.sf[so / 2 + SF_LAST]!);
    }
  }
  const compat = o.compat;
  // by index, not destructuring: that goes through the array iterator, an allocation per call (a million calls in own mode)
  const dls = o.dangerLevels;
  const dl1 = dls[0]!;
  const dl2 = dls[1]!;
  const dl3 = dls[2]!;
  const dl4 = dls[3]!;
  const dl5 = dls[4]!;
  const h = o.uniqueHosts;
  const h1 = h[0]!;
  const hostsOff = !compat && h1 === 0;
  const pi = t.pi;
  // the pairs to judge: this interval's (in t.ibuf, n of them), or all (n = -1)
  let n = -1;
  let totDsts = 0;
  if (compat) {
    n = listed >= 0 ? listed : t.intervalPairs(s);
    const buf = t.ibuf;
    for (let i = 0; i < n; i++) {
      const p = buf[i]!;
      if (pi[p * PW + P_INTERVAL] === interval && (pi[p * PW + P_BITS]! & PB_LIVE) !== 0) totDsts++;
    }
  } else {
    totDsts = t.slive[s]!;
  }
  if (totDsts === 0) return changes;
  if (!compat) {
    const prev = t.si[so + S_MEMO]!;
    t.si[so + S_MEMO] = totDsts;
    const same = prev === totDsts || (prev >= 0 && (hostsOff || ((prev >= h1) === (totDsts >= h1) && hostLevel(prev, h) === hostLevel(totDsts, h))));
    if (same) n = listed >= 0 ? listed : t.intervalPairs(s);
  }
  const list = t.ibuf;
  let p = n >= 0 ? (n > 0 ? list[0]! : -1) : t.si[so + S_PHEAD]!;
  for (let i = 0; p >= 0; p = n >= 0 ? (++i < n ? list[i]! : -1) : t.pnext[p]!) {
    const po = p * PW;
    const bits = pi[po + P_BITS]!;
    if ((bits & PB_LIVE) === 0 || (n >= 0 && pi[po + P_INTERVAL] !== interval)) continue;
    const absnum = pi[po + P_ABSNUM]!;
    if (absnum < dl1 && (hostsOff || totDsts < h1)) continue;
    const totProtocols = compat ? pi[po + P_TOTP]! : wprotoCount(t, p);
    // psad's port range over tcp, udp and udplite of the window (psad:5075-5089)
    let start = 65535;
    let end = 0;
    if (bits & PB_WTCP) {
      const v = pi[po + P_WTCP]!;
      start = Math.min(start, v >>> 16);
      end = Math.max(end, v & 0xffff);
    }
    if (bits & PB_WUDP) {
      const v = pi[po + P_WUDP]!;
      start = Math.min(start, v >>> 16);
      end = Math.max(end, v & 0xffff);
    }
    if (bits & PB_WLITE) {
      const v = pi[po + P_WLITE]!;
      start = Math.min(start, v >>> 16);
      end = Math.max(end, v & 0xffff);
    }
    // psad tests `if ($e_port)`: a pair whose only port is 0 is treated like ICMP (range = packets); own mode asks
    // whether the window holds any range at all
    const hasPorts = compat ? end !== 0 : (bits & (PB_WTCP | PB_WUDP | PB_WLITE)) !== 0;
    const range = hasPorts ? end - start : absnum;
    const rangeHit = range >= o.portRangeScanThreshold;
    const protoHit = totProtocols >= o.protocolScanThreshold;
    const hostHit = !hostsOff && totDsts >= h1;
    if (!(rangeHit || protoHit || hostHit)) continue;
    const packetReason = rangeHit ? 'packets' : protoHit ? 'protocols' : 'hosts';
    // every threshold compared, not only up to the first one the count is under: a comparison reached for the first
    // time after V8 optimized this function (the first source past DL2 packets, …) threw the optimized code away
    const under2 = absnum < dl2;
    const under3 = absnum < dl3;
    const under4 = absnum < dl4;
    const under5 = absnum < dl5;
    const packetLevel = under2 ? 1 : under3 ? 2 : under4 ? 3 : under5 ? 4 : 5;
    let changed = false;
    const hostsLevel = hostsOff ? 0 : hostLevel(totDsts, h);
    if (collect) {
      const a = packetLevel > si[so + S_DL]! ? raise(t, s, packetLevel, packetReason, t.sf[so / 2 + SF_LAST]!) : null;
      if (a) {
        if (changes === NO_CHANGES) changes = [];
        changes.push(a);
        changed = true;
      }
      const b = hostsLevel > si[so + S_DL]! ? raise(t, s, hostsLevel, 'hosts', t.sf[so / 2 + SF_LAST]!) : null;
      if (b) {
        if (changes === NO_CHANGES) changes = [];
        changes.push(b);
        changed = true;
      }
    } else {
      if (packetLevel > si[so + S_DL]!) changed = raised(t, s, packetLevel, packetReason, t.sf[so / 2 + SF_LAST]!);
      if (hostsLevel > si[so + S_DL]! && raised(t, s, hostsLevel, 'hosts', t.sf[so / 2 + SF_LAST]!)) changed = true;
    }
    // both comparisons made every time, for the reason above
    const sweepRange = range === o.portRangeSweepThreshold;
    const enoughHosts = totDsts >= h1;
    const sweep = hasPorts && sweepRange && !hostsOff && enoughHosts;
    // psad marks a sweep only when this destination just changed the level (psad:5157); own mode whenever it is one
    if (sweep && (changed || !compat) && (bits & PB_SWEEP) === 0) {
      pi[po + P_BITS] = bits | PB_SWEEP;
      if (track) (t.marksOf(s).pairs ??= new Set()).add(t.dsts.text[pi[po + P_DST]!]!);
    }
  }
  return changes;
}
