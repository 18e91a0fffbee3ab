// Memoises tcp_find_match: traffic repeats a few stacks, so a packet's match (and a sink's rendering of it) is looked up, not recomputed.
import type { SignatureDb } from './database.ts';
import type { PacketSig } from './packet-sig.ts';
import { findMatch } from './tcp-match.ts';
import type { TcpMatch } from './tcp-match.ts';

/** Everything a match and its p0f rendering depend on, plus the result. Immutable once made. */
export interface MatchEntry {
  /** The match (shared: never modify). */
  match: TcpMatch;
  /** The match is a tool (`!`) signature: p0f stops tracking the flow. */
  tool: boolean;
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
  /** Hash of the key fields. */
  hash: number;
}

/** Int32 words per entry in the key array: hash, six packed key words, the unobservable quirks. */
const KEY_WORDS = 8;

/** Entries kept before the cache starts over (bounds memory under floods of ever-different packets). */
export const MATCH_CACHE_SIZE = 1 << 16;

/** Epochs handed out so far (module-wide, so an epoch names one cache's numbering, see MatchCache.epoch). */
let epochs = 0;

/**
 * A bounded cache of matches for one signature set. Entries are numbered 0, 1, … in the order they are made, and the
 * per-packet path deals in those numbers: what the engine needs of an entry for every packet (the tool flag, the link
 * of its MTU) sits in typed arrays by number, so the entry objects, scattered over the heap, are not touched at all.
 */
export class MatchCache {
  readonly #db: SignatureDb;
  /**
   * Names this cache's current numbering: different for every cache and again after a start-over, so a sink that
   * keeps something per entry number (the p0f encoder) knows when to drop it.
   */
  epoch = ++epochs;
  /** The entry of the last lookup that was not cached (number -1). */
  #uncached: MatchEntry | null = null;
  /** Per entry number: 1 for a tool match. */
  #tool = new Uint8Array(2048);
  /** Per entry number: the MTU its link name was looked up for (0: not yet), and that name. */
  #mtu = new Int32Array(2048);
  #link = new Array<string | null>(2048).fill(null);
  /**
   * Open addressing (linear probing, at most half full): entry index + 1 per slot, 0 when empty. It starts with room
   * for 2,048 entries (24 KiB with the keys; real traffic makes a few hundred to a few thousand) and doubles past that:
   * growing in the middle of a big file also throws away the optimized code of the hot path once.
   */
  #slots = new Int32Array(4096);
  #mask = 4095;
  #entries: MatchEntry[] = [];
  /** Per entry index: its hash and packed key words (KEY_WORDS each), so probing never touches the entry objects. */
  #keys = new Int32Array(2048 * KEY_WORDS);
  /** Lookups answered from the cache, and computed. */
  hits = 0;
  misses = 0;

  constructor(db: SignatureDb) {
    this.#db = db;
  }

  /**
   * The number of the entry matching `ps` in direction `toSrv` with the flow's SYN MSS (0 for SYNs); -1 for a packet
   * that is matched but not cached (see entry()).
   */
  get(ps: PacketSig, toSrv: boolean, synMss: number): number {
    const ts1Set = ps.ts1 !== 0;
    // not cached: layouts past the intern table, and values too wide for the packed key (only a bogus log line has those)
    if (ps.layoutId < 0 || ((ps.ttl | ps.wscale | ps.olen | ps.eolPad | ps.tos | ps.tcpType) & ~0xff) !== 0 || ((ps.win | ps.mss | synMss) & ~0xffff) !== 0) {
      this.#uncached = this.#make(ps, toSrv, synMss, ts1Set, 0);
      return -1;
    }
    // the key packed into six words (every field fits its bits: TTL, scale, TOS 8 bits or less, IPv4 option and EOL
    // padding lengths at most 40, window, MSS and header length 16); compared as words, not field by field
    const k0 = ps.layoutId;
    const k1 = ps.quirks;
    const k2 = (ps.win << 16) | ps.mss;
    const k3 = (ps.ttl << 24) | (ps.wscale << 16) | (ps.olen << 8) | ps.eolPad;
    const k4 = (ps.totHdr << 16) | synMss;
    const k5 = ps.tos | (ps.tcpType << 8) | (ps.pclass << 16) | (ts1Set ? 1 << 17 : 0) | (ps.ver === 6 ? 1 << 18 : 0) | (toSrv ? 1 << 19 : 0);
    const k6 = ps.unknownQuirks;
    let h = Math.imul(k0 + 1, 0x01000193) ^ k1 ^ (k6 << 3);
    h = Math.imul(h ^ k2, 0x01000193);
    h = Math.imul(h ^ k3, 0x01000193);
    h = Math.imul(h ^ k4, 0x01000193);
    h = Math.imul(h ^ k5, 0x9e3779b1);
    h ^= h >>> 16;
    const slots = this.#slots;
    const mask = this.#mask;
    const keys = this.#keys;
    let i = h & mask;
    for (let s = slots[i]!; s !== 0; i = (i + 1) & mask, s = slots[i]!) {
      const k = (s - 1) * KEY_WORDS;
      if (keys[k] === h && keys[k + 1] === k0 && keys[k + 2] === k1 && keys[k + 3] === k2 && keys[k + 4] === k3 && keys[k + 5] === k4 &&
          keys[k + 6] === k5 && keys[k + 7] === k6) {
        this.hits++;
        return s - 1;
      }
    }
    if (this.#entries.length >= MATCH_CACHE_SIZE) {
      // full (a flood of ever-different packets): start over rather than grow
      slots.fill(0);
      this.#entries = [];
      this.epoch = ++epochs;
      i = h & mask;
    } else if ((this.#entries.length + 1) * 2 > mask + 1) {
      this.#grow();
      i = this.#free(h);
    }
    const e = this.#make(ps, toSrv, synMss, ts1Set, h);
    const n = this.#entries.length;
    if ((n + 1) * KEY_WORDS > this.#keys.length) {
      const bigger = new Int32Array(this.#keys.length * 2);
      bigger.set(this.#keys);
      this.#keys = bigger;
    }
    if (n >= this.#tool.length) {
      const tool = new Uint8Array(this.#tool.length * 2);
      tool.set(this.#tool);
      this.#tool = tool;
      // the link names are looked up again (a growth happens a dozen times at most)
      this.#mtu = new Int32Array(tool.length);
      this.#link = new Array<string | null>(tool.length).fill(null);
    }
    this.#keys.set([h, k0, k1, k2, k3, k4, k5, k6], n * KEY_WORDS);
    this.#tool[n] = e.tool ? 1 : 0;
    this.#mtu[n] = 0;
    this.#entries.push(e);
    this.#slots[i] = n + 1;
    return n;
  }

  /** The entry with number `n` (from get(); -1: the last uncached one). */
  entry(n: number): MatchEntry {
    return n >= 0 ? this.#entries[n]! : this.#uncached!;
  }

  /** Whether entry `n` is a tool (`!`) match. */
  isTool(n: number): boolean {
    return n >= 0 ? this.#tool[n] === 1 : this.#uncached!.tool;
  }

  /** The [mtu] link name of `mtu` (which follows from entry `n`'s MSS and IP version), looked up once per entry. */
  link(n: number, mtu: number): string | null {
    if (n < 0) return this.#db.link(mtu);
    if (this.#mtu[n] !== mtu) {
      this.#mtu[n] = mtu;
      this.#link[n] = this.#db.link(mtu);
    }
    return this.#link[n] ?? null;
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
      match: m, tool: m.record?.tool === true, toSrv, layoutId: ps.layoutId, quirks: ps.quirks, unknownQuirks: ps.unknownQuirks, eolPad: ps.eolPad, olen: ps.olen, ttl: ps.ttl, mss: ps.mss, win: ps.win,
      wscale: ps.wscale, pclass: ps.pclass, totHdr: ps.totHdr, ts1Set, ver: ps.ver, synMss, tos: ps.tos, tcpType: ps.tcpType, hash,
    };
  }
}
