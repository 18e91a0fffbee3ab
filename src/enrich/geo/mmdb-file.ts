// One MaxMind DB file: validated, its search tree read as lookups reach it (large files), swapped atomically when replaced, never crashing on a bad one.
import { close, closeSync, fstatSync, openSync, read, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Reader } from 'maxmind';
import type { Response } from 'maxmind';
import { parseIpv4Bytes, parseIpv6Bytes } from '../../domain/address.ts';

/** What a database answers for, read from its metadata (database_type) and, failing that, from its records. */
export type DbRole = 'city' | 'country' | 'asn' | 'anonymous' | 'unknown';

/** A loaded, validated database generation. */
export interface DbGeneration {
  /** The reader over the in-memory copy of the file. */
  readonly reader: Reader<Response>;
  /** Looks up an address given as bytes (4 or 16): the record and the prefix length, as reader.getWithPrefixLength. */
  readonly find: (bytes: Uint8Array) => [Response | null, number];
  /** database_type from the metadata ("GeoLite2-City", "city ipv4", …). */
  readonly type: string;
  /** Role the provider uses it for. */
  readonly role: DbRole;
  /** 4 for IPv4-only trees, 6 for IPv6 trees. */
  readonly ipVersion: 4 | 6;
  /** Whether IPv4 addresses have data (an IPv6 tree may hold none, e.g. an "ipv6-only" split file). */
  readonly hasV4: boolean;
  /** Build time from the metadata (ISO). */
  readonly build: string;
  /** Identity of the file contents (size, mtime, inode, build) — changes when the file is replaced. */
  readonly key: string;
  /** Releases the file a lazily read search tree is read from (a generation that was replaced). */
  readonly close: () => void;
  /** Bytes of the file in memory and the file's size (less while parts of a large search tree were never reached). */
  readonly resident: () => { bytes: number; of: number };
}

/** Result of a lookup in one file. */
export type DbLookup =
  | { kind: 'found'; record: Record<string, unknown>; prefix: number }
  | { kind: 'absent' }
  | { kind: 'refused'; reason: string }
  | { kind: 'error'; reason: string };

function roleOf(type: string): DbRole {
  const t = type.toLowerCase();
  if (t.includes('anonymous')) return 'anonymous';
  if (t.includes('asn') || t.includes('isp')) return 'asn';
  if (t.includes('city')) return 'city';
  if (t.includes('country')) return 'country';
  return 'unknown';
}

/** Role from a sample record, for files whose database_type says nothing useful. */
function roleOfRecord(rec: Record<string, unknown> | null): DbRole {
  if (!rec) return 'unknown';
  if ('autonomous_system_number' in rec) return 'asn';
  if ('is_anonymous' in rec || 'is_tor_exit_node' in rec || 'is_anonymous_vpn' in rec) return 'anonymous';
  if ('city' in rec) return 'city';
  if ('country' in rec || 'country_code' in rec) return 'country';
  return 'unknown';
}

/**
 * Decoded records by data offset (what maxmind.open's LRU does): many networks share one record (a city, an AS), so
 * most lookups skip decoding. Bounded: when full it starts over, which costs a few re-decodes and no bookkeeping.
 */
class RecordCache {
  readonly #max: number;
  #m = new Map<string | number, unknown>();
  constructor(max: number) {
    this.#max = max;
  }
  get(k: string | number): unknown {
    return this.#m.get(k);
  }
  set(k: string | number, v: unknown): void {
    if (this.#m.size >= this.#max) this.#m = new Map();
    this.#m.set(k, v);
  }
}

/** mmdb-lib's record decoding, which its Reader keeps private (checked at load; a missing one means the text lookup). */
interface ReaderInternals {
  resolveDataPointer?: (pointer: number) => unknown;
}

/** Bytes of one lazily read block of a search tree. */
const BLOCK_BITS = 16;
/** Trees smaller than this are read whole with the rest of the file. */
const LAZY_TREE_MIN = 4 << 20;

/**
 * A database image whose search tree is read from the file block by block, as lookups first reach each 64 KiB block;
 * the data section and the metadata are read whole at load. The trees are most of a file (DB-IP city IPv4: 44 of 63 MB,
 * IPv6: 59 of 71 MB), and a report on a few thousand sources, `geo ADDR` or a serve that sees few new sources touches a
 * small part of them: what libmaxminddb gets from mmap. The file stays open while its generation is in use; before a
 * block is read the file is checked to be the one loaded (size, mtime, inode), so a file rewritten in place is never
 * mixed into a tree: the lookup fails instead, and the next reload reads the new file.
 */
class TreeBlocks {
  readonly #buf: Buffer;
  readonly #loaded: Uint8Array;
  readonly #stat: string;
  #fd: number;

  /** `buf` holds the file from block `fromBlock` on; `fd` is open on the file whose identity is `stat`. */
  constructor(buf: Buffer, fd: number, stat: string, fromBlock: number) {
    this.#buf = buf;
    this.#fd = fd;
    this.#stat = stat;
    this.#loaded = new Uint8Array(Math.ceil(buf.length / (1 << BLOCK_BITS)));
    this.#loaded.fill(1, fromBlock);
  }

  /** Makes bytes [o, o + n) of the image present. */
  ensure(o: number, n: number): void {
    const last = (o + n - 1) >>> BLOCK_BITS;
    for (let b = o >>> BLOCK_BITS; b <= last; b++) if (this.#loaded[b] === 0) this.#read(b);
  }

  #read(b: number): void {
    if (this.#fd < 0) throw new Error('database generation closed');
    if (statKey(fstatSync(this.#fd)) !== this.#stat) throw new Error('database file changed on disk since it was loaded (reload pending)');
    const at = b << BLOCK_BITS;
    const len = Math.min(1 << BLOCK_BITS, this.#buf.length - at);
    for (let done = 0; done < len;) {
      const n = readSync(this.#fd, this.#buf, at + done, len - done, at + done);
      if (n <= 0) throw new Error('database file shorter than when it was loaded');
      done += n;
    }
    this.#loaded[b] = 1;
  }

  /** Bytes of the image read so far. */
  get bytesRead(): number {
    let n = 0;
    for (let b = 0; b < this.#loaded.length; b++) if (this.#loaded[b] === 1) n += Math.min(1 << BLOCK_BITS, this.#buf.length - (b << BLOCK_BITS));
    return n;
  }

  /** Reads every block not read yet (a walk by mmdb-lib's own code needs the whole tree). */
  loadAll(): void {
    for (let b = 0; b < this.#loaded.length; b++) if (this.#loaded[b] === 0) this.#read(b);
  }

  close(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }
}

/**
 * The search-tree walk of mmdb-lib's findAddressInTree over address bytes: the caller has parsed and normalised the
 * address already, and mmdb-lib would parse its text again on every lookup (a third of a lookup's time). Records are
 * 24, 28 or 32 bits; a pointer past nodeCount is data, nodeCount itself is "no data". With `blocks`, each node's
 * bytes are made present before they are read.
 */
function treeFinder(reader: Reader<Response>, buf: Buffer, blocks: TreeBlocks | null): ((bytes: Uint8Array) => [Response | null, number]) | null {
  const resolve = (reader as unknown as ReaderInternals).resolveDataPointer;
  if (typeof resolve !== 'function') return null;
  const { nodeCount, nodeByteSize, recordSize, ipVersion } = reader.metadata;
  const left = recordSize === 24 ? (o: number) => (buf[o]! << 16) | (buf[o + 1]! << 8) | buf[o + 2]!
    : recordSize === 28 ? (o: number) => ((buf[o + 3]! & 0xf0) << 20) | (buf[o]! << 16) | (buf[o + 1]! << 8) | buf[o + 2]!
      : recordSize === 32 ? (o: number) => buf.readUInt32BE(o) : null;
  const right = recordSize === 24 ? (o: number) => (buf[o + 3]! << 16) | (buf[o + 4]! << 8) | buf[o + 5]!
    : recordSize === 28 ? (o: number) => ((buf[o + 3]! & 0x0f) << 24) | (buf[o + 4]! << 16) | (buf[o + 5]! << 8) | buf[o + 6]!
      : recordSize === 32 ? (o: number) => buf.readUInt32BE(o + 4) : null;
  if (!left || !right) return null;
  // IPv4 addresses sit at ::/96 of an IPv6 tree: the node after 96 zero bits
  let v4Start = 0;
  if (ipVersion === 6) {
    for (let i = 0; i < 96 && v4Start < nodeCount; i++) {
      blocks?.ensure(v4Start * nodeByteSize, nodeByteSize);
      v4Start = left(v4Start * nodeByteSize);
    }
  }
  return (bytes) => {
    const bits = bytes.length * 8;
    let node = bytes.length === 4 ? v4Start : 0;
    let depth = 0;
    for (; depth < bits && node < nodeCount; depth++) {
      const bit = (bytes[depth >> 3]! >>> (7 ^ (depth & 7))) & 1;
      const o = node * nodeByteSize;
      blocks?.ensure(o, nodeByteSize);
      node = bit === 1 ? right(o) : left(o);
    }
    return [node > nodeCount ? resolve.call(reader, node) as Response : null, depth];
  };
}

const PROBES_V4 = ['1.1.1.1', '8.8.8.8', '81.2.69.142', '128.0.0.1', '223.255.255.1'];
const PROBES_V6 = ['2001:4860::1', '2a02:d300::1', '2600::1', '2c0f:f000::1'];

/** Where a lazily read tree comes from: the open file, its identity, and the first block the image already holds. */
export interface LazyTree {
  fd: number;
  stat: string;
  fromBlock: number;
}

const probeBytes = (a: string): Uint8Array => (a.includes(':') ? parseIpv6Bytes(a) : parseIpv4Bytes(a))!;

/**
 * Parses and checks a database image. mmdb-lib parses metadata eagerly but decodes data lazily, so a file corrupted in its
 * data section loads fine and throws on the first lookup (maxmind's own watcher dies there): probe lookups catch that here.
 * With `lazy`, the image holds the file from `lazy.fromBlock` on (the data section and metadata) and the search tree is
 * read as lookups reach it; the generation owns `lazy.fd` (closed by `close()`, or here when the image is refused).
 */
export function loadGeneration(buf: Buffer, key: string, lazy?: LazyTree): DbGeneration {
  const blocks = lazy ? new TreeBlocks(buf, lazy.fd, lazy.stat, lazy.fromBlock) : null;
  try {
    return checkedGeneration(buf, key, blocks);
  } catch (e) {
    blocks?.close();
    throw e;
  }
}

function checkedGeneration(buf: Buffer, key: string, blocks: TreeBlocks | null): DbGeneration {
  // mmdb-lib's constructor walks 96 nodes for the IPv4 start; over a tree not read yet it finds a wrong one, which only
  // its own lookups (not used with a lazy tree, see below) would follow
  const reader = new Reader<Response>(buf, { cache: new RecordCache(20_000) });
  const m = reader.metadata;
  if (m.binaryFormatMajorVersion !== 2) throw new Error(`unsupported MaxMind DB format version ${m.binaryFormatMajorVersion}`);
  if (m.nodeCount <= 0 || m.searchTreeSize + 16 > buf.length) throw new Error('search tree larger than the file (truncated?)');
  if (m.ipVersion !== 4 && m.ipVersion !== 6) throw new Error(`bad ip_version ${m.ipVersion}`);
  let walk = treeFinder(reader, buf, blocks);
  if (!walk && blocks) {
    // mmdb-lib's internals changed: its own text lookup walks the raw image, so the whole tree must be there
    blocks.loadAll();
    walk = treeFinder(new Reader<Response>(buf, { cache: new RecordCache(20_000) }), buf, null);
  }
  const find = walk ?? ((bytes: Uint8Array): [Response | null, number] => reader.getWithPrefixLength(bytesText(bytes)));
  let sample: Record<string, unknown> | null = null;
  const probes = m.ipVersion === 4 ? PROBES_V4 : [...PROBES_V4, ...PROBES_V6];
  for (const p of probes) {
    const rec = find(probeBytes(p))[0] as Record<string, unknown> | null; // throws on a corrupt data section
    if (rec !== null && typeof rec !== 'object') throw new Error('records are not maps');
    sample ??= rec;
  }
  let hasV4 = m.ipVersion === 4;
  if (!hasV4) {
    // an empty IPv4 subtree makes every IPv4 lookup stop at depth 0 with no data
    for (const p of PROBES_V4) {
      const [rec, depth] = find(probeBytes(p));
      if (depth > 0 || rec !== null) { hasV4 = true; break; }
    }
  }
  let role = roleOf(m.databaseType);
  if (role === 'unknown') role = roleOfRecord(sample);
  const build = m.buildEpoch.toISOString();
  const close = (): void => { blocks?.close(); };
  const resident = (): { bytes: number; of: number } => ({ bytes: blocks ? blocks.bytesRead : buf.length, of: buf.length });
  return { reader, find, type: m.databaseType, role, ipVersion: m.ipVersion, hasV4, build, key: `${key}:${build}`, close, resident };
}

/** Address text of 4 or 16 bytes, for mmdb-lib's own lookup. */
function bytesText(b: Uint8Array): string {
  if (b.length === 4) return b.join('.');
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return parts.join(':');
}

/** File identity as `reload()` compares it: size, mtime, inode. */
const statKey = (st: { size: number; mtimeMs: number; ino: number }): string => `${st.size}:${st.mtimeMs}:${st.ino}`;

/** The format puts the metadata in the last 128 KiB of a file. */
const META_MAX = 128 * 1024;

/** Search-tree size from the metadata of an image whose tail is present, or null when it cannot be read. */
function treeSizeOf(buf: Buffer): number | null {
  try {
    return new Reader<Response>(buf).metadata.searchTreeSize;
  } catch {
    return null;
  }
}

/** Where the eager part of an image starts: 0 (read whole: a small tree, or no readable metadata), else a block start. */
function eagerFrom(buf: Buffer): number {
  const tree = treeSizeOf(buf);
  return tree === null || tree < LAZY_TREE_MIN || tree >= buf.length ? 0 : (tree >>> BLOCK_BITS) << BLOCK_BITS;
}

/** Reads bytes [a, b) of the file into the same place of `buf`. */
function readRangeSync(fd: number, buf: Buffer, a: number, b: number): void {
  for (let at = a; at < b;) {
    const n = readSync(fd, buf, at, Math.min(b - at, 1 << 30), at);
    if (n <= 0) throw new Error('file changed while being read');
    at += n;
  }
}

/** An image to load: its bytes, the identity of the file they came from, and where its tree is read from (lazily). */
interface Image {
  buf: Buffer;
  stat: string;
  lazy?: LazyTree;
}

/**
 * Reads a database file for loading: the metadata first, then — for a tree of LAZY_TREE_MIN or more — only the data
 * section, the tree being read block by block later through the descriptor kept open; otherwise the whole file.
 * Blocks not read yet hold zeros.
 */
function readImage(path: string): Image {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    const stat = statKey(st);
    const buf = Buffer.alloc(st.size);
    const tail = Math.max(0, st.size - META_MAX);
    readRangeSync(fd, buf, tail, st.size);
    const from = eagerFrom(buf);
    readRangeSync(fd, buf, from, tail);
    if (from === 0) {
      closeSync(fd);
      return { buf, stat };
    }
    return { buf, stat, lazy: { fd, stat, fromBlock: from >>> BLOCK_BITS } };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** Images read ahead by `prefetchDatabases`, by path, with the identity they were read under; taken once by a load. */
const prefetched = new Map<string, { stat: string; buf: Buffer; from: number }>();

/** Databases being read ahead. */
export interface Prefetch {
  /** Settles (never rejects) when every read finished or failed. */
  done: Promise<void>;
  /** Drops the images no load has taken (a start that failed before opening them), now or when their reads finish. */
  release(): void;
}

/**
 * Reads database files into memory in the background, so that a later load costs no read on the caller's thread: the
 * reads are handed to libuv's thread pool before this returns (a caller that goes on with synchronous work overlaps with
 * them), and the copy and the page faults of the fresh buffers happen there. `analyze` starts this before it parses the
 * logs, `serve` before it opens the store: the 150 MB of the bundled DB-IP and ASN files are in memory by the time the
 * provider opens them. Never rejects: a file that cannot be read here is read (and its error reported) by the load itself.
 * An image is used only while the file still has the size, mtime and inode it had when it was read, and it is held
 * until a load of that path takes it or `release()` drops it.
 */
export function prefetchDatabases(paths: readonly string[]): Prefetch {
  let released = false;
  const mine = new Map<string, Buffer>();
  const done = Promise.all(paths.map((path) => new Promise<void>((resolve) => {
    let fd: number;
    let buf: Buffer;
    let before: string;
    try {
      fd = openSync(path, 'r');
    } catch {
      resolve(); // the load says why
      return;
    }
    const finish = (keep: boolean, from = 0): void => {
      try {
        if (keep && !released && statKey(fstatSync(fd)) === before) {
          prefetched.set(path, { stat: before, buf, from });
          mine.set(path, buf);
        }
      } catch {
        // not kept: the load reads the file itself
      }
      close(fd, () => { resolve(); });
    };
    try {
      const st = fstatSync(fd);
      before = statKey(st);
      buf = Buffer.alloc(st.size);
    } catch {
      finish(false);
      return;
    }
    // a few large reads (one unless the kernel returns short): fs.readFile would come back to this thread every 512 KiB
    const range = (at: number, end: number, then: () => void): void => {
      if (at >= end) {
        then();
        return;
      }
      read(fd, buf, at, Math.min(end - at, 1 << 30), at, (err, n) => {
        if (err || n === 0) finish(false);
        else range(at + n, end, then);
      });
    };
    // the metadata, then the part a load reads eagerly (all of a small database; the data section of a large one)
    const tail = Math.max(0, buf.length - META_MAX);
    range(tail, buf.length, () => {
      const from = eagerFrom(buf);
      range(from, tail, () => { finish(true, from); });
    });
  }))).then(() => undefined);
  return {
    done,
    release() {
      released = true;
      for (const [path, buf] of mine) if (prefetched.get(path)?.buf === buf) prefetched.delete(path);
      mine.clear();
    },
  };
}

/**
 * A database file. `reload()` re-reads it when its size, mtime or inode changed: the new image is parsed and probed in
 * full before it replaces the old one, so lookups never see a half-written file; a bad file keeps the old generation.
 */
export class MmdbFile {
  readonly path: string;
  #gen: DbGeneration | null = null;
  #stat = '';
  #badStat = '';
  #error: string | null = null;

  constructor(path: string) {
    this.path = path;
  }

  /** The current generation, or null before a good load. */
  get generation(): DbGeneration | null {
    return this.#gen;
  }

  /** Why the last load failed (null when it succeeded). */
  get error(): string | null {
    return this.#error;
  }

  /** Short description for provenance: "GeoLite2-City (GeoLite2-City.mmdb)". */
  get label(): string {
    return `${this.#gen?.type ?? '?'} (${basename(this.path)})`;
  }

  /**
   * Loads the file if it changed since the last look. Returns 'reloaded' when a new generation took over, 'unchanged',
   * or 'failed' (the previous generation, if any, stays in use; the same bad file is not re-parsed until it changes again).
   */
  reload(): 'reloaded' | 'unchanged' | 'failed' {
    let st;
    try {
      st = statSync(this.path);
    } catch (e) {
      this.#error = `cannot stat: ${(e as Error).message}`;
      return 'failed';
    }
    const stat = statKey(st);
    if (stat === this.#stat) return 'unchanged';
    if (stat === this.#badStat) return 'failed';
    const ahead = prefetched.get(this.path);
    prefetched.delete(this.path);
    try {
      // the identity is the one of the file the image was read from (it may have been replaced since the stat above)
      const img = ahead?.stat === stat ? this.#fromAhead(ahead) : readImage(this.path);
      const old = this.#gen;
      this.#gen = loadGeneration(img.buf, img.stat, img.lazy);
      old?.close();
      this.#stat = img.stat;
      this.#badStat = '';
      this.#error = null;
      return 'reloaded';
    } catch (e) {
      this.#badStat = stat;
      this.#error = (e as Error).message;
      return 'failed';
    }
  }

  /** An image read ahead: whole, or its eager part with a descriptor opened now on the same file for the tree. */
  #fromAhead(ahead: { stat: string; buf: Buffer; from: number }): Image {
    if (ahead.from === 0) return { buf: ahead.buf, stat: ahead.stat };
    const fd = openSync(this.path, 'r');
    if (statKey(fstatSync(fd)) !== ahead.stat) {
      closeSync(fd);
      return readImage(this.path);
    }
    return { buf: ahead.buf, stat: ahead.stat, lazy: { fd, stat: ahead.stat, fromBlock: ahead.from >>> BLOCK_BITS } };
  }

  /**
   * Lets go of the loaded generation and the descriptor a lazily read tree keeps open. Lookups then answer 'error'
   * ("closed") until a reload() loads the file again.
   */
  close(): void {
    this.#gen?.close();
    this.#gen = null;
    this.#stat = '';
    this.#badStat = '';
    this.#error = 'closed';
  }

  /** Looks up an address (its 4 or 16 bytes, family 4 or 6); never throws. */
  lookup(bytes: Uint8Array, family: 4 | 6): DbLookup {
    const g = this.#gen;
    if (!g) return { kind: 'error', reason: this.#error ?? 'not loaded' };
    // mmdb-lib answers garbage for an IPv6 address in an IPv4 tree (it walks the first 32 bits): refuse like mmdblookup
    if (family === 6 && g.ipVersion === 4) return { kind: 'refused', reason: 'IPv6 address in an IPv4-only database' };
    if (family === 4 && !g.hasV4) return { kind: 'refused', reason: 'database holds no IPv4 data' };
    try {
      const [rec, prefix] = g.find(bytes);
      if (rec === null) return { kind: 'absent' };
      return { kind: 'found', record: rec as unknown as Record<string, unknown>, prefix };
    } catch (e) {
      return { kind: 'error', reason: `lookup failed: ${(e as Error).message}` };
    }
  }
}
