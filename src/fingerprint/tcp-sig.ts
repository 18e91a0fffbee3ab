// Parses a p0f.fp `sig = ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass` value exactly as tcp_register_sig does.
import { IPV4_ONLY_QUIRKS, Q, quirksText } from './quirks.ts';

/** How a signature constrains the TCP window. */
export type WindowSpec =
  | { kind: 'any' }
  /** A literal window value. */
  | { kind: 'value'; n: number }
  /** `%N`: any multiple of N. */
  | { kind: 'mod'; n: number }
  /** `mss*N`: N times the MSS (or one of p0f's alternative divisors). */
  | { kind: 'mss'; n: number }
  /** `mtu*N`: N times the MTU. */
  | { kind: 'mtu'; n: number };

/** TCP option kinds p0f names in olayout. */
export const OPT = { EOL: 0, NOP: 1, MSS: 2, WS: 3, SOK: 4, SACK: 5, TS: 8 } as const;

/** Maximum number of options p0f records (MAX_TCP_OPT). */
export const MAX_TCP_OPT = 24;

/** A parsed TCP signature. */
export interface TcpSignature {
  /** IP version, or null for `*`. */
  ver: 4 | 6 | null;
  /** Initial TTL (`N+D` already added up). */
  ttl: number;
  /** `N-`: the tool randomises its TTL; a packet TTL above N rules the signature out. */
  badTtl: boolean;
  /** IPv4 option bytes. */
  olen: number;
  /** MSS, or null for `*`. */
  mss: number | null;
  /** Window constraint. */
  win: WindowSpec;
  /** Window scale, or null for `*`. */
  scale: number | null;
  /** Option kinds in order (EOL as 0, `?N` as N). */
  layout: readonly number[];
  /** `layout` joined, the grouping key p0f hashes. */
  layoutKey: string;
  /** Padding bytes after EOL (`eol+N`). */
  eolPad: number;
  /** Quirk bit mask (see quirks.ts). */
  quirks: number;
  /** Payload class: 0 none, 1 some, null `*`. */
  pclass: 0 | 1 | null;
}

/** A signature text that p0f would refuse; `message` says what is wrong. */
export class SigSyntaxError extends Error {
  override readonly name = 'SigSyntaxError';
}

const QUIRK_TOKENS: readonly (readonly [string, number])[] = [
  ['df', Q.DF], ['id+', Q.NZ_ID], ['id-', Q.ZERO_ID], ['ecn', Q.ECN], ['0+', Q.NZ_MBZ], ['flow', Q.FLOW],
  ['seq-', Q.ZERO_SEQ], ['ack+', Q.NZ_ACK], ['ack-', Q.ZERO_ACK], ['uptr+', Q.NZ_URG], ['urgf+', Q.URG],
  ['pushf+', Q.PUSH], ['ts1-', Q.OPT_ZERO_TS1], ['ts2+', Q.OPT_NZ_TS2], ['opt+', Q.OPT_EOL_NZ], ['exws', Q.OPT_EXWS],
  ['bad', Q.OPT_BAD],
];

/** Layout key of an option kind list (the same for signatures and packets). */
export function layoutKeyOf(layout: ArrayLike<number>, count = layout.length): string {
  let s = '';
  for (let i = 0; i < count; i++) s += i === 0 ? String(layout[i]) : `,${layout[i]!}`;
  return s;
}

/**
 * A cursor over the value that reads like p0f's C parser: past the end it sees NUL, digit runs read as `atol` would
 * (an empty run is 0), so quirks of the original grammar (such as `64-:` swallowing the next character) carry over.
 */
class Cursor {
  pos = 0;
  readonly s: string;
  constructor(s: string) {
    this.s = s;
  }
  at(i: number): string {
    return i < this.s.length ? this.s[i]! : '\0';
  }
  /** Index after the digit run starting at `from`. */
  digitsEnd(from: number): number {
    let i = from;
    while (i < this.s.length && this.s.charCodeAt(i) >= 48 && this.s.charCodeAt(i) <= 57) i++;
    return i;
  }
  /** atol() of the digit run at `from` (0 when empty; saturates like strtol on overflow). */
  num(from: number): number {
    const end = this.digitsEnd(from);
    if (end === from) return 0;
    const n = Number(this.s.slice(from, end));
    return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
  }
  startsWith(t: string): boolean {
    return this.s.startsWith(t, this.pos);
  }
}

/** Parses one TCP `sig` value; throws SigSyntaxError with p0f's reason when the value is malformed. */
export function parseTcpSig(value: string): TcpSignature {
  const c = new Cursor(value);
  const fail = (why: string): never => {
    throw new SigSyntaxError(why);
  };

  let ver: 4 | 6 | null;
  switch (c.at(0)) {
    case '4': ver = 4; break;
    case '6': ver = 6; break;
    case '*': ver = null; break;
    default: return fail('unrecognized IP version (expected 4, 6 or *)');
  }
  if (c.at(1) !== ':') fail('malformed signature: expected ":" after the IP version');
  c.pos = 2;

  // initial TTL: N, N+D or N-
  let nxt = c.digitsEnd(c.pos);
  const sep = c.at(nxt);
  if (sep !== ':' && sep !== '+' && sep !== '-') fail('malformed signature: bad initial TTL field');
  let ttl = c.num(c.pos);
  if (ttl < 1 || ttl > 255) fail('bogus initial TTL (must be 1–255)');
  c.pos = nxt + 1;
  let badTtl = false;
  if (sep === '-' && c.at(nxt + 1) === ':') {
    badTtl = true;
    // p0f steps two further here, skipping the first character of olen (which then reads as 0)
    c.pos += 2;
  } else if (sep === '+') {
    nxt = c.digitsEnd(nxt + 1);
    if (c.at(nxt) !== ':') fail('malformed signature: bad TTL distance after "+"');
    const add = c.num(c.pos);
    if (ttl + add > 255) fail('bogus initial TTL (N+D above 255)');
    ttl += add;
    c.pos = nxt + 1;
  }

  // IP options length
  nxt = c.digitsEnd(c.pos);
  if (c.at(nxt) !== ':') fail('malformed signature: bad IP option length field');
  const olen = c.num(c.pos);
  if (olen > 255) fail('bogus IP option length (must be 0–255)');
  c.pos = nxt + 1;

  // MSS
  let mss: number | null;
  if (c.at(c.pos) === '*' && c.at(c.pos + 1) === ':') {
    mss = null;
    c.pos += 2;
  } else {
    nxt = c.digitsEnd(c.pos);
    if (c.at(nxt) !== ':') fail('malformed signature: bad MSS field');
    mss = c.num(c.pos);
    if (mss > 65535) fail('bogus MSS (must be 0–65535)');
    c.pos = nxt + 1;
  }

  // window size, then a comma
  let win: WindowSpec;
  if (c.at(c.pos) === '*' && c.at(c.pos + 1) === ',') {
    win = { kind: 'any' };
    c.pos += 2;
  } else if (c.at(c.pos) === '%') {
    c.pos++;
    nxt = c.digitsEnd(c.pos);
    if (c.at(nxt) !== ',') fail('malformed signature: bad "%" window field');
    const n = c.num(c.pos);
    if (n < 2 || n > 65535) fail('bogus "%" window value (must be 2–65535)');
    win = { kind: 'mod', n };
    c.pos = nxt + 1;
  } else if (c.startsWith('mss*') || c.startsWith('mtu*')) {
    const kind = c.at(c.pos + 1) === 's' ? 'mss' : 'mtu';
    c.pos += 4;
    nxt = c.digitsEnd(c.pos);
    if (c.at(nxt) !== ',') fail(`malformed signature: bad ${kind}* window field`);
    const n = c.num(c.pos);
    if (n < 1 || n > 1000) fail('bogus MSS/MTU window multiplier (must be 1–1000)');
    win = { kind, n };
    c.pos = nxt + 1;
  } else {
    nxt = c.digitsEnd(c.pos);
    if (c.at(nxt) !== ',') fail('malformed signature: bad window size field');
    const n = c.num(c.pos);
    if (n > 65535) fail('bogus window size (must be 0–65535)');
    win = { kind: 'value', n };
    c.pos = nxt + 1;
  }

  // window scale
  let scale: number | null;
  if (c.at(c.pos) === '*' && c.at(c.pos + 1) === ':') {
    scale = null;
    c.pos += 2;
  } else {
    nxt = c.digitsEnd(c.pos);
    if (c.at(nxt) !== ':') fail('malformed signature: bad window scale field');
    scale = c.num(c.pos);
    if (scale > 255) fail('bogus window scale (must be 0–255)');
    c.pos = nxt + 1;
  }

  // option layout
  const layout: number[] = [];
  let eolPad = 0;
  while (c.at(c.pos) !== ':') {
    if (layout.length >= MAX_TCP_OPT) fail(`too many TCP options (at most ${MAX_TCP_OPT})`);
    if (c.startsWith('eol')) {
      layout.push(OPT.EOL);
      c.pos += 3;
      if (c.at(c.pos) !== '+') fail('malformed EOL option (expected eol+N)');
      c.pos++;
      nxt = c.digitsEnd(c.pos);
      if (c.at(nxt) === '\0') fail('truncated options');
      if (c.at(nxt) !== ':') fail('EOL must be the last option');
      eolPad = c.num(c.pos);
      if (eolPad > 255) fail('bogus EOL padding (must be 0–255)');
      c.pos = nxt;
    } else if (c.startsWith('nop')) {
      layout.push(OPT.NOP); c.pos += 3;
    } else if (c.startsWith('mss')) {
      layout.push(OPT.MSS); c.pos += 3;
    } else if (c.startsWith('ws')) {
      layout.push(OPT.WS); c.pos += 2;
    } else if (c.startsWith('sok')) {
      layout.push(OPT.SOK); c.pos += 3;
    } else if (c.startsWith('sack')) {
      layout.push(OPT.SACK); c.pos += 4;
    } else if (c.startsWith('ts')) {
      layout.push(OPT.TS); c.pos += 2;
    } else if (c.at(c.pos) === '?') {
      c.pos++;
      nxt = c.digitsEnd(c.pos);
      if (c.at(nxt) !== ':' && c.at(nxt) !== ',') fail('malformed "?" option');
      const n = c.num(c.pos);
      if (n > 255) fail('bogus "?" option (must be 0–255)');
      layout.push(n);
      c.pos = nxt;
    } else {
      fail(`unrecognized TCP option at "${value.slice(c.pos, c.pos + 8)}"`);
    }
    if (c.at(c.pos) === ':') break;
    if (c.at(c.pos) !== ',') fail('malformed TCP options (expected "," or ":")');
    c.pos++;
  }
  c.pos++;

  // quirks
  let quirks = 0;
  while (c.at(c.pos) !== ':') {
    let hit: readonly [string, number] | undefined;
    for (const t of QUIRK_TOKENS) {
      if (c.startsWith(t[0])) { hit = t; break; }
    }
    if (!hit) return fail(`unrecognized quirk at "${value.slice(c.pos, c.pos + 8)}"`);
    if (ver === 6 && (hit[1] & IPV4_ONLY_QUIRKS)) fail(`"${hit[0]}" is not valid for IPv6`);
    if (ver === 4 && hit[1] === Q.FLOW) fail('"flow" is not valid for IPv4');
    quirks |= hit[1];
    c.pos += hit[0].length;
    if (c.at(c.pos) === ':') break;
    if (c.at(c.pos) !== ',') fail('malformed quirks (expected "," or ":")');
    c.pos++;
  }
  c.pos++;

  // payload class: the rest of the value, exactly
  const rest = c.pos <= value.length ? value.slice(c.pos) : '';
  let pclass: 0 | 1 | null;
  if (rest === '*') pclass = null;
  else if (rest === '0') pclass = 0;
  else if (rest === '+') pclass = 1;
  else return fail('malformed payload class (expected 0, + or *)');

  return { ver, ttl, badTtl, olen, mss, win, scale, layout, layoutKey: layoutKeyOf(layout), eolPad, quirks, pclass };
}

const OPT_NAMES: Readonly<Record<number, string>> = { 1: 'nop', 2: 'mss', 3: 'ws', 4: 'sok', 5: 'sack', 8: 'ts' };

/** The olayout text of an option list ("mss,sok,ts,nop,ws", "eol+N" for EOL, "?N" for others). */
export function layoutText(layout: ArrayLike<number>, count: number, eolPad: number): string {
  let s = '';
  for (let i = 0; i < count; i++) {
    const k = layout[i]!;
    const t = k === 0 ? `eol+${eolPad}` : (OPT_NAMES[k] ?? `?${k}`);
    s += i === 0 ? t : `,${t}`;
  }
  return s;
}

/** Renders a parsed signature back to p0f.fp text (N+D forms are printed added up). */
export function formatTcpSig(sig: TcpSignature): string {
  const w = sig.win;
  const win = w.kind === 'any' ? '*' : w.kind === 'value' ? String(w.n) : w.kind === 'mod' ? `%${w.n}` : `${w.kind}*${w.n}`;
  return [
    sig.ver === null ? '*' : String(sig.ver),
    `${sig.ttl}${sig.badTtl ? '-' : ''}`,
    String(sig.olen),
    sig.mss === null ? '*' : String(sig.mss),
    `${win},${sig.scale === null ? '*' : String(sig.scale)}`,
    layoutText(sig.layout, sig.layout.length, sig.eolPad),
    quirksText(sig.quirks),
    sig.pclass === null ? '*' : sig.pclass === 1 ? '+' : '0',
  ].join(':');
}
