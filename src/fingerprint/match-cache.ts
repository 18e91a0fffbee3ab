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
  /** MTU of the entry's MSS and IP version once the engine has looked it up (0 before), and its link name. */
  mtu: number;
  link: string | null;
  /** Hash of the key fields. */
  hash: number;
}

/** Entries kept before the cache starts over (bounds memory under floods of ever-different packets). */
export const MATCH_CACHE_SIZE = 1 << 16;

/** A bounded cache of matches for one signature set. */
export class MatchCache {
  readonly #db: SignatureDb;
  /**
   * Open addressing (linear probing, at most half full): entry index + 1 per slot, 0 when empty. It starts small and
   * doubles, so the usual few hundred entries stay in the CPU cache.
   */
  #slots = new Int32Array(1024);
  #mask = 1023;
  #entries: MatchEntry[] = [];
  /** Lookups answered from the cache, and computed. */
  hits = 0;
  misses = 0;

  constructor(db: SignatureDb) {
    this.#db = db;
  }

  /** The match of `ps` in direction `toSrv` with the flow's SYN MSS (0 for SYNs). */
  get(ps: PacketSig, toSrv: boolean, synMss: number): MatchEntry {
    const ts1Set = ps.ts1 !== 0;
    if (ps.layoutId < 0) return this.#make(ps, toSrv, synMss, ts1Set, 0);
    let h = Math.imul(ps.layoutId + 1, 0x01000193) ^ ps.quirks ^ (ps.unknownQuirks << 3);
    h = Math.imul(h ^ ((ps.win << 16) | ps.mss), 0x01000193);
    h = Math.imul(h ^ ((ps.ttl << 24) | (ps.wscale << 16) | (ps.olen << 8) | ps.eolPad), 0x01000193);
    h = Math.imul(h ^ ((ps.totHdr << 16) | synMss), 0x01000193);
    h = Math.imul(h ^ ((ps.tos << 8) | (ps.tcpType << 16) | (ps.pclass << 3) | (ts1Set ? 4 : 0) | (ps.ver === 6 ? 2 : 0) | (toSrv ? 1 : 0)), 0x9e3779b1);
    h ^= h >>> 16;
    const slots = this.#slots;
    const mask = this.#mask;
    const entries = this.#entries;
    let i = h & mask;
    for (let s = slots[i]!; s !== 0; i = (i + 1) & mask, s = slots[i]!) {
      const e = entries[s - 1]!;
      if (e.hash === h && e.layoutId === ps.layoutId && e.quirks === ps.quirks && e.unknownQuirks === ps.unknownQuirks && e.win === ps.win && e.mss === ps.mss && e.ttl === ps.ttl &&
          e.wscale === ps.wscale && e.olen === ps.olen && e.eolPad === ps.eolPad && e.totHdr === ps.totHdr &&
          e.synMss === synMss && e.tos === ps.tos && e.tcpType === ps.tcpType && e.pclass === ps.pclass &&
          e.ts1Set === ts1Set && e.ver === ps.ver && e.toSrv === toSrv) {
        this.hits++;
        return e;
      }
    }
    if (entries.length >= MATCH_CACHE_SIZE) {
      // full (a flood of ever-different packets): start over rather than grow
      slots.fill(0);
      this.#entries = [];
      i = h & mask;
    } else if ((entries.length + 1) * 2 > mask + 1) {
      this.#grow();
      i = this.#free(h);
    }
    const e = this.#make(ps, toSrv, synMss, ts1Set, h);
    this.#entries.push(e);
    this.#slots[i] = this.#entries.length;
    return e;
  }

  /** The first empty slot of hash `h`'s probe run. */
  #free(h: number): number {
    const slots = this.#slots;
    const mask = this.#mask;
    let i = h & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    return i;
  }

  #grow(): void {
    this.#slots = new Int32Array(this.#slots.length * 2);
    this.#mask = this.#slots.length - 1;
    const entries = this.#entries;
    for (let k = 0; k < entries.length; k++) this.#slots[this.#free(entries[k]!.hash)] = k + 1;
  }

  #make(ps: PacketSig, toSrv: boolean, synMss: number, ts1Set: boolean, hash: number): MatchEntry {
    this.misses++;
    const m = findMatch(this.#db.group(toSrv, ps.layoutKey), ps, synMss);
    return {
      toSrv, layoutId: ps.layoutId, quirks: ps.quirks, unknownQuirks: ps.unknownQuirks, eolPad: ps.eolPad, olen: ps.olen, ttl: ps.ttl, mss: ps.mss, win: ps.win,
      wscale: ps.wscale, pclass: ps.pclass, totHdr: ps.totHdr, ts1Set, ver: ps.ver, synMss, tos: ps.tos, tcpType: ps.tcpType,
      match: m, ext: undefined, mtu: 0, link: null, hash,
    };
  }
}
