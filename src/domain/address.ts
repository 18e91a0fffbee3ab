// IP addresses: parsing any textual form into one canonical string, networks, and psad's full IPv6 form.

/** Address family. */
export type Family = 4 | 6;

/** A parsed address: family, canonical text and the 16 (v6) or 4 (v4) bytes. */
export interface ParsedIp {
  /** 4 or 6. IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is unmapped to 4. */
  readonly family: Family;
  /** Canonical text: dotted quad without leading zeros, or RFC 5952 compressed lowercase IPv6. */
  readonly text: string;
  /** Network-order bytes, 4 or 16 long. */
  readonly bytes: Uint8Array;
}

const HEX = '0123456789abcdef';

/** Parses a dotted quad strictly (no leading zeros beyond "0", each part 0–255); returns the 4 bytes or null. */
export function parseIpv4Bytes(s: string, start = 0, end = s.length): Uint8Array | null {
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 1 && value === 0) return null; // leading zero: ambiguous (octal in some tools)
      value = value * 10 + (c - 48);
      if (value > 255) return null;
      digits++;
    } else if (c === 46) {
      if (digits === 0 || part === 3) return null;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else {
      return null;
    }
  }
  if (digits === 0 || part !== 3) return null;
  out[3] = value;
  return out;
}

/** Parses IPv6 text (full, compressed, with an embedded IPv4 tail; no zone id) into 16 bytes, or null. */
export function parseIpv6Bytes(s: string): Uint8Array | null {
  if (s.length < 2 || s.length > 45) return null;
  const out = new Uint8Array(16);
  const groups: number[] = [];
  let gap = -1;
  let i = 0;
  const n = s.length;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return null;
    gap = 0;
    i = 2;
    if (n === 2) return out;
  }
  while (i < n) {
    // an embedded dotted quad may only come last
    let j = i;
    let v = 0;
    let isV4 = false;
    while (j < n) {
      const c = s.charCodeAt(j);
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      else if (c === 46) { isV4 = true; break; }
      else break;
      v = v * 16 + d;
      j++;
    }
    if (isV4) {
      const v4 = parseIpv4Bytes(s, i, n);
      if (!v4 || groups.length > 6) return null;
      groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      i = n;
      break;
    }
    const len = j - i;
    if (len === 0 || len > 4) return null;
    groups.push(v);
    if (groups.length > 8) return null;
    if (j === n) { i = n; break; }
    if (s.charCodeAt(j) !== 58) return null;
    if (j + 1 < n && s.charCodeAt(j + 1) === 58) {
      if (gap !== -1) return null;
      gap = groups.length;
      i = j + 2;
      if (i === n) break;
    } else {
      i = j + 1;
      if (i === n) return null; // trailing single colon
    }
  }
  if (gap === -1) {
    if (groups.length !== 8) return null;
  } else if (groups.length > 7) {
    return null;
  }
  const tail = gap === -1 ? 0 : groups.length - gap;
  const head = gap === -1 ? groups.length : gap;
  for (let g = 0; g < head; g++) {
    out[g * 2] = groups[g]! >> 8;
    out[g * 2 + 1] = groups[g]! & 0xff;
  }
  for (let g = 0; g < tail; g++) {
    const pos = 8 - tail + g;
    const val = groups[head + g]!;
    out[pos * 2] = val >> 8;
    out[pos * 2 + 1] = val & 0xff;
  }
  return out;
}

/** Formats 4 bytes as a dotted quad. */
export function formatIpv4(b: ArrayLike<number>, off = 0): string {
  return `${b[off]!}.${b[off + 1]!}.${b[off + 2]!}.${b[off + 3]!}`;
}

/** Formats 16 bytes as RFC 5952 text: lowercase, no leading zeros, the longest run (≥2) of zero groups as "::". */
export function formatIpv6(b: ArrayLike<number>, off = 0): string {
  const g: number[] = new Array<number>(8);
  for (let i = 0; i < 8; i++) g[i] = ((b[off + i * 2] as number) << 8) | (b[off + i * 2 + 1] as number);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) bestStart = -1;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (s.length > 0 && !s.endsWith(':')) s += ':';
    s += (g[i] as number).toString(16);
  }
  return s;
}

/** Formats 16 bytes in the kernel's and psad's full form: eight 4-digit lowercase groups. */
export function formatIpv6Full(b: ArrayLike<number>, off = 0): string {
  let s = '';
  for (let i = 0; i < 16; i++) {
    const v = b[off + i] as number;
    if (i > 0 && i % 2 === 0) s += ':';
    s += HEX[v >> 4]! + HEX[v & 15]!;
  }
  return s;
}

/** Formats 16 bytes as p0f prints IPv6: eight groups without zero padding or compression ("2001:db8:1:0:0:0:0:7"). */
export function formatIpv6P0f(b: ArrayLike<number>, off = 0): string {
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i > 0) s += ':';
    s += ((((b[off + i * 2] as number) << 8) | (b[off + i * 2 + 1] as number))).toString(16);
  }
  return s;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/**
 * Parses an address in any common textual form: dotted quad, IPv6 full or compressed, upper or lower case,
 * with brackets, with a zone id (dropped), IPv4-mapped IPv6 (unmapped). Returns null for anything else.
 */
export function parseIp(input: string): ParsedIp | null {
  let s = input.trim();
  if (s.length === 0 || s.length > 64) return null;
  if (s.charCodeAt(0) === 91 && s.charCodeAt(s.length - 1) === 93) s = s.slice(1, -1);
  const pct = s.indexOf('%');
  if (pct !== -1) {
    if (!s.includes(':')) return null; // zone ids exist only on IPv6
    s = s.slice(0, pct);
  }
  if (!s.includes(':')) {
    const b = parseIpv4Bytes(s);
    return b ? { family: 4, text: formatIpv4(b), bytes: b } : null;
  }
  const b = parseIpv6Bytes(s);
  if (!b) return null;
  if (isV4Mapped(b)) {
    const v4 = b.slice(12, 16);
    return { family: 4, text: formatIpv4(v4), bytes: v4 };
  }
  return { family: 6, text: formatIpv6(b), bytes: b };
}

/** Canonical text of an address, or null when it is not an address. */
export function canonicalIp(input: string): string | null {
  return parseIp(input)?.text ?? null;
}

/** psad's spelling of an address: IPv4 unchanged, IPv6 in the full 8×4-hex form. */
export function psadIp(canonical: string): string {
  if (!canonical.includes(':')) return canonical;
  const b = parseIpv6Bytes(canonical);
  return b ? formatIpv6Full(b) : canonical;
}

/** A network: family, prefix bytes and length. */
export interface Cidr {
  readonly family: Family;
  readonly bytes: Uint8Array;
  readonly prefix: number;
  /** Canonical text "addr/len" with host bits cleared. */
  readonly text: string;
}

/** Parses "addr", "addr/len" or IPv4 "addr/dotted.mask"; host bits are cleared. Null when malformed. */
export function parseCidr(input: string): Cidr | null {
  const s = input.trim();
  const slash = s.indexOf('/');
  const ip = parseIp(slash === -1 ? s : s.slice(0, slash));
  if (!ip) return null;
  const max = ip.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const m = s.slice(slash + 1);
    if (/^\d{1,3}$/.test(m)) {
      prefix = Number(m);
    } else if (ip.family === 4) {
      const mb = parseIpv4Bytes(m);
      if (!mb) return null;
      prefix = maskLength(mb);
      if (prefix < 0) return null;
    } else {
      return null;
    }
    if (prefix > max) return null;
  }
  const bytes = ip.bytes.slice();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    bytes[i] = (bytes[i] as number) & ((0xff << (8 - keep)) & 0xff);
  }
  const text = `${ip.family === 4 ? formatIpv4(bytes) : formatIpv6(bytes)}/${prefix}`;
  return { family: ip.family, bytes, prefix, text };
}

function maskLength(mb: Uint8Array): number {
  let len = 0;
  let ended = false;
  for (const byte of mb) {
    for (let bit = 7; bit >= 0; bit--) {
      if ((byte >> bit) & 1) {
        if (ended) return -1; // non-contiguous mask
        len++;
      } else {
        ended = true;
      }
    }
  }
  return len;
}

/** Whether the address (parsed) lies inside the network. */
export function cidrContains(net: Cidr, ip: ParsedIp): boolean {
  if (net.family !== ip.family) return false;
  const full = net.prefix >> 3;
  for (let i = 0; i < full; i++) if (net.bytes[i] !== ip.bytes[i]) return false;
  const rem = net.prefix & 7;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return ((ip.bytes[full] as number) & mask) === net.bytes[full];
}

/** A set of networks with a fast membership test (linear scan; sets here are small: HOME_NET, allowlists). */
export class CidrSet {
  readonly #nets: Cidr[];
  constructor(nets: readonly Cidr[]) {
    this.#nets = [...nets];
  }
  get size(): number {
    return this.#nets.length;
  }
  get networks(): readonly Cidr[] {
    return this.#nets;
  }
  /** True when the canonical or textual address is in any of the networks. */
  has(address: string | ParsedIp): boolean {
    const ip = typeof address === 'string' ? parseIp(address) : address;
    if (!ip) return false;
    for (const n of this.#nets) if (cidrContains(n, ip)) return true;
    return false;
  }
}
