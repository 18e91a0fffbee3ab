// Signature hits for the scan table in slabs: one record per (pair, signature, protocol slot, chain) and one per
// (source, signature), each on a short list hanging off its pair or source. A hit touches two records instead of half
// a dozen objects spread over the heap.
import { StringIds } from './string-ids.ts';
import { zeroRow } from './rows.ts';

/** Pair hit records: PH int32 each. */
const PH = 8;
const H_PAIR = 0;
const H_SID = 1;
/** Protocol slot id << 1 | fwsnort. */
const H_SLOT = 2;
const H_CHAIN = 3;
const H_PACKETS = 4;
const H_DPORT = 5;
/** Flag string id (in the table's flag strings). */
const H_FLAGS = 6;
const H_NEXT = 7;

/** Source hit records: SH int32 each, first and last (float64) in the first four. */
const SH = 24;
const G_SRC = 4;
const G_SID = 5;
const G_COUNT = 6;
const G_DL = 7;
const G_FWSNORT = 8;
const G_NEXT = 9;
const G_MSG = 10;
const G_PROTO = 11;
const G_NDPORTS = 12;
const G_DPORTS = 13;
/** Destination ports kept per source hit (a few: they illustrate, not count). */
export const MAX_SIG_DPORTS = 8;

/** A pair hit as plain values. */
export interface PairHitValues {
  slot: string;
  sid: number;
  chain: string;
  packets: number;
  dport: number;
  flags: number;
  fwsnort: boolean;
}

/** A source hit as plain values. */
export interface SourceHitValues {
  sid: number;
  msg: string;
  dl: number;
  proto: string;
  count: number;
  dports: number[];
  fwsnort: boolean;
  first: number;
  last: number;
}

/** The hit records and the strings they refer to. */
export class SigHits {
  /** Pair hit records. */
  ph = new Int32Array(PH * 256);
  /** Source hit records (int32 and float64 views of the same memory). */
  gi: Int32Array;
  gf: Float64Array;
  /** Protocol slots, chains, messages and rule protocols by id. */
  readonly names = new StringIds();
  #pairUsed = 0;
  #pairFree = -1;
  #srcUsed = 0;
  #srcFree = -1;

  constructor() {
    const b = new ArrayBuffer(SH * 4 * 256);
    this.gi = new Int32Array(b);
    this.gf = new Float64Array(b);
  }

  // ---------------------------------------------------------------- pair hits (lists by first record + 1, 0 = none)

  /** The record of (sid, slot, chain) in the list starting at `head`, or -1. */
  findPair(head: number, sid: number, slot: number, chain: number): number {
    const ph = this.ph;
    // the next record is read before this one is compared, so that every operation runs on the first record: V8's
    // optimized code deoptimizes where it first reaches one that never ran (here: a second record on a list)
    for (let r = head - 1; r >= 0;) {
      const o = r * PH;
      const next = ph[o + H_NEXT]!;
      if (ph[o + H_SID] === sid && ph[o + H_SLOT]! >> 1 === slot && ph[o + H_CHAIN] === chain) return r;
      r = next;
    }
    return -1;
  }

  /** A new pair record put first on the list starting at `head`; the new head is the record + 1. */
  addPair(head: number, pair: number, sid: number, slot: number, chain: number, fwsnort: boolean, flagsNa: number): number {
    let r = this.#pairFree;
    if (r >= 0) {
      this.#pairFree = this.ph[r * PH + H_NEXT]!;
    } else {
      r = this.#pairUsed++;
      if ((r + 1) * PH > this.ph.length) {
        const grown = new Int32Array(this.ph.length * 2);
        grown.set(this.ph);
        this.ph = grown;
      }
    }
    const o = r * PH;
    const ph = this.ph;
    ph[o + H_PAIR] = pair;
    ph[o + H_SID] = sid;
    ph[o + H_SLOT] = (slot << 1) | (fwsnort ? 1 : 0);
    ph[o + H_CHAIN] = chain;
    ph[o + H_PACKETS] = 0;
    ph[o + H_DPORT] = 0;
    ph[o + H_FLAGS] = flagsNa;
    ph[o + H_NEXT] = head - 1;
    return r;
  }

  /** Counts a packet on pair record r: its port when `setPort` (tcp/udp/udplite slots), its flag string id (tcp) when ≥ 0. */
  hitPair(r: number, setPort: boolean, dport: number, flags: number): void {
    const o = r * PH;
    const ph = this.ph;
    ph[o + H_PACKETS]!++;
    if (setPort) ph[o + H_DPORT] = dport;
    if (flags >= 0) ph[o + H_FLAGS] = flags;
  }

  /** The pair records of the list starting at `head`, first added first. */
  pairHits(head: number): PairHitValues[] {
    const out: PairHitValues[] = [];
    const ph = this.ph;
    for (let r = head - 1; r >= 0; r = ph[r * PH + H_NEXT]!) {
      const o = r * PH;
      out.push({
        slot: this.names.text[ph[o + H_SLOT]! >> 1]!, sid: ph[o + H_SID]!, chain: this.names.text[ph[o + H_CHAIN]!]!, packets: ph[o + H_PACKETS]!,
        dport: ph[o + H_DPORT]!, flags: ph[o + H_FLAGS]!, fwsnort: (ph[o + H_SLOT]! & 1) !== 0,
      });
    }
    return out.reverse();
  }

  /** Sets a pair record's counters (a stored hit). */
  setPair(r: number, packets: number, dport: number, flags: number): void {
    const o = r * PH;
    this.ph[o + H_PACKETS] = packets;
    this.ph[o + H_DPORT] = dport;
    this.ph[o + H_FLAGS] = flags;
  }

  /** Frees the records of the list starting at `head`. */
  freePairs(head: number): void {
    const ph = this.ph;
    for (let r = head - 1; r >= 0;) {
      const next = ph[r * PH + H_NEXT]!;
      ph[r * PH + H_PAIR] = -1;
      ph[r * PH + H_NEXT] = this.#pairFree;
      this.#pairFree = r;
      r = next;
    }
  }

  // ---------------------------------------------------------------- source hits

  /** The record of `sid` in the list starting at `head`, or -1. */
  findSource(head: number, sid: number): number {
    const gi = this.gi;
    // the next record is read first, as in findPair
    for (let r = head - 1; r >= 0;) {
      const next = gi[r * SH + G_NEXT]!;
      if (gi[r * SH + G_SID] === sid) return r;
      r = next;
    }
    return -1;
  }

  /** A new source record put first on the list starting at `head`. */
  addSource(head: number, src: number, h: Omit<SourceHitValues, 'count' | 'dports'>): number {
    const r = this.newSource(head, src, h.sid, h.msg, h.dl, h.proto, h.fwsnort, h.first);
    this.gf[r * SH / 2 + 1] = h.last;
    return r;
  }

  /**
   * addSource() for a first hit at `time`, from values rather than an object: the detector adds one for each source and
   * signature it sees, and the object it made for each (~90 bytes with the two times boxed) was most of what it
   * allocated per hit.
   */
  newSource(head: number, src: number, sid: number, msg: string, dl: number, proto: string, fwsnort: boolean, time: number): number {
    let r = this.#srcFree;
    if (r >= 0) {
      this.#srcFree = this.gi[r * SH + G_NEXT]!;
    } else {
      r = this.#srcUsed++;
      if ((r + 1) * SH > this.gi.length) {
        const b = new ArrayBuffer(this.gi.byteLength * 2);
        const gi = new Int32Array(b);
        gi.set(this.gi);
        this.gi = gi;
        this.gf = new Float64Array(b);
      }
    }
    const o = r * SH;
    const gi = this.gi;
    zeroRow(gi, o, SH);
    this.gf[o / 2] = time;
    this.gf[o / 2 + 1] = time;
    gi[o + G_SRC] = src;
    gi[o + G_SID] = sid;
    gi[o + G_DL] = dl;
    gi[o + G_FWSNORT] = fwsnort ? 1 : 0;
    gi[o + G_NEXT] = head - 1;
    gi[o + G_MSG] = this.names.id(msg);
    gi[o + G_PROTO] = this.names.id(proto);
    return r;
  }

  /** Counts a packet on source record r at `time`, noting destination port `dport` (≥ 0) among the first few. */
  hitSource(r: number, time: number, dport: number): void {
    const o = r * SH;
    const gi = this.gi;
    gi[o + G_COUNT]!++;
    if (time > this.gf[o / 2 + 1]!) this.gf[o / 2 + 1] = time;
    if (dport < 0) return;
    const n = gi[o + G_NDPORTS]!;
    if (n >= MAX_SIG_DPORTS) return;
    for (let k = 0; k < n; k++) if (gi[o + G_DPORTS + k] === dport) return;
    gi[o + G_DPORTS + n] = dport;
    gi[o + G_NDPORTS] = n + 1;
  }

  /** Sets a source record's count and ports (a stored hit). */
  setSource(r: number, count: number, dports: readonly number[]): void {
    const o = r * SH;
    this.gi[o + G_COUNT] = count;
    const n = Math.min(MAX_SIG_DPORTS, dports.length);
    for (let k = 0; k < n; k++) this.gi[o + G_DPORTS + k] = dports[k]!;
    this.gi[o + G_NDPORTS] = n;
  }

  /** The source records of the list starting at `head`, first added first. */
  sourceHits(head: number): SourceHitValues[] {
    const out: SourceHitValues[] = [];
    const gi = this.gi;
    for (let r = head - 1; r >= 0; r = gi[r * SH + G_NEXT]!) {
      const o = r * SH;
      const dports: number[] = [];
      for (let k = 0; k < gi[o + G_NDPORTS]!; k++) dports.push(gi[o + G_DPORTS + k]!);
      out.push({
        sid: gi[o + G_SID]!, msg: this.names.text[gi[o + G_MSG]!]!, dl: gi[o + G_DL]!, proto: this.names.text[gi[o + G_PROTO]!]!,
        count: gi[o + G_COUNT]!, dports, fwsnort: gi[o + G_FWSNORT] === 1, first: this.gf[o / 2]!, last: this.gf[o / 2 + 1]!,
      });
    }
    return out.reverse();
  }

  /** Packets over the list starting at `head`. */
  sourceCount(head: number): number {
    let n = 0;
    const gi = this.gi;
    for (let r = head - 1; r >= 0; r = gi[r * SH + G_NEXT]!) n += gi[r * SH + G_COUNT]!;
    return n;
  }

  /** Frees the records of the list starting at `head`. */
  freeSources(head: number): void {
    const gi = this.gi;
    for (let r = head - 1; r >= 0;) {
      const next = gi[r * SH + G_NEXT]!;
      gi[r * SH + G_SRC] = -1;
      gi[r * SH + G_NEXT] = this.#srcFree;
      this.#srcFree = r;
      r = next;
    }
  }
}
