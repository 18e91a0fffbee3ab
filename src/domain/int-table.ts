// IPv4 addresses as 32-bit numbers: the keys of detection's typed-array indexes (a Map keyed by address text costs
// several cache misses per lookup on a large heap; an index keyed by number about one).

/** An IPv4 address in canonical dotted-quad text as an unsigned 32-bit number, or -1 for anything else. */
export function ipv4Key(ip: string): number {
  const n = ip.length;
  if (n < 7 || n > 15) return -1;
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      v = v * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero: not canonical
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return v * 256 + part;
}

/** The canonical text of an IPv4 address given as an unsigned 32-bit number. */
export function ipv4Text(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
