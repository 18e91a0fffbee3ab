// A small MaxMind DB (format 2.0) writer: builds the bundled ASN database from CSV at build time, and test fixtures.
// Spec: https://maxmind.github.io/MaxMind-DB/ — search tree of 2-record nodes, 16-byte separator, data section, metadata.

/** A value the data section can hold (maps, arrays, UTF-8 strings, unsigned integers, doubles, booleans). */
export type MmdbValue = string | number | boolean | Uint | MmdbValue[] | { [k: string]: MmdbValue };

/** An unsigned integer of an explicit width (metadata fields must have their spec'd types: readers check them). */
export class Uint {
  readonly bits: 16 | 32 | 64;
  readonly n: number;
  constructor(bits: 16 | 32 | 64, n: number) {
    this.bits = bits;
    this.n = n;
  }
}

const METADATA_MARKER = Buffer.from([0xab, 0xcd, 0xef, ...Buffer.from('MaxMind.com', 'ascii')]);

/** Encodes one value in the MaxMind DB data-section encoding. */
export function encodeValue(v: MmdbValue, out: number[]): void {
  const control = (type: number, size: number): void => {
    const ext = type > 7;
    const t = ext ? 0 : type << 5;
    let sizeBits: number;
    const extra: number[] = [];
    if (size < 29) sizeBits = size;
    else if (size < 29 + 256) { sizeBits = 29; extra.push(size - 29); }
    else if (size < 285 + 65536) { sizeBits = 30; const s = size - 285; extra.push(s >> 8, s & 0xff); }
    else { sizeBits = 31; const s = size - 65821; extra.push((s >> 16) & 0xff, (s >> 8) & 0xff, s & 0xff); }
    out.push(t | sizeBits);
    if (ext) out.push(type - 7);
    out.push(...extra);
  };
  const uint = (type: number, n: number, maxBytes: number): void => {
    const bytes: number[] = [];
    let x = n;
    while (x > 0) { bytes.unshift(x % 256); x = Math.floor(x / 256); }
    if (bytes.length > maxBytes) throw new Error(`integer ${n} too large`);
    control(type, bytes.length);
    out.push(...bytes);
  };
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    control(2, b.length);
    for (const x of b) out.push(x);
  } else if (typeof v === 'boolean') {
    control(14, v ? 1 : 0);
  } else if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0) {
      if (v <= 0xffff) uint(5, v, 2);
      else if (v <= 0xffffffff) uint(6, v, 4);
      else uint(9, v, 8);
    } else {
      control(3, 8);
      const b = Buffer.alloc(8);
      b.writeDoubleBE(v);
      for (const x of b) out.push(x);
    }
  } else if (v instanceof Uint) {
    if (v.bits === 16) uint(5, v.n, 2);
    else if (v.bits === 32) uint(6, v.n, 4);
    else uint(9, v.n, 8);
  } else if (Array.isArray(v)) {
    control(11, v.length);
    for (const x of v) encodeValue(x, out);
  } else {
    const keys = Object.keys(v);
    control(7, keys.length);
    for (const k of keys) {
      encodeValue(k, out);
      encodeValue(v[k]!, out);
    }
  }
}

/** Options of a database. */
export interface WriterOptions {
  /** database_type metadata ("probewatch-ASN", "GeoLite2-City"). */
  databaseType: string;
  /** 4 builds an IPv4-only tree; 6 an IPv6 tree holding IPv4 at ::/96 (as MaxMind's own files). */
  ipVersion: 4 | 6;
  /** English description. */
  description: string;
  /** Build time (seconds since the epoch). */
  buildEpoch?: number;
}

/** Builds a database in memory: `insert(network, value)` then `toBuffer()`. Later inserts win inside earlier ones. */
export class MmdbWriter {
  readonly #opts: WriterOptions;
  // node records: >= 0 node index; EMPTY; <= -2 data index (-(i + 2))
  #left = new Int32Array(1024);
  #right = new Int32Array(1024);
  #nodes = 1;
  readonly #data: Buffer[] = [];
  readonly #dataIndex = new Map<string, number>();

  constructor(opts: WriterOptions) {
    this.#opts = opts;
    this.#left[0] = EMPTY;
    this.#right[0] = EMPTY;
  }

  /** Number of search-tree nodes so far. */
  get nodeCount(): number {
    return this.#nodes;
  }

  #newNode(fill: number): number {
    if (this.#nodes === this.#left.length) {
      const l = new Int32Array(this.#left.length * 2);
      l.set(this.#left);
      this.#left = l;
      const r = new Int32Array(this.#right.length * 2);
      r.set(this.#right);
      this.#right = r;
    }
    const n = this.#nodes++;
    this.#left[n] = fill;
    this.#right[n] = fill;
    return n;
  }

  /** Interns a value (identical values share one data-section entry). */
  #intern(value: MmdbValue): number {
    const key = JSON.stringify(value);
    let i = this.#dataIndex.get(key);
    if (i === undefined) {
      const out: number[] = [];
      encodeValue(value, out);
      i = this.#data.length;
      this.#data.push(Buffer.from(out));
      this.#dataIndex.set(key, i);
    }
    return i;
  }

  /**
   * Inserts a network given as address bytes (4 or 16) and prefix length. IPv4 networks go under ::/96 in an IPv6 tree.
   */
  insertBytes(bytes: Uint8Array, prefix: number, value: MmdbValue): void {
    let bits: Uint8Array = bytes;
    let len = prefix;
    if (this.#opts.ipVersion === 6 && bytes.length === 4) {
      bits = new Uint8Array(16);
      bits.set(bytes, 12);
      len = prefix + 96;
    } else if (this.#opts.ipVersion === 4 && bytes.length !== 4) {
      throw new Error('IPv6 network in an IPv4 database');
    }
    if (len === 0) throw new Error('cannot insert the whole address space');
    const rec = -(this.#intern(value) + 2);
    let node = 0;
    for (let depth = 0; depth < len; depth++) {
      const bit = ((bits[depth >> 3] as number) >> (7 - (depth & 7))) & 1;
      const arr = bit ? this.#right : this.#left;
      if (depth === len - 1) {
        arr[node] = rec;
        return;
      }
      let next = arr[node] as number;
      if (next < 0) {
        // empty, or data of a less specific network: split it so the rest of that network keeps its value
        next = this.#newNode(next);
        (bit ? this.#right : this.#left)[node] = next;
      }
      node = next;
    }
  }

  /** Inserts "addr/len" text. */
  insert(cidr: string, value: MmdbValue): void {
    const [addr, len] = cidr.split('/');
    const bytes = parseAddress(addr ?? '');
    if (!bytes) throw new Error(`bad network ${cidr}`);
    this.insertBytes(bytes, len === undefined ? bytes.length * 8 : Number(len), value);
  }

  /** Inserts an inclusive address range as the CIDRs covering it exactly. */
  insertRange(first: Uint8Array, last: Uint8Array, value: MmdbValue): void {
    for (const [b, p] of rangeToCidrs(first, last)) this.insertBytes(b, p, value);
  }

  /** Serialises the database. */
  toBuffer(): Buffer {
    const nodeCount = this.#nodes;
    const dataOffsets: number[] = [];
    let off = 0;
    for (const d of this.#data) { dataOffsets.push(off); off += d.length; }
    const dataSize = off;
    const maxRecord = nodeCount + 16 + dataSize;
    const recordSize = maxRecord < 2 ** 24 ? 24 : maxRecord < 2 ** 28 ? 28 : 32;
    const nodeBytes = (recordSize * 2) / 8;
    const tree = Buffer.alloc(nodeCount * nodeBytes);
    const value = (r: number): number => (r >= 0 ? r : r === EMPTY ? nodeCount : nodeCount + 16 + dataOffsets[-r - 2]!);
    for (let n = 0; n < nodeCount; n++) {
      const l = value(this.#left[n]!);
      const r = value(this.#right[n]!);
      const o = n * nodeBytes;
      if (recordSize === 24) {
        tree.writeUIntBE(l, o, 3);
        tree.writeUIntBE(r, o + 3, 3);
      } else if (recordSize === 28) {
        tree.writeUIntBE(l & 0xffffff, o, 3);
        tree[o + 3] = (((l >>> 24) & 0x0f) << 4) | ((r >>> 24) & 0x0f);
        tree.writeUIntBE(r & 0xffffff, o + 4, 3);
      } else {
        tree.writeUInt32BE(l >>> 0, o);
        tree.writeUInt32BE(r >>> 0, o + 4);
      }
    }
    const meta: number[] = [];
    encodeValue({
      node_count: new Uint(32, nodeCount),
      record_size: new Uint(16, recordSize),
      ip_version: new Uint(16, this.#opts.ipVersion),
      database_type: this.#opts.databaseType,
      languages: ['en'],
      binary_format_major_version: new Uint(16, 2),
      binary_format_minor_version: new Uint(16, 0),
      build_epoch: new Uint(64, this.#opts.buildEpoch ?? Math.floor(Date.now() / 1000)),
      description: { en: this.#opts.description },
    }, meta);
    return Buffer.concat([tree, Buffer.alloc(16), ...this.#data, METADATA_MARKER, Buffer.from(meta)]);
  }
}

const EMPTY = -1;

/** Parses an address into 4 or 16 bytes (strict dotted quad, any IPv6 text). */
export function parseAddress(s: string): Uint8Array | null {
  if (!s.includes(':')) {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
    if (!m) return null;
    const b = new Uint8Array(4);
    for (let i = 0; i < 4; i++) {
      const v = Number(m[i + 1]);
      if (v > 255) return null;
      b[i] = v;
    }
    return b;
  }
  let head = s;
  let tail = '';
  const dc = s.indexOf('::');
  if (dc !== -1) { head = s.slice(0, dc); tail = s.slice(dc + 2); }
  const hg = head ? head.split(':') : [];
  const tg = tail ? tail.split(':') : [];
  if (dc === -1 && hg.length !== 8) return null;
  if (hg.length + tg.length > (dc === -1 ? 8 : 7)) return null;
  const groups = [...hg, ...new Array<string>(8 - hg.length - tg.length).fill('0'), ...tg];
  const b = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    const v = parseInt(g, 16);
    b[i * 2] = v >> 8;
    b[i * 2 + 1] = v & 0xff;
  }
  return b;
}

function rangeToCidrs4(first: Uint8Array, last: Uint8Array): [Uint8Array, number][] {
  const n = (b: Uint8Array): number => ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
  let lo = n(first);
  const hi = n(last);
  const out: [Uint8Array, number][] = [];
  while (lo <= hi) {
    let size = 0;
    while (size < 32 && lo % 2 ** (size + 1) === 0 && lo + 2 ** (size + 1) - 1 <= hi) size++;
    out.push([new Uint8Array([Math.floor(lo / 2 ** 24) & 0xff, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff]), 32 - size]);
    lo += 2 ** size;
  }
  return out;
}

function toBig(b: Uint8Array): bigint {
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  return x;
}

function fromBig(x: bigint, len: number): Uint8Array {
  const b = new Uint8Array(len);
  let v = x;
  for (let i = len - 1; i >= 0; i--) { b[i] = Number(v & 0xffn); v >>= 8n; }
  return b;
}

/** The minimal list of CIDRs (bytes, prefix) exactly covering [first, last]; empty when first > last. */
export function rangeToCidrs(first: Uint8Array, last: Uint8Array): [Uint8Array, number][] {
  if (first.length !== last.length) throw new Error('range ends of different families');
  if (first.length === 4) return rangeToCidrs4(first, last);
  const bitsTotal = BigInt(first.length * 8);
  let lo = toBig(first);
  const hi = toBig(last);
  const out: [Uint8Array, number][] = [];
  while (lo <= hi) {
    // largest block aligned at lo that does not pass hi
    let size = 0n;
    while (size < bitsTotal && (lo & ((1n << (size + 1n)) - 1n)) === 0n && lo + (1n << (size + 1n)) - 1n <= hi) size++;
    out.push([fromBig(lo, first.length), Number(bitsTotal - size)]);
    lo += 1n << size;
  }
  return out;
}
