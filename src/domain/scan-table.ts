// The hot scan state of many sources in typed-array slabs: one fixed-size record per source and per (source,
// destination) pair, port counters in a third slab, all found through hash indexes over typed arrays; strings only
// where a report needs them, as small ids. Detection's per-packet work touches a few adjacent cache lines instead of a
// dozen objects scattered over a large heap, and the collector has almost nothing to trace or copy.
//
// SourceState / PairState (scan-state.ts) stay the exchange format: the store, profiles and notices get them from
// scan-table-io.ts, and the store hands them back there.
import { FLAG_TEXTS } from './events.ts';
import { IdIndex, mix2 } from './id-index.ts';
import { LevelHistory } from './level-history.ts';
import { PortCounts } from './port-counts.ts';
import { SigHits } from './sig-hits.ts';
import { ipv4Key, ipv4Text } from './int-table.ts';
import { cleanMarks } from './scan-state.ts';
import type { DangerChange, DirtyMarks } from './scan-state.ts';
import { StringIds } from './string-ids.ts';
import { zeroRow } from './rows.ts';

// ---- source records: SW int32 per source. What a counted packet reads or writes comes first (the first 56 bytes,
// first and last seen as float64 at the start), what a new pair adds next, the rest after: rows are read at random.
export const SW = 26;
/** Float64 index of a source's first seen: id * SW / 2 + SF_FIRST. */
export const SF_FIRST = 0;
export const SF_LAST = 1;
export const S_PACKETS = 4;
/** SB_* bits. */
export const S_FLAGS = 5;
/** Interval id the per-interval fields belong to. */
export const S_INTERVAL = 6;
/** psad's %curr_sigs_dl and %curr_sids_dl. */
export const S_CURSIG = 7;
export const S_CURSID = 8;
/**
 * The pair of the source's last findPair / addPair + 1 (0 = none): a hint, valid only while that pair still joins this
 * source and that destination. Most packets go to the destination before (58 % of the benchmark log's lines).
 */
export const S_LASTPAIR = 9;
/**
 * The destination id of that pair: a hint for another destination is rejected here, in the row the packet has just
 * read, instead of in the hinted pair's row (a cache miss; 30 % of the benchmark log's lines).
 */
export const S_LASTDST = 10;
/** The first sensor (id + 1, 0 = none) and its packets; others in sensorsMore. */
export const S_SENSOR = 11;
export const S_SENSORN = 12;
/** First signature hit record + 1 (0 = none; see SigHits). */
export const S_SIGS = 13;
/** (int 14 unused: a source's pairs with a live window are counted in ScanTable.slive) */
/** First and last pair (insertion order), and how many. */
export const S_PHEAD = 15;
export const S_PTAIL = 16;
export const S_NPAIRS = 17;
/** First pair touched in the source's current interval (a list through P_INEXT), -1 = none. */
export const S_IHEAD = 18;
export const S_DL = 19;
/** Live destinations at the last level assignment (-1 = unknown): see assignDanger. */
export const S_MEMO = 20;
export const S_FAMILY = 21;
/** The address as a 32-bit number for IPv4 (its index key when SB_BYV4 is set). */
export const S_V4 = 22;
/** Which of TAG_NAMES the source has (its tag list keeps their order). */
export const S_TAGS = 23;
/** The round of TouchedSources the source was last put on (0 = none). */
export const S_TMARK = 24;
/** The source's level history: its LevelHistory list (newest change + 1, 0 = none). */
export const S_HIST = 25;

/** The tags detection gives, by bit (a stored state may carry others: they are kept in the list only). */
export const TAG_NAMES = ['signature', 'nmap', 'masscan', 'mirai', 'topera', 'port-sweep', 'protocol-scan'] as const;
export const TAG_SIGNATURE = 0;
export const TAG_NMAP = 1;
export const TAG_MASSCAN = 2;
export const TAG_MIRAI = 3;
export const TAG_TOPERA = 4;
export const TAG_PORT_SWEEP = 5;
export const TAG_PROTOCOL_SCAN = 6;

export const SB_ROW = 1;
/** Used since the cache last looked (second-chance eviction). */
export const SB_USED = 2;
/** The source record changed since its last save. */
export const SB_DIRTY = 4;
/** Sent a TCP packet with options (own mode's Masscan test). */
export const SB_TCPOPTS = 8;
/** Indexed by its IPv4 number (S_V4), not by its text. */
export const SB_BYV4 = 16;

// ---- pair records: PW int32 per pair. The fields a counted packet reads or writes come first, in the first 120 bytes
// (two or three cache lines, wherever the row starts; spread over the whole row they took three or four): the rows are
// read at random, so every line a packet touches is a miss. Floats (times, float64) sit at even ints. The rows are the
// largest table (~50 MB on the benchmark log), and in this virtual machine memory touched for the first time costs
// ~1-2 ms of system time a MB.
export const PW = 36;
/** Most lines ScanTable.prefetch() reads ahead for at once (what it reads must stay in cache until they are ingested). */
export const PREFETCH_MAX = 64;
/** Float64 index: id * PW / 2 + PF_*: the last packet's time (per packet), the window's start, the first packet. */
export const PF_LAST = 0;
export const P_SRC = 2;
export const P_DST = 3;
/** PB_* bits. */
export const P_BITS = 4;
export const P_ABSNUM = 5;
export const P_TOTP = 6;
export const P_PACKETS = 7;
/** Protocol sets as PROTO_* bits (names without a bit in the extra). */
export const P_SLOTS = 8;
export const P_WPROTOS = 9;
/** Port ranges, lo << 16 | hi, present when their PB_* bit is set: window tcp, udp, udplite, then ever. */
export const P_WTCP = 10;
export const P_WUDP = 11;
export const P_WLITE = 12;
export const P_TCP = 13;
export const P_UDP = 14;
export const P_LITE = 15;
/** Tallies: the first key (id + 1, 0 = none) and its count; other keys in the extra. */
export const P_CHAIN = 16;
export const P_CHAINN = 17;
export const P_FLAG = 18;
export const P_FLAGN = 19;
export const P_PREFIX = 20;
export const P_PREFIXN = 21;
export const P_INTERVAL = 22;
/** This interval's first flag string (id + 1) and protocols (psad's %curr_scan, compatibility mode). */
export const P_CURFLAG = 23;
export const P_CURPROTOS = 24;
/** First sensor (id + 1). */
export const P_HOST = 25;
/** Index + 1 of the pair's PairExtra (0 = none). */
export const P_EXTRA = 26;
/** First signature hit record + 1 (0 = none; see SigHits). */
export const P_SIGS = 27;
/**
 * Position among the source's pairs (insertion order): beside P_INEXT, as a source's interval list is walked through
 * P_INEXT and put in order by this (a pair's expiry bucket is in ScanTable.pexp).
 */
export const P_SEQ = 28;
/** Next pair touched in the same interval. */
export const P_INEXT = 29;
export const PF_START = 15;
export const PF_FIRST = 16;
/**
 * What own mode's labelling last saw of the pair (labels.ts labelStamp; 0 = nothing yet or too much to stamp): a pair
 * seen the same way again gets no label or tag it has not got. Not persisted (a reloaded pair is labelled afresh).
 */
export const P_LSTAMP = 34;
/** First scan-type label (id + 1). (A pair's next pair of the same source is in ScanTable.pnext.) */
export const P_LABEL = 35;

export const PB_LIVE = 1;
export const PB_CUR = 2;
export const PB_SWEEP = 4;
/** Sticky MARK_* bits << 3, this interval's MARK_* bits << 6. */
export const PB_MARKS_SHIFT = 3;
export const PB_CURMARKS_SHIFT = 6;
export const PB_WTCP = 1 << 9;
export const PB_WUDP = 1 << 10;
export const PB_WLITE = 1 << 11;
export const PB_TCP = 1 << 12;
export const PB_UDP = 1 << 13;
export const PB_LITE = 1 << 14;

/** Protocol slot bits; any other protocol name goes to the pair's extra. */
export const PROTO_TCP = 1;
export const PROTO_UDP = 2;
export const PROTO_UDPLITE = 4;
export const PROTO_ICMP = 8;
export const PROTO_ICMP6 = 16;
export const PROTO_IP = 32;
const PROTO_NAMES = ['tcp', 'udp', 'udplite', 'icmp', 'icmp6', 'ip'] as const;

/** The bit of a protocol name, 0 for names without one (numbers). */
export function protoBit(name: string): number {
  switch (name) {
    case 'tcp': return PROTO_TCP;
    case 'udp': return PROTO_UDP;
    case 'udplite': return PROTO_UDPLITE;
    case 'icmp': return PROTO_ICMP;
    case 'icmp6': return PROTO_ICMP6;
    case 'ip': return PROTO_IP;
    default: return 0;
  }
}

/** The names of a bit set, in bit order, then `more`. */
export function protoNames(mask: number, more: readonly string[] | null): string[] {
  const out: string[] = [];
  for (let b = 0; b < PROTO_NAMES.length; b++) if (mask & (1 << b)) out.push(PROTO_NAMES[b]!);
  if (more) out.push(...more);
  return out;
}

/** A pair's rarely needed data (most pairs never have one). */
export class PairExtra {
  /** Tally keys after the first, with their counts. */
  chainMore: Record<string, number> | null = null;
  flagMore: Record<string, number> | null = null;
  prefixMore: Record<string, number> | null = null;
  /** Invalid ICMP packets keyed "proto\ttype\tcode\tchain". */
  icmpInvalid: Record<string, number> | null = null;
  /** Labels, sensors and this interval's flag ids after the first. */
  labels: string[] | null = null;
  hosts: string[] | null = null;
  curFlags: number[] | null = null;
  /** Protocol names without a bit, per set. */
  slots: string[] | null = null;
  wprotos: string[] | null = null;
  curProtos: string[] | null = null;
}

const NO_TAGS: string[] = [];

/**
 * Puts pair ids buf[0, n) in the order of their rows' P_SEQ. A function of its own, not a comparator written inside
 * intervalPairs(): a closure there made V8 allocate the caller's variables in a context object on every call, used or
 * not (37 MB on the benchmark log, a million calls in own mode).
 */
function sortBySeq(pi: Int32Array, buf: Int32Array, n: number): void {
  const sorted = Array.from(buf.subarray(0, n)).sort((a, b) => pi[a * PW + P_SEQ]! - pi[b * PW + P_SEQ]!);
  buf.set(sorted);
}

/** Slab storage and indexes for the scan state of many sources. */
export class ScanTable {
  /** Source records (int32 view) and their times (float64 view of the same memory). */
  si: Int32Array;
  sf: Float64Array;
  /** Pair records and their times. */
  pi: Int32Array;
  pf: Float64Array;
  /**
   * The next pair of the same source by pair id (-1 = last): a source's pairs in insertion order, from S_PHEAD. Not in
   * the rows: a new pair joins the end of its source's list, and writing the link into the last pair's row was a cache
   * miss into a random, often old row (~65 % of newPair's time on the benchmark log); this array is 4 bytes a pair.
   */
  pnext: Int32Array;
  /**
   * The expiry bucket a pair was last scheduled in by pair id (-1 = none; not persisted): read for every packet of a
   * timed detector and for every entry an expiry run visits, where in the row it cost a cache line of its own.
   */
  pexp: Int32Array;
  /**
   * Pairs with a live window by source id. Not in the rows: every window an expiry run ends takes one off its source,
   * a cache miss into a random source row where this array is 4 bytes a source.
   */
  slive: Int32Array;
  /** Packets per (source, protoCode * 65536 + port). */
  readonly ports: PortCounts;
  /** Signature hits per pair and per source. */
  readonly hits = new SigHits();
  /** Id of the flag string "NA" (a hit's flags before a TCP packet). */
  readonly flagNa: number;

  /** Level histories (each source's list in S_HIST). */
  readonly levels: LevelHistory;
  /** Per source: address text, tags, Mirai counters, sensors after the first. */
  readonly ip: string[] = [];
  readonly tags: string[][] = [];
  /** psad's %mirai_scan: SYNs to tcp/23 by destination, per source (a Map: a plain object keyed by address would make
   * the detector's lookup polymorphic in the key's name and throw its optimized code away). */
  readonly mirai: (Map<string, number> | null)[] = [];
  readonly sensorsMore: (Record<string, number> | null)[] = [];
  /** Change marks of sources whose changes are tracked for a store (see markPair …). */
  readonly marks: (DirtyMarks | null)[] = [];
  /** Pair extras by P_EXTRA - 1. */
  readonly extras: (PairExtra | null)[] = [];

  /** Destination addresses, chain keys ("chain\tinterface\tprotocol"), log prefixes, sensors, labels, flag strings. */
  readonly dsts = new StringIds();
  readonly chains = new StringIds();
  readonly prefixes = new StringIds();
  readonly hosts = new StringIds();
  readonly labels = new StringIds();
  /** Flag strings; the id of a kernel flag mask's text is the mask. */
  readonly flags = new StringIds();

  #sources = 0;
  #sourceRows = 0;
  #pairRows = 0;
  readonly #freeSources: number[] = [];
  readonly #freePairs: number[] = [];
  readonly #freeExtras: number[] = [];
  readonly #byV4: IdIndex;
  readonly #byText = new Map<string, number>();
  readonly #dstV4 = new IdIndex();
  // pair index: [tag, pair] per slot; port index: [tag, entry] per slot
  #pbits: number;
  #pslots: Int32Array;
  #pcount = 0;
  // prefetch()'s source, destination and pair ids
  #aheadS = new Int32Array(PREFETCH_MAX);
  #aheadD = new Int32Array(PREFETCH_MAX);
  #aheadP = new Int32Array(PREFETCH_MAX);

  /**
   * `bits`: room for 2^bits pairs, 1.4 × 2^bits port counters and 2^bits / 4 sources before the slabs first grow. Room
   * is not free: a new array is cleared by the allocator, which touches all of it (~1-2 ms of system time a MiB in this
   * virtual machine), so the slabs hold about what a log of the size needs (the benchmark log: 343,000 pairs, 643,000
   * port counters, 48,000 sources and 31,000-46,000 level changes in 2^19 pairs' room) and grow for more. Not fewer
   * sources: a 300,000-line prefix of the benchmark log (41,000 sources) took 1.8 % more instructions when the
   * sources' slab grew once (callgrind; the same deoptimizations either way, the cause not pinned down).
   */
  constructor(bits = 12) {
    const n = 1 << bits;
    const s = new ArrayBuffer(SW * 4 * Math.max(4, n >> 2));
    this.si = new Int32Array(s);
    this.sf = new Float64Array(s);
    this.slive = new Int32Array(this.si.length / SW);
    const p = new ArrayBuffer(PW * 4 * n);
    this.pi = new Int32Array(p);
    this.pf = new Float64Array(p);
    this.pnext = new Int32Array(n);
    this.pexp = new Int32Array(n);
    // about two port counters per pair (0.64 a line against 0.34 on the benchmark log): the index starts twice as
    // large, so a log the table was sized for does not rehash it
    this.ports = new PortCounts(bits + 1, bits);
    // room for 2^(bits-3) IPv4 sources (65,536 on the benchmark log's 2^19 pairs, which has 50,000) before the index
    // grows: each growth rehashes every key, and the last ones ran long enough for V8 to compile the loop, twice
    this.#byV4 = new IdIndex(Math.max(4, bits - 2));
    // a change for each source the rows have room for (the benchmark log: 31,000-46,000 changes of 48,000 sources)
    this.levels = new LevelHistory(n >> 2);
    this.#pbits = bits + 1;
    this.#pslots = new Int32Array(2 << this.#pbits).fill(-1);
    for (let m = 0; m < 256; m++) this.flags.id(FLAG_TEXTS[m]!);
    this.flagNa = this.flags.id('NA');
  }

  /** Sources held. */
  get sourceCount(): number {
    return this.#sources;
  }

  /** Pairs held. */
  get pairCount(): number {
    return this.#pcount;
  }

  /** Pair records allocated (ids below this; a free one has P_SRC -1). */
  get pairRows(): number {
    return this.#pairRows;
  }

  // ---------------------------------------------------------------- sources

  /**
   * The source with address `ip`, or -1. An IPv4 address may come as its number instead: `ip` '' and `v4` its 32 bits
   * as a signed number (`n | 0`; ignored when `ip` is given). Signed, because an address of 2^31 or more as an unsigned
   * number is a heap number when handed to a call that is not inlined: an allocation per packet.
   */
  findSource(ip: string, v4: number): number {
    if (ip === '') return this.#byV4.get(v4);
    const k = ipv4Key(ip);
    if (k >= 0) return this.#byV4.get(k);
    return this.#byText.get(ip) ?? -1;
  }

  /**
   * Reads what finding the sources src[0..n) and their pairs with dst[0..n) (IPv4, signed numbers) will read: the
   * index slots, the source rows, the pair slots and rows. Changes nothing; returns a number made of what it read, which
   * the caller keeps (a load whose value is never used may be dropped by the compiler). At most PREFETCH_MAX lines.
   *
   * Why: these are random reads over tens of MiB (the benchmark log's 343,000 pairs take 49 MiB, its sources 5 MiB),
   * nearly every one a cache miss, and ingest makes them one after another, each waiting for the one before. Here each
   * step is a short loop over many lines whose reads do not depend on each other, so the processor has many misses in
   * flight at once; ingest then finds the lines in cache. JavaScript has no prefetch instruction: a plain read is one.
   */
  prefetch(src: Int32Array, dst: Int32Array, count: number): number {
    const n = Math.min(count, PREFETCH_MAX);
    const sids = this.#aheadS;
    const dids = this.#aheadD;
    const pids = this.#aheadP;
    const byV4 = this.#byV4;
    for (let k = 0; k < n; k++) sids[k] = byV4.get(src[k]!);
    const si = this.si;
    const live = this.slive;
    const dsts = this.#dstV4;
    const bits = this.#pbits;
    const mask = (1 << bits) - 1;
    const slots = this.#pslots;
    let acc = 0;
    // the source rows and the pairs' first hash slots in one loop (the slot needs only the two ids): a source row is
    // 104 bytes, its first, 17th and last ints are in every cache line it spans
    for (let k = 0; k < n; k++) {
      const id = sids[k]!;
      const d = id >= 0 ? dsts.get(dst[k]!) : -1;
      dids[k] = d;
      if (d < 0) {
        pids[k] = -1;
        continue;
      }
      const so = id * SW;
      acc ^= si[so]! ^ si[so + 16]! ^ si[so + SW - 1]! ^ live[id]!;
      pids[k] = slots[2 * ((mix2(id, d) >>> (32 - bits)) & mask) + 1]!;
    }
    // the pair findPair() looks at first: the source's last one, else the one in the first slot of its hash
    for (let k = 0; k < n; k++) {
      const d = dids[k]!;
      if (d < 0) continue;
      const so = sids[k]! * SW;
      const hint = si[so + S_LASTPAIR]! - 1;
      if (hint >= 0 && si[so + S_LASTDST] === d) pids[k] = hint;
    }
    const pi = this.pi;
    const pexp = this.pexp;
    // a pair row is 144 bytes: ints 0, 16, 32 and 35 are in every cache line it spans
    for (let k = 0; k < n; k++) {
      const p = pids[k]!;
      if (p >= 0) acc ^= pi[p * PW]! ^ pi[p * PW + 16]! ^ pi[p * PW + 32]! ^ pi[p * PW + PW - 1]! ^ pexp[p]!;
    }
    return acc;
  }

  /** A new source (`v4`: the address as a number when IPv4, else -1). */
  addSource(ip: string, family: 4 | 6, time: number, v4: number): number {
    const id = this.newSource(ip, family, v4);
    this.sf[(id * SW) / 2 + SF_FIRST] = time;
    this.sf[(id * SW) / 2 + SF_LAST] = time;
    return id;
  }

  /**
   * addSource() without the times (SF_FIRST and SF_LAST), which the caller writes into the row itself: a time passed to
   * a call V8 does not inline is boxed in a fresh heap number, and the detector's packet time, shared by every such call
   * it makes, was boxed for every packet (12 MB of heap numbers on the benchmark log). V8 inlined neither addSource()
   * nor a two-line setter in the detector: it adds a source for one packet in twenty.
   */
  newSource(ip: string, family: 4 | 6, v4: number): number {
    const key = v4 >= 0 ? v4 : ipv4Key(ip);
    let id = this.#freeSources.pop();
    if (id === undefined) {
      id = this.#sourceRows++;
      if ((id + 1) * SW > this.si.length) this.#growSources();
    }
    const si = this.si;
    const o = id * SW;
    zeroRow(si, o, SW);
    this.slive[id] = 0;
    si[o + S_FLAGS] = key >= 0 ? SB_ROW | SB_BYV4 : SB_ROW;
    si[o + S_INTERVAL] = -1;
    si[o + S_PHEAD] = -1;
    si[o + S_PTAIL] = -1;
    si[o + S_MEMO] = -1;
    si[o + S_IHEAD] = -1;
    si[o + S_FAMILY] = family;
    si[o + S_V4] = key;
    this.ip[id] = ip;
    this.tags[id] = NO_TAGS;
    this.mirai[id] = null;
    this.sensorsMore[id] = null;
    this.marks[id] = null;
    if (key >= 0) this.#byV4.set(key, id);
    else this.#byText.set(ip, id);
    this.#sources++;
    return id;
  }

  /** Drops a source with its pairs and ports (its id may be handed out again). */
  removeSource(id: number): void {
    const si = this.si;
    const o = id * SW;
    if ((si[o + S_FLAGS]! & SB_ROW) === 0) return;
    for (let p = si[o + S_PHEAD]!; p >= 0;) {
      const next = this.pnext[p]!;
      this.#freePair(p);
      p = next;
    }
    this.ports.removeSource(id);
    this.hits.freeSources(si[o + S_SIGS]!);
    if ((si[o + S_FLAGS]! & SB_BYV4) !== 0) this.#byV4.delete(si[o + S_V4]!);
    else this.#byText.delete(this.ip[id]!);
    si[o + S_FLAGS] = 0;
    this.levels.free(si[o + S_HIST]!);
    si[o + S_HIST] = 0;
    this.ip[id] = '';
    this.tags[id] = NO_TAGS;
    this.mirai[id] = null;
    this.sensorsMore[id] = null;
    this.marks[id] = null;
    this.#freeSources.push(id);
    this.#sources--;
  }

  /** Whether `id` is a source held now. */
  has(id: number): boolean {
    return id >= 0 && id < this.#sourceRows && (this.si[id * SW + S_FLAGS]! & SB_ROW) !== 0;
  }

  /** Every source held, by id. */
  *sourceIds(): Generator<number> {
    for (let id = 0; id < this.#sourceRows; id++) if ((this.si[id * SW + S_FLAGS]! & SB_ROW) !== 0) yield id;
  }

  /** Adds a danger-level change to the history (the caller has set S_DL). */
  pushLevel(id: number, time: number, level: number, reason: string): void {
    const o = id * SW + S_HIST;
    this.si[o] = this.levels.push(this.si[o]!, time, level, reason);
  }

  /** The source's level history, oldest first (a new array). */
  historyOf(id: number): DangerChange[] {
    return this.levels.list(this.si[id * SW + S_HIST]!);
  }

  /** The number of changes in the source's level history. */
  historyLength(id: number): number {
    return this.levels.length(this.si[id * SW + S_HIST]!);
  }

  /** Replaces the source's level history (a stored state's). */
  setHistory(id: number, changes: readonly DangerChange[]): void {
    const o = id * SW + S_HIST;
    this.levels.free(this.si[o]!);
    this.si[o] = this.levels.from(changes);
  }

  /** Adds tag TAG_NAMES[bit] once (tags keep their order); whether it was new. */
  tag(id: number, bit: number): boolean {
    const o = id * SW + S_TAGS;
    const m = 1 << bit;
    if ((this.si[o]! & m) !== 0) return false;
    this.si[o]! |= m;
    const name = TAG_NAMES[bit]!;
    const tags = this.tags[id]!;
    if (tags.includes(name)) return false;
    // concat makes a list of the exact length; spreading into a literal left room for 17 (152 bytes a source)
    this.tags[id] = tags.concat(name);
    return true;
  }

  /** Sets the tag list (a stored state's). */
  setTags(id: number, tags: readonly string[]): void {
    this.tags[id] = [...tags];
    let m = 0;
    for (const t of tags) {
      const b = (TAG_NAMES as readonly string[]).indexOf(t);
      if (b >= 0) m |= 1 << b;
    }
    this.si[id * SW + S_TAGS] = m;
  }

  /** The source's change marks for a store written incrementally (created on first use). */
  marksOf(id: number): DirtyMarks {
    return (this.marks[id] ??= cleanMarks());
  }

  /** Counts a packet logged by sensor `host` (id in `hosts`). */
  sensor(id: number, host: number, text: string): void {
    const si = this.si;
    const o = id * SW;
    const first = si[o + S_SENSOR]!;
    if (first === host + 1) si[o + S_SENSORN]!++;
    else if (first === 0) { si[o + S_SENSOR] = host + 1; si[o + S_SENSORN] = 1; }
    else {
      const more = this.sensorsMore[id] ??= {};
      more[text] = (more[text] ?? 0) + 1;
    }
  }

  #growSources(): void {
    const buf = new ArrayBuffer(this.si.byteLength * 2);
    const si = new Int32Array(buf);
    si.set(this.si);
    this.si = si;
    this.sf = new Float64Array(buf);
    const live = new Int32Array(si.length / SW);
    live.set(this.slive);
    this.slive = live;
  }

  // ---------------------------------------------------------------- destinations

  /** The id of destination `text`, added when new; an IPv4 one may come as `text` '' and its signed number (see findSource). */
  dstId(text: string, v4: number): number {
    if (text === '') {
      const id = this.#dstV4.get(v4);
      if (id >= 0) return id;
      const nid = this.dsts.id(ipv4Text(v4 >>> 0));
      this.#dstV4.set(v4, nid);
      return nid;
    }
    return this.dsts.id(text);
  }

  // ---------------------------------------------------------------- pairs

  /** The pair of source `s` and destination id `d`, or -1. */
  findPair(s: number, d: number): number {
    const pi = this.pi;
    const si = this.si;
    const hint = si[s * SW + S_LASTPAIR]! - 1;
    if (hint >= 0 && si[s * SW + S_LASTDST] === d && pi[hint * PW + P_SRC] === s && pi[hint * PW + P_DST] === d) return hint;
    const tag = mix2(s, d);
    const bits = this.#pbits;
    const mask = (1 << bits) - 1;
    const slots = this.#pslots;
    // The step to the next slot comes first, from the slot before the home one, and the tag is compared before the
    // slot is known to be taken: every operation of a probe then runs on the first one. An operation that has never
    // run has no type feedback, and V8's optimized code deoptimizes when it first reaches one (the first collision,
    // after the code was optimized), to be compiled again.
    for (let i = ((tag >>> (32 - bits)) - 1) & mask; ;) {
      i = (i + 1) & mask;
      const p = slots[2 * i + 1]!;
      if (slots[2 * i] === tag && p >= 0 && pi[p * PW + P_SRC] === s && pi[p * PW + P_DST] === d) {
        si[s * SW + S_LASTPAIR] = p + 1;
        si[s * SW + S_LASTDST] = d;
        return p;
      }
      if (p < 0) return -1;
    }
  }


  /** A new pair of source `s` and destination id `d` (not yet live), last in the source's list. */
  addPair(s: number, d: number, time: number): number {
    const p = this.newPair(s, d);
    this.pairTimes(p, time);
    return p;
  }

  /** Sets a new pair's first, window-start and last times (small enough for V8 to inline). */
  pairTimes(p: number, time: number): void {
    const o = (p * PW) / 2;
    this.pf[o + PF_START] = time;
    this.pf[o + PF_LAST] = time;
    this.pf[o + PF_FIRST] = time;
  }

  /**
   * addPair() without the times, which the caller sets with pairTimes(). A number that is not a small integer (a time
   * in ms is not) is passed to a function V8 does not inline in a fresh heap object: the detector adds a pair for a
   * third of the packets, and those boxes were a fifth of what it allocated while reading.
   */
  newPair(s: number, d: number): number {
    let p = this.#freePairs.pop();
    if (p === undefined) {
      // a row never used is still zero (a new slab is, and growing copies only the rows in use): only a reused one is
      // cleared
      p = this.#pairRows++;
      if ((p + 1) * PW > this.pi.length) this.#growPairs();
    } else {
      zeroRow(this.pi, p * PW, PW);
    }
    const pi = this.pi;
    const o = p * PW;
    pi[o + P_SRC] = s;
    pi[o + P_DST] = d;
    this.pnext[p] = -1;
    pi[o + P_INTERVAL] = -1;
    this.pexp[p] = -1;
    pi[o + P_INEXT] = -1;
    const si = this.si;
    const so = s * SW;
    pi[o + P_SEQ] = si[so + S_NPAIRS]!++;
    const tail = si[so + S_PTAIL]!;
    if (tail < 0) si[so + S_PHEAD] = p;
    else this.pnext[tail] = p;
    si[so + S_PTAIL] = p;
    si[so + S_LASTPAIR] = p + 1;
    si[so + S_LASTDST] = d;
    this.#indexPair(p, mix2(s, d));
    return p;
  }

  /** The pair's extra, created when it has none. */
  extra(p: number): PairExtra {
    const k = this.pi[p * PW + P_EXTRA]!;
    if (k > 0) return this.extras[k - 1]!;
    const e = new PairExtra();
    let i = this.#freeExtras.pop();
    if (i === undefined) {
      i = this.extras.length;
      this.extras.push(e);
    } else {
      this.extras[i] = e;
    }
    this.pi[p * PW + P_EXTRA] = i + 1;
    return e;
  }

  /** The pair's extra, or null. */
  extraOf(p: number): PairExtra | null {
    const k = this.pi[p * PW + P_EXTRA]!;
    return k > 0 ? this.extras[k - 1]! : null;
  }

  /** Ends the pair's window (psad's delete_old_scans): the danger-level counters restart with its next packet. */
  expire(p: number): void {
    const pi = this.pi;
    const o = p * PW;
    const b = pi[o + P_BITS]!;
    if ((b & PB_LIVE) === 0) return;
    pi[o + P_BITS] = b & ~(PB_LIVE | PB_WTCP | PB_WUDP | PB_WLITE);
    pi[o + P_ABSNUM] = 0;
    pi[o + P_TOTP] = 0;
    pi[o + P_SLOTS] = 0;
    pi[o + P_WPROTOS] = 0;
    const x = this.extraOf(p);
    if (x) {
      x.slots = null;
      x.wprotos = null;
    }
    this.slive[pi[o + P_SRC]!]!--;
  }

  /** Ends every live window whose start (`by` 'start') or last packet is at or before `cutoff`; returns how many. */
  expireAll(cutoff: number, by: 'start' | 'last'): number {
    const pi = this.pi;
    const pf = this.pf;
    const k = by === 'start' ? PF_START : PF_LAST;
    let n = 0;
    for (let p = 0; p < this.#pairRows; p++) {
      const o = p * PW;
      if (pi[o + P_SRC]! >= 0 && (pi[o + P_BITS]! & PB_LIVE) !== 0 && pf[o / 2 + k]! <= cutoff) {
        this.expire(p);
        n++;
      }
    }
    return n;
  }

  /** Puts the pair on its source's list of pairs touched in interval `interval` (P_INTERVAL is set by the caller). */
  intervalPush(s: number, p: number): void {
    const si = this.si;
    this.pi[p * PW + P_INEXT] = si[s * SW + S_IHEAD]!;
    si[s * SW + S_IHEAD] = p;
  }

  /** The pairs intervalPairs() found (valid until its next call). */
  ibuf = new Int32Array(64);

  /** Every pair row by source (start offsets, then the rows in row order) while indexPairsBySource() holds. */
  #bySrcStart: Int32Array | null = null;
  #bySrcPairs = new Int32Array(0);

  /**
   * Indexes every pair row by its source in one pass over the rows in memory order, for a caller about to list the
   * interval pairs of nearly every source (psad -A's single close): intervalPairs() then takes each source's rows from
   * the index, loads the CPU can overlap, instead of following its list from row to row, a cache miss after a cache
   * miss (~50 ms at the end of the benchmark log). Valid until dropPairIndex(); no pair may be added or freed meanwhile.
   */
  indexPairsBySource(): void {
    const n = this.#sourceRows;
    const rows = this.#pairRows;
    const pi = this.pi;
    const start = new Int32Array(n + 2);
    const srcOf = new Int32Array(rows);
    for (let p = 0; p < rows; p++) {
      const src = pi[p * PW + P_SRC]!;
      srcOf[p] = src;
      if (src >= 0 && src < n) start[src + 2]!++;
    }
    for (let i = 2; i < start.length; i++) start[i]! += start[i - 1]!;
    // start[s + 1] is where source s's rows go while they are placed, start[s] where they begin once all are
    const pairs = new Int32Array(start[n + 1]!);
    for (let p = 0; p < rows; p++) {
      const src = srcOf[p]!;
      if (src >= 0 && src < n) pairs[start[src + 1]!++] = p;
    }
    this.#bySrcStart = start;
    this.#bySrcPairs = pairs;
  }

  /** Ends what indexPairsBySource() began. */
  dropPairIndex(): void {
    this.#bySrcStart = null;
    this.#bySrcPairs = new Int32Array(0);
  }

  /**
   * Puts the source's pairs touched in its current interval into `ibuf`, in insertion order (what a walk over all its
   * pairs filtered by P_INTERVAL gives); returns how many.
   */
  intervalPairs(s: number): number {
    const pi = this.pi;
    let buf = this.ibuf;
    let n = 0;
    const start = this.#bySrcStart;
    // the rows of the index ascend (new rows are made in insertion order, so usually they stand in it); the list runs
    // last touched first (pairs are usually touched first in the order they were made: then reversed it stands in it)
    const ascending = start !== null && s + 1 < start.length;
    if (ascending) {
      const interval = this.si[s * SW + S_INTERVAL]!;
      const rows = this.#bySrcPairs;
      const end = start[s + 1]!;
      if (end - start[s]! > buf.length) this.ibuf = buf = new Int32Array(2 * (end - start[s]!));
      for (let i = start[s]!; i < end; i++) {
        const p = rows[i]!;
        if (pi[p * PW + P_INTERVAL] === interval) buf[n++] = p;
      }
    } else {
      for (let p = this.si[s * SW + S_IHEAD]!; p >= 0; p = pi[p * PW + P_INEXT]!) {
        if (n === buf.length) {
          const grown = new Int32Array(n * 2);
          grown.set(buf);
          this.ibuf = buf = grown;
        }
        buf[n++] = p;
      }
    }
    let ordered = true;
    if (ascending) {
      for (let i = 1; i < n && ordered; i++) ordered = pi[buf[i - 1]! * PW + P_SEQ]! < pi[buf[i]! * PW + P_SEQ]!;
    } else {
      for (let i = 1; i < n && ordered; i++) ordered = pi[buf[i - 1]! * PW + P_SEQ]! > pi[buf[i]! * PW + P_SEQ]!;
      if (ordered) {
        for (let i = 0, j = n - 1; i < j; i++, j--) {
          const x = buf[i]!;
          buf[i] = buf[j]!;
          buf[j] = x;
        }
      }
    }
    if (ordered) return n;
    if (n <= 32) {
      for (let i = 1; i < n; i++) {
        const p = buf[i]!;
        const seq = pi[p * PW + P_SEQ]!;
        let j = i - 1;
        while (j >= 0 && pi[buf[j]! * PW + P_SEQ]! > seq) {
          buf[j + 1] = buf[j]!;
          j--;
        }
        buf[j + 1] = p;
      }
    } else {
      sortBySeq(pi, buf, n);
    }
    return n;
  }

  #indexPair(p: number, tag: number): void {
    const bits = this.#pbits;
    const mask = (1 << bits) - 1;
    const slots = this.#pslots;
    // from the slot before the home one, so the step runs on the first probe (see findPair)
    let i = ((tag >>> (32 - bits)) - 1) & mask;
    do i = (i + 1) & mask; while (slots[2 * i + 1]! >= 0);
    slots[2 * i] = tag;
    slots[2 * i + 1] = p;
    if (++this.#pcount * 2 > mask + 1) {
      const old = this.#pslots;
      this.#pbits++;
      this.#pslots = new Int32Array(2 << this.#pbits).fill(-1);
      this.#pcount = 0;
      for (let k = 0; k < old.length; k += 2) if (old[k + 1]! >= 0) this.#indexPair(old[k + 1]!, old[k]!);
    }
  }

  #freePair(p: number): void {
    const pi = this.pi;
    const o = p * PW;
    const tag = mix2(pi[o + P_SRC]!, pi[o + P_DST]!);
    const bits = this.#pbits;
    const mask = (1 << bits) - 1;
    const slots = this.#pslots;
    let i = tag >>> (32 - bits);
    while (slots[2 * i + 1] !== p) i = (i + 1) & mask;
    let hole = i;
    for (let j = (i + 1) & mask; slots[2 * j + 1]! >= 0; j = (j + 1) & mask) {
      const home = slots[2 * j]! >>> (32 - bits);
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        slots[2 * hole] = slots[2 * j]!;
        slots[2 * hole + 1] = slots[2 * j + 1]!;
        hole = j;
      }
    }
    slots[2 * hole + 1] = -1;
    this.#pcount--;
    this.hits.freePairs(pi[o + P_SIGS]!);
    const k = pi[o + P_EXTRA]!;
    if (k > 0) {
      this.extras[k - 1] = null;
      this.#freeExtras.push(k - 1);
    }
    pi[o + P_SRC] = -1;
    this.#freePairs.push(p);
  }

  #growPairs(): void {
    const buf = new ArrayBuffer(this.pi.byteLength * 2);
    const pi = new Int32Array(buf);
    pi.set(this.pi);
    this.pi = pi;
    this.pf = new Float64Array(buf);
    const next = new Int32Array(pi.length / PW);
    next.set(this.pnext);
    this.pnext = next;
    const exp = new Int32Array(pi.length / PW);
    exp.set(this.pexp);
    this.pexp = exp;
  }
}
