// p0f's TCP signature matching (fp_tcp.c tcp_find_match, detect_win_multi, guess_dist), with its exact ranking rules.
import type { FpTcpEntry } from './fp-file.ts';
import { Q } from './quirks.ts';
import type { TcpSignature } from './tcp-sig.ts';

/** p0f's MAX_DIST: a packet TTL more than this below the signature's makes the match fuzzy. */
export const MAX_DIST = 35;

/** One signature as the matcher holds it. */
export interface TcpSigRecord {
  /** The file entry (label, sys, file and line). */
  entry: FpTcpEntry;
  /** The parsed signature. */
  sig: TcpSignature;
  /** `g:` label. */
  generic: boolean;
  /** `!` class: a tool or application, not an OS. */
  tool: boolean;
  /** Position in load order (for stable references). */
  index: number;
}

/** How well a signature matched. */
export type MatchQuality = 'exact' | 'generic' | 'fuzzy' | 'none';

/** The outcome of matching one packet. */
export interface TcpMatch {
  /** The winning signature, or null (os=???). */
  record: TcpSigRecord | null;
  /** p0f's fuzzy flag (quirk drift or TTL out of range). */
  fuzzy: boolean;
  /** Hop distance p0f reports. */
  dist: number;
}

/** What the matcher compares: a packet (window kind 'value') or, at load time, another signature. */
export interface MatchProbe {
  ver: 4 | 6 | null;
  layoutKey: string;
  quirks: number;
  /** Quirk bits the observation could not see; they are left out of the comparison (log lines). */
  unknownQuirks?: number;
  eolPad: number;
  olen: number;
  ttl: number;
  /** MSS (0 when absent), or -1 for a `*` signature. */
  mss: number;
  /** Window value (0 for `*`). */
  win: number;
  /** 'value' for packets. */
  winKind: 'value' | 'any' | 'mod' | 'mss' | 'mtu';
  /** Window scale, or -1 for `*`. */
  wscale: number;
  /** Payload class 0/1, or -1 for `*`. */
  pclass: number;
  totHdr: number;
  ts1: number;
}

/** Distance to the next common initial TTL at or above `ttl` (32, 64, 128, 255). */
export function guessDist(ttl: number): number {
  if (ttl <= 32) return 32 - ttl;
  if (ttl <= 64) return 64 - ttl;
  if (ttl <= 128) return 128 - ttl;
  return 255 - ttl;
}

/** Out-parameter of detectWinMulti: whether the multiplier is of the MTU rather than the MSS. */
export const winMultiOut = { useMtu: false };

const toS16 = (x: number): number => (x << 16) >> 16;

/**
 * Whether the window is a multiple of the MSS (or MTU), trying p0f's divisors in its order; returns the multiplier
 * (as p0f's s16, so it can be negative) or -1. `synMss` is the peer's MSS on SYN+ACKs, 0 otherwise.
 */
export function detectWinMulti(win: number, mss: number, ts1: number, ver: 4 | 6 | null, totHdr: number, synMss: number, winIsValue = true): number {
  winMultiOut.useMtu = false;
  if (win === 0 || mss < 100 || !winIsValue) return -1;
  const div = (d: number, mtu: boolean): number | undefined => {
    // p0f would divide by zero on a peer MSS of exactly 12; treat that divisor as not dividing
    if (d === 0 || win % d !== 0) return undefined;
    winMultiOut.useMtu = mtu;
    return toS16(Math.trunc(win / d));
  };
  let r: number | undefined;
  if ((r = div(mss, false)) !== undefined) return r;
  if (ts1 !== 0 && (r = div(mss - 12, false)) !== undefined) return r;
  if ((r = div(1460, false)) !== undefined) return r;
  if ((r = div(1448, false)) !== undefined) return r;
  if (ver === 6) {
    if ((r = div(1440, false)) !== undefined) return r;
    if ((r = div(1428, false)) !== undefined) return r;
  }
  if ((r = div(mss + 40, true)) !== undefined) return r;
  if ((r = div(mss + totHdr, true)) !== undefined) return r;
  if (ver === 6 && (r = div(mss + 60, true)) !== undefined) return r;
  if ((r = div(1500, true)) !== undefined) return r;
  if (synMss !== 0) {
    if ((r = div(synMss, false)) !== undefined) return r;
    if ((r = div(synMss - 12, false)) !== undefined) return r;
  }
  return -1;
}

const WIN_KIND = { value: 0, any: 1, mod: 2, mss: 3, mtu: 4 } as const;

/**
 * tcp_find_match: compares the probe with the signatures of its option layout, in file order. `dupeCheck` reproduces
 * the load-time duplicate test (only an exact specific match counts, nothing else is computed).
 */
export function findMatch(group: readonly TcpSigRecord[] | undefined, ts: MatchProbe, synMss: number, dupeCheck = false): TcpMatch {
  const result: TcpMatch = { record: null, fuzzy: false, dist: 0 };
  let fmatch: TcpSigRecord | null = null;
  let gmatch: TcpSigRecord | null = null;
  const winMulti = detectWinMulti(ts.win, ts.mss, ts.ts1, ts.ver, ts.totHdr, synMss, ts.winKind === 'value');
  const useMtu = winMultiOut.useMtu;
  const known = ~(ts.unknownQuirks ?? 0);
  const tsQuirks = ts.quirks & known;
  if (group) {
    for (const ref of group) {
      const refs = ref.sig;
      if (refs.layoutKey !== ts.layoutKey) continue;
      let fuzzy = false;
      let refQuirks = refs.quirks;
      // a signature without IP version drops the other family's quirks before comparing
      if (refs.ver === null) refQuirks &= ts.ver === 4 ? ~Q.FLOW : ~(Q.DF | Q.NZ_ID | Q.ZERO_ID);
      refQuirks &= known;
      if (refQuirks !== tsQuirks) {
        const deleted = (refQuirks ^ tsQuirks) & refQuirks;
        const added = (refQuirks ^ tsQuirks) & tsQuirks;
        // only df/id+ disappearing or id-/ecn appearing is tolerated, and only while no fuzzy candidate exists yet
        if (fmatch || (deleted & ~(Q.DF | Q.NZ_ID)) !== 0 || (added & ~(Q.ZERO_ID | Q.ECN)) !== 0) continue;
        fuzzy = true;
      }
      if (refs.eolPad !== ts.eolPad || refs.olen !== ts.olen) continue;
      if (refs.badTtl) {
        if (refs.ttl < ts.ttl) continue;
      } else if (refs.ttl < ts.ttl || refs.ttl - ts.ttl > MAX_DIST) {
        fuzzy = true;
      }
      if (refs.mss !== null && refs.mss !== ts.mss) continue;
      if (refs.scale !== null && refs.scale !== ts.wscale) continue;
      if (refs.pclass !== null && refs.pclass !== ts.pclass) continue;
      const w = refs.win;
      if (ts.winKind !== 'value') {
        // comparing two signatures (load-time duplicate check)
        const n = w.kind === 'any' ? 0 : w.n;
        if (WIN_KIND[w.kind] !== WIN_KIND[ts.winKind] || n !== ts.win) continue;
      } else {
        switch (w.kind) {
          case 'value': if (w.n !== ts.win) continue; break;
          case 'mod': if (ts.win % w.n !== 0) continue; break;
          case 'mss': if (useMtu || w.n !== winMulti) continue; break;
          case 'mtu': if (!useMtu || w.n !== winMulti) continue; break;
          case 'any': break;
        }
      }
      if (!fuzzy) {
        if (!ref.generic) {
          result.record = ref;
          result.fuzzy = false;
          result.dist = refs.ttl - ts.ttl;
          return result;
        }
        gmatch ??= ref;
      } else {
        fmatch ??= ref;
      }
    }
  }
  if (dupeCheck) return result;
  if (gmatch) {
    result.record = gmatch;
    result.dist = gmatch.sig.ttl - ts.ttl;
    return result;
  }
  // no fuzzy matching for userland tools: p0f reports nothing (and distance 0)
  if (fmatch?.tool) return result;
  if (!fmatch || fmatch.sig.ttl < ts.ttl || (!fmatch.sig.badTtl && fmatch.sig.ttl - ts.ttl > MAX_DIST)) result.dist = guessDist(ts.ttl);
  else result.dist = fmatch.sig.ttl - ts.ttl;
  result.record = fmatch;
  result.fuzzy = fmatch !== null;
  return result;
}

/** Match quality in words. */
export function qualityOf(m: TcpMatch): MatchQuality {
  if (!m.record) return 'none';
  if (m.fuzzy) return 'fuzzy';
  return m.record.generic ? 'generic' : 'exact';
}
