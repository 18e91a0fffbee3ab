// Small readers for kernel LOG field values: decimal/hex numbers read in place, hex option blobs, protocol names.

/** Where the last readDec/readHex stopped (index after the digits). */
export const cursor = { end: 0 };

/**
 * Decimal number at s[a..] up to the next blank (or `end`), at most 10 digits and `max`; -1 when empty, too large or
 * followed by anything but a blank. `cursor.end` is set to where the digits stopped.
 */
export function readDec(s: string, a: number, end: number, max: number): number {
  let v = 0;
  let i = a;
  while (i < end) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
    i++;
  }
  cursor.end = i;
  if (i === a || i - a > 10 || v > max || (i < end && s.charCodeAt(i) !== 32)) return -1;
  return v;
}

/** Hex number (optional 0x, as the kernel writes TOS=0x00 and ulogd TOS=00) at s[a..], like readDec. */
export function readHex(s: string, a: number, end: number, max: number): number {
  let i = a;
  if (s.charCodeAt(i) === 48 && (s.charCodeAt(i + 1) | 0x20) === 120) i += 2;
  const d0 = i;
  let v = 0;
  while (i < end) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 65 && c <= 70) d = c - 55;
    else if (c >= 97 && c <= 102) d = c - 87;
    else break;
    v = v * 16 + d;
    i++;
  }
  cursor.end = i;
  if (i === d0 || i - d0 > 8 || v > max || (i < end && s.charCodeAt(i) !== 32)) return -1;
  return v;
}

/** Decimal in exactly s[a,b), 0..max, or -1. */
export function decIn(s: string, a: number, b: number, max: number): number {
  if (b <= a || b - a > 10) return -1;
  let v = 0;
  for (let i = a; i < b; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v > max ? -1 : v;
}

/** Hex (optional 0x) in exactly s[a,b), 0..max, or -1. */
export function hexIn(s: string, a: number, b: number, max: number): number {
  const v = readHex(s, a, b, max);
  return v >= 0 && cursor.end === b ? v : -1;
}

/** A hex digit's character code. */
export function isHexCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** Even-length hex text (the kernel's "%02X" per option byte); empty is fine ("OPT ( )"). */
export function isHex(t: string): boolean {
  if (t.length % 2 !== 0) return false;
  for (let i = 0; i < t.length; i++) if (!isHexCode(t.charCodeAt(i))) return false;
  return true;
}

/** No blanks, controls, DEL or U+FFFD in s[a,b). */
export function printable(s: string, a: number, b: number): boolean {
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c === 127 || c === 0xfffd) return false;
  }
  return true;
}

/** The kernel's full IPv6 form: eight groups of four hex digits (the only form psad 2.4.6 accepts). */
export function isFullIpv6(t: string): boolean {
  if (t.length !== 39) return false;
  for (let i = 0; i < 39; i++) {
    const c = t.charCodeAt(i);
    if (i % 5 === 4) {
      if (c !== 58) return false;
    } else if (!isHexCode(c)) {
      return false;
    }
  }
  return true;
}

/** PROTO= value in s[a,b) → protocol number: the names the kernel (and ulogd) print, or a decimal 0–255; -1 otherwise. */
export function protoNumber(s: string, a: number, b: number): number {
  const c0 = s.charCodeAt(a);
  if (c0 >= 48 && c0 <= 57) return decIn(s, a, b, 255);
  switch (b - a) {
    case 2: if (s.startsWith('AH', a)) return 51; break;
    case 3:
      if (s.startsWith('TCP', a)) return 6;
      if (s.startsWith('UDP', a)) return 17;
      if (s.startsWith('ESP', a)) return 50;
      if (s.startsWith('GRE', a)) return 47;
      break;
    case 4:
      if (s.startsWith('ICMP', a)) return 1;
      if (s.startsWith('IGMP', a)) return 2;
      if (s.startsWith('SCTP', a)) return 132;
      break;
    case 6: if (s.startsWith('ICMPv6', a) || s.startsWith('ICMPV6', a)) return 58; break;
    case 7: if (s.startsWith('UDPLITE', a)) return 136; break;
    default: break;
  }
  return -1;
}

/** The name psad would have seen for a named protocol number (for error details). */
export function protoLabel(p: number): string {
  switch (p) {
    case 51: return 'AH';
    case 50: return 'ESP';
    case 136: return 'UDPLITE';
    case 47: return 'GRE';
    case 2: return 'IGMP';
    case 132: return 'SCTP';
    default: return String(p);
  }
}
