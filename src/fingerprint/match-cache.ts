// Memoises tcp_find_match: traffic repeats a few stacks, so a packet's match (and a sink's rendering of it) is looked up, not recomputed.
import type { SignatureDb } from './database.ts';
import type { PacketSig } from './packet-sig.ts';
import { findMatch } from './tcp-match.ts';
import type { TcpMatch } from './tcp-match.ts';

/** Everything a match and its p0f rendering depend on, plus the result. Immutable once made, except `ext`. */
export interface MatchEntry {
  toSrv: boolean;
  layoutId: number;
  quirks: number;
  unknownQuirks: number;
  eolPad: number;
  olen: number;
  ttl: number;
  mss: number;
  win: number;
  wscale: number;
  pclass: number;
  totHdr: number;
  ts1Set: boolean;
  ver: 4 | 6;
  synMss: number;
  tos: number;
  tcpType: number;
  /** The match (shared: never modify). */
  match: TcpMatch;
  /** A sink's own per-entry data, e.g. the encoded tail of the p0f line; dropped with the entry. */
  ext: unknown;
  next: MatchEntry | null;
}

/** Entries kept before the cache starts over (bounds memory under floods of ever-different packets). */
export const MATCH_CACHE_SIZE = 1 << 16;

/** A bounded cache of matches for one signature set. */
export class MatchCache {
  readonly #db: SignatureDb;
  readonly #map = new Map<number, MatchEntry>();
  #size = 0;
  /** Lookups answered from the cache, and computed. */
  hits = 0;
  misses = 0;

  constructor(db: SignatureDb) {
    this.#db = db;
  }

  /** The match of `ps` in direction `toSrv` with the flow's SYN MSS (0 for SYNs). */
  get(ps: PacketSig, toSrv: boolean, synMss: number): MatchEntry {
    const ts1Set = ps.ts1 !== 0;
    if (ps.layoutId < 0) return this.#make(ps, toSrv, synMss, ts1Set);
    let h = Math.imul(ps.layoutId + 1, 0x01000193) ^ ps.quirks ^ (ps.unknownQuirks << 3);
    h = Math.imul(h ^ ((ps.win << 16) | ps.mss), 0x01000193);
    h = Math.imul(h ^ ((ps.ttl << 24) | (ps.wscale << 16) | (ps.olen << 8) | ps.eolPad), 0x01000193);
    h = Math.imul(h ^ ((ps.totHdr << 16) | synMss), 0x01000193);
    h = (h ^ ((ps.tos << 8) | (ps.tcpType << 16) | (ps.pclass << 3) | (ts1Set ? 4 : 0) | (ps.ver === 6 ? 2 : 0) | (toSrv ? 1 : 0))) | 0;
    const head = this.#map.get(h);
    for (let e: MatchEntry | null = head ?? null; e; e = e.next) {
      if (e.layoutId === ps.layoutId && e.quirks === ps.quirks && e.unknownQuirks === ps.unknownQuirks && e.win === ps.win && e.mss === ps.mss && e.ttl === ps.ttl &&
          e.wscale === ps.wscale && e.olen === ps.olen && e.eolPad === ps.eolPad && e.totHdr === ps.totHdr &&
          e.synMss === synMss && e.tos === ps.tos && e.tcpType === ps.tcpType && e.pclass === ps.pclass &&
          e.ts1Set === ts1Set && e.ver === ps.ver && e.toSrv === toSrv) {
        this.hits++;
        return e;
      }
    }
    if (this.#size >= MATCH_CACHE_SIZE) {
      this.#map.clear();
      this.#size = 0;
    }
    const e = this.#make(ps, toSrv, synMss, ts1Set);
    e.next = this.#map.get(h) ?? null;
    this.#map.set(h, e);
    this.#size++;
    return e;
  }

  #make(ps: PacketSig, toSrv: boolean, synMss: number, ts1Set: boolean): MatchEntry {
    this.misses++;
    const m = findMatch(this.#db.group(toSrv, ps.layoutKey), ps, synMss);
    return {
      toSrv, layoutId: ps.layoutId, quirks: ps.quirks, unknownQuirks: ps.unknownQuirks, eolPad: ps.eolPad, olen: ps.olen, ttl: ps.ttl, mss: ps.mss, win: ps.win,
      wscale: ps.wscale, pclass: ps.pclass, totHdr: ps.totHdr, ts1Set, ver: ps.ver, synMss, tos: ps.tos, tcpType: ps.tcpType,
      match: m, ext: undefined, next: null,
    };
  }
}
