// Address ranges in whois answers: "a - b", CIDR, LACNIC's abbreviated "200.160/20"; sizes and most-specific choice.
import { formatIpv4, formatIpv6, parseIp } from '../../domain/address.ts';

/** An inclusive address range. */
export interface Range {
  /** Address family. */
  family: 4 | 6;
  /** First address bytes. */
  first: Uint8Array;
  /** Last address bytes. */
  last: Uint8Array;
}

const fmt = (b: Uint8Array): string => (b.length === 4 ? formatIpv4(b) : formatIpv6(b));

/** "first - last" text of a range. */
export function rangeText(r: Range): string {
  return `${fmt(r.first)} - ${fmt(r.last)}`;
}

/** Canonical first and last address text. */
export function rangeEnds(r: Range): { first: string; last: string } {
  return { first: fmt(r.first), last: fmt(r.last) };
}

/** Expands LACNIC's abbreviated IPv4 prefixes ("200.160/20" → "200.160.0.0/20"). */
function expandV4(addr: string): string {
  if (addr.includes(':')) return addr;
  const parts = addr.split('.');
  while (parts.length < 4) parts.push('0');
  return parts.join('.');
}

/** Parses "a - b", "a/len" (abbreviated IPv4 allowed) or a single address; null when not a range. */
export function parseRange(text: string): Range | null {
  const t = text.trim();
  const dash = /^(\S+)\s*-\s*(\S+)$/.exec(t);
  if (dash) {
    const a = parseIp(dash[1]!);
    const b = parseIp(dash[2]!);
    if (!a || !b || a.family !== b.family || compare(a.bytes, b.bytes) > 0) return null;
    return { family: a.family, first: a.bytes, last: b.bytes };
  }
  const slash = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(t);
  if (slash) {
    const a = parseIp(expandV4(slash[1]!));
    const len = Number(slash[2]);
    if (!a || len > a.bytes.length * 8) return null;
    const first = a.bytes.slice();
    const last = a.bytes.slice();
    for (let i = 0; i < first.length; i++) {
      const keep = Math.max(0, Math.min(8, len - i * 8));
      const mask = (0xff << (8 - keep)) & 0xff;
      first[i] = (first[i] as number) & mask;
      last[i] = ((last[i] as number) & mask) | (~mask & 0xff);
    }
    return { family: a.family, first, last };
  }
  const one = parseIp(t);
  return one ? { family: one.family, first: one.bytes, last: one.bytes } : null;
}

/** Bytewise comparison of equal-length addresses. */
export function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return 0;
}

/** Whether the range holds the address bytes. */
export function rangeHolds(r: Range, ip: Uint8Array): boolean {
  return r.first.length === ip.length && compare(r.first, ip) <= 0 && compare(ip, r.last) <= 0;
}

/** Number of addresses in the range (BigInt: IPv6 ranges pass 2^53). */
export function rangeSize(r: Range): bigint {
  let a = 0n;
  let b = 0n;
  for (let i = 0; i < r.first.length; i++) {
    a = (a << 8n) | BigInt(r.first[i]!);
    b = (b << 8n) | BigInt(r.last[i]!);
  }
  return b - a + 1n;
}

/** The minimal CIDRs covering a range, as text. */
export function rangeCidrs(r: Range): string[] {
  const bits = BigInt(r.first.length * 8);
  const toBig = (x: Uint8Array): bigint => x.reduce((acc, v) => (acc << 8n) | BigInt(v), 0n);
  const toBytes = (x: bigint): Uint8Array => {
    const out = new Uint8Array(r.first.length);
    let v = x;
    for (let i = out.length - 1; i >= 0; i--) { out[i] = Number(v & 0xffn); v >>= 8n; }
    return out;
  };
  let lo = toBig(r.first);
  const hi = toBig(r.last);
  const out: string[] = [];
  // a hostile answer could claim a range needing hundreds of CIDRs: 64 is far beyond any real netblock
  while (lo <= hi && out.length < 64) {
    let size = 0n;
    while (size < bits && (lo & ((1n << (size + 1n)) - 1n)) === 0n && lo + (1n << (size + 1n)) - 1n <= hi) size++;
    out.push(`${fmt(toBytes(lo))}/${bits - size}`);
    lo += 1n << size;
  }
  return out;
}
