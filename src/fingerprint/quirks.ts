// p0f's TCP/IP quirks: names, bit values (process.h) and the fixed order raw_sig prints them in.

/** A p0f quirk name as written in p0f.fp and raw_sig. */
export type Quirk =
  | 'df' | 'id+' | 'id-' | 'ecn' | '0+' | 'flow'
  | 'seq-' | 'ack+' | 'ack-' | 'uptr+' | 'urgf+' | 'pushf+'
  | 'ts1-' | 'ts2+' | 'opt+' | 'exws' | 'bad';

/** Bit values, identical to p0f's QUIRK_* so masks compare the same way. */
export const Q = {
  ECN: 0x00000001,
  DF: 0x00000002,
  NZ_ID: 0x00000004,
  ZERO_ID: 0x00000008,
  NZ_MBZ: 0x00000010,
  FLOW: 0x00000020,
  ZERO_SEQ: 0x00001000,
  NZ_ACK: 0x00002000,
  ZERO_ACK: 0x00004000,
  NZ_URG: 0x00008000,
  URG: 0x00010000,
  PUSH: 0x00020000,
  OPT_ZERO_TS1: 0x01000000,
  OPT_NZ_TS2: 0x02000000,
  OPT_EOL_NZ: 0x04000000,
  OPT_EXWS: 0x08000000,
  OPT_BAD: 0x10000000,
} as const;

/** Quirks in the order p0f's dump_sig prints them (fp_tcp.c), with their bits. */
export const QUIRK_ORDER: readonly (readonly [Quirk, number])[] = [
  ['df', Q.DF], ['id+', Q.NZ_ID], ['id-', Q.ZERO_ID], ['ecn', Q.ECN], ['0+', Q.NZ_MBZ], ['flow', Q.FLOW],
  ['seq-', Q.ZERO_SEQ], ['ack+', Q.NZ_ACK], ['ack-', Q.ZERO_ACK], ['uptr+', Q.NZ_URG], ['urgf+', Q.URG], ['pushf+', Q.PUSH],
  ['ts1-', Q.OPT_ZERO_TS1], ['ts2+', Q.OPT_NZ_TS2], ['opt+', Q.OPT_EOL_NZ], ['exws', Q.OPT_EXWS], ['bad', Q.OPT_BAD],
];

/** Quirks that are IPv4-only in a signature (p0f rejects them on a `6:` signature). */
export const IPV4_ONLY_QUIRKS = Q.DF | Q.NZ_ID | Q.ZERO_ID | Q.NZ_MBZ;

const textCache = new Map<number, string>();

/** The comma-separated quirk list of a mask, in p0f's order ("" for none). Cached: the set of masks seen is small. */
export function quirksText(mask: number): string {
  let s = textCache.get(mask);
  if (s !== undefined) return s;
  s = '';
  for (const [name, bit] of QUIRK_ORDER) if (mask & bit) s = s.length > 0 ? `${s},${name}` : name;
  if (textCache.size < 4096) textCache.set(mask, s);
  return s;
}

/** The quirk names set in a mask, in p0f's order. */
export function quirkNames(mask: number): Quirk[] {
  const out: Quirk[] = [];
  for (const [name, bit] of QUIRK_ORDER) if (mask & bit) out.push(name);
  return out;
}
