// Turns a SynObservation into p0f's packet signature: quirks, TCP option layout, MSS/WS/TS, exactly as parse_packet does.
import { TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from '../domain/observation.ts';
import type { SynObservation } from '../domain/observation.ts';
import { Q } from './quirks.ts';
import { MAX_TCP_OPT } from './tcp-sig.ts';

/** The facts p0f matches on (its `struct packet_data` + `struct tcp_sig` of a packet). Reused between packets. */
export interface PacketSig {
  /** 4 or 6. */
  ver: 4 | 6;
  /** SYN/ACK/FIN/RST bits of the flags (p0f's tcp_type). */
  tcpType: number;
  /** Observed TTL / hop limit. */
  ttl: number;
  /** DSCP (TOS >> 2), which p0f prints as tos:0xNN. */
  tos: number;
  /** Quirk mask. */
  quirks: number;
  /** Quirks that could not be observed (seq-, ack+, ack- on log lines without sequence numbers): not compared. */
  unknownQuirks: number;
  /** IPv4 option bytes. */
  olen: number;
  /** Option kinds in wire order (first `optCnt` entries are valid). */
  layout: Uint8Array;
  /** Number of options recorded (at most 24). */
  optCnt: number;
  /** Grouping key of the layout (see tcp-sig layoutKeyOf). */
  layoutKey: string;
  /** A small number standing for (layoutKey, eolPad), or -1 when the intern table is full; keys the match cache. */
  layoutId: number;
  /** Bytes after EOL. */
  eolPad: number;
  /** MSS option value, 0 when absent. */
  mss: number;
  /** Window scale value, 0 when absent. */
  wscale: number;
  /** Own timestamp, 0 when absent. */
  ts1: number;
  /** Raw window. */
  win: number;
  /** 1 when the segment carries payload. */
  pclass: 0 | 1;
  /** IP + TCP header bytes. */
  totHdr: number;
  /** Always 'value': a packet carries a literal window (lets a PacketSig be matched directly). */
  readonly winKind: 'value';
}

/** A fresh, reusable PacketSig. */
export function emptyPacketSig(): PacketSig {
  const ps: PacketSig = {
    ver: 4, tcpType: 0, ttl: 0, tos: 0, quirks: 0, unknownQuirks: 0, olen: 0, layout: new Uint8Array(MAX_TCP_OPT), optCnt: 0, layoutKey: '', layoutId: -1,
    eolPad: 0, mss: 0, wscale: 0, ts1: 0, win: 0, pclass: 0, totHdr: 0, winKind: 'value',
  };
  // the timestamp is 32-bit unsigned: start the field as a double so hot code is not deoptimized at the first large one
  ps.ts1 = 2 ** 32 + 0.5;
  ps.ts1 = 0;
  return ps;
}

/** Whether p0f drops the segment for a nonsensical flag combination (NULL, SYN+FIN, SYN+RST, FIN+RST). */
export function sillyFlags(flags: number): boolean {
  const type = flags & (TCP_SYN | TCP_ACK | TCP_FIN | TCP_RST);
  return type === 0 || ((flags & TCP_SYN) !== 0 && (flags & (TCP_FIN | TCP_RST)) !== 0) || ((flags & TCP_FIN) !== 0 && (flags & TCP_RST) !== 0);
}

/** An interned layout: its option kinds, EOL padding, key text and id. */
interface LayoutRef {
  kinds: Uint8Array;
  eolPad: number;
  key: string;
  id: number;
  next: LayoutRef | null;
}

const MAX_LAYOUTS = 65536;
/** Interned layouts by a 32-bit hash of kinds and padding (chained), so a known layout costs no string building. */
const layouts = new Map<number, LayoutRef>();
let layoutCount = 0;

function keyText(layout: Uint8Array, n: number): string {
  let k = '';
  for (let i = 0; i < n; i++) k += i === 0 ? String(layout[i]) : `,${layout[i]!}`;
  return k;
}

function sameLayout(r: LayoutRef, layout: Uint8Array, n: number, eolPad: number): boolean {
  if (r.eolPad !== eolPad || r.kinds.length !== n) return false;
  for (let i = 0; i < n; i++) if (r.kinds[i] !== layout[i]) return false;
  return true;
}

/** The option kinds of the packet being read, also as words (4 kinds each, unused bytes of the last word zero). */
const KINDS = new Uint8Array(MAX_TCP_OPT);
const KINDS32 = new Int32Array(KINDS.buffer);

/**
 * Most recently seen layouts by the low bits of their hash: per slot the layout's id (-1: none), its kind count and
 * padding as one word, then its kinds as words (RECENT_ROW words in all), and its key text apart. Most packets are
 * answered here by comparing a few words, without the Map and without touching a LayoutRef object.
 */
const RECENT_ROW = 2 + MAX_TCP_OPT / 4;
const recentRows = new Int32Array(1024 * RECENT_ROW).fill(-1);
const recentKeys = new Array<string>(1024).fill('');

/**
 * Sets `ps.layoutId` and `ps.layoutKey` for the `n` option kinds in KINDS (also in `layout`) and their EOL padding
 * (`h`: the running hash of the kinds); past MAX_LAYOUTS distinct layouts (a flood of odd packets) the id is -1.
 */
function internLayout(ps: PacketSig, layout: Uint8Array, n: number, eolPad: number, h: number): void {
  h = Math.imul(h ^ (n << 8) ^ eolPad, 0x9e3779b1);
  h ^= h >>> 16;
  const slot = h & 1023;
  const r = slot * RECENT_ROW;
  const words = (n + 3) >> 2;
  // clear the bytes after the last kind in its word (left from a longer layout)
  for (let i = n; i < words * 4; i++) KINDS[i] = 0;
  if (recentRows[r + 1] === (n | (eolPad << 8))) {
    let same = true;
    for (let i = 0; i < words; i++) {
      if (KINDS32[i] !== recentRows[r + 2 + i]) {
        same = false;
        break;
      }
    }
    if (same) {
      ps.layoutId = recentRows[r]!;
      ps.layoutKey = recentKeys[slot]!;
      return;
    }
  }
  const head = layouts.get(h);
  let ref: LayoutRef | null = null;
  for (let c: LayoutRef | null = head ?? null; c; c = c.next) {
    if (sameLayout(c, layout, n, eolPad)) {
      ref = c;
      break;
    }
  }
  if (!ref) {
    ref = { kinds: layout.slice(0, n), eolPad, key: keyText(layout, n), id: -1, next: head ?? null };
    if (layoutCount < MAX_LAYOUTS) {
      ref.id = layoutCount++;
      layouts.set(h, ref);
    }
  }
  ps.layoutId = ref.id;
  ps.layoutKey = ref.key;
  if (ref.id < 0) return;
  recentRows[r] = ref.id;
  recentRows[r + 1] = n | (eolPad << 8);
  for (let i = 0; i < words; i++) recentRows[r + 2 + i] = KINDS32[i]!;
  recentKeys[slot] = ref.key;
}

/** Fills `ps` from `o` with p0f's quirk rules (process.c parse_packet). */
export function toPacketSig(o: SynObservation, ps: PacketSig): PacketSig {
  let q = 0;
  const flags = o.flags;
  ps.ver = o.family;
  ps.tcpType = flags & (TCP_SYN | TCP_ACK | TCP_FIN | TCP_RST);
  ps.ttl = o.ttl;
  if (o.family === 4) {
    ps.tos = o.tos >> 2;
    if (o.ecnKnown && (o.tos & 3) !== 0) q |= Q.ECN;
    if (o.mbz) q |= Q.NZ_MBZ;
    if (o.df) {
      q |= Q.DF;
      if (o.ipId !== 0) q |= Q.NZ_ID;
    } else if (o.ipId === 0) {
      q |= Q.ZERO_ID;
    }
    ps.olen = o.ipOptLen;
  } else {
    ps.tos = (o.tos >> 2) & 0x3f;
    if (o.flowLabel !== 0) q |= Q.FLOW;
    if (o.ecnKnown && (o.tos & 3) !== 0) q |= Q.ECN;
    ps.olen = 0;
  }
  if ((flags & (TCP_ECE | TCP_CWR)) !== 0 || o.ns) q |= Q.ECN;
  let unknown = 0;
  if (o.seq === null) unknown |= Q.ZERO_SEQ;
  else if (o.seq === 0) q |= Q.ZERO_SEQ;
  if (o.ack === null) {
    unknown |= Q.ZERO_ACK | Q.NZ_ACK;
  } else if (flags & TCP_ACK) {
    if (o.ack === 0) q |= Q.ZERO_ACK;
  } else if ((flags & TCP_RST) === 0 && ((o.ack >>> 24) & 1) !== 0) {
    // p0f tests RD32(ack) & !(flags & RST): a native little-endian read, so only bit 0 of the first byte on the wire
    q |= Q.NZ_ACK;
  }
  ps.unknownQuirks = unknown;
  if (flags & TCP_URG) q |= Q.URG;
  else if (o.urg !== 0) q |= Q.NZ_URG;
  if (flags & TCP_PSH) q |= Q.PUSH;

  ps.win = o.win;
  ps.pclass = o.payloadLen > 0 ? 1 : 0;
  ps.totHdr = o.headerLen & 0xffff;

  // TCP options (process.c): problems are quirks, never errors
  const opt = o.buf;
  const end = o.optOff + o.optLen;
  const layout = ps.layout;
  let d = o.optOff;
  let cnt = 0;
  let eolPad = 0;
  let mss = 0;
  let wscale = 0;
  let ts1 = 0;
  let aborted = false;
  let lh = 0x811c9dc5;
  scan: while (d < end && cnt < MAX_TCP_OPT) {
    const kind = opt[d++]!;
    KINDS[cnt] = kind;
    layout[cnt++] = kind;
    lh = Math.imul(lh ^ kind, 0x01000193);
    switch (kind) {
      case 0: {
        eolPad = end - d;
        // p0f stops at the first non-zero padding byte and flags opt+ only when bytes follow it
        while (d < end) {
          if (opt[d++] !== 0) break;
        }
        if (d !== end) {
          q |= Q.OPT_EOL_NZ;
          d = end;
        }
        break;
      }
      case 1:
        break;
      case 2:
        if (d + 3 > end) { aborted = true; break scan; }
        if (opt[d] !== 4) q |= Q.OPT_BAD;
        mss = (opt[d + 1]! << 8) | opt[d + 2]!;
        d += 3;
        break;
      case 3:
        if (d + 2 > end) { aborted = true; break scan; }
        if (opt[d] !== 3) q |= Q.OPT_BAD;
        wscale = opt[d + 1]!;
        if (wscale > 14) q |= Q.OPT_EXWS;
        d += 2;
        break;
      case 4:
        if (d + 1 > end) { aborted = true; break scan; }
        if (opt[d] !== 2) q |= Q.OPT_BAD;
        d++;
        break;
      case 5: {
        if (d === end) { aborted = true; break scan; }
        const len = opt[d]!;
        if (len < 10 || len > 34 || d - 1 + len > end) { aborted = true; break scan; }
        d += len - 1;
        break;
      }
      case 8:
        if (d + 9 > end) { aborted = true; break scan; }
        if (opt[d] !== 10) q |= Q.OPT_BAD;
        ts1 = ((opt[d + 1]! << 24) | (opt[d + 2]! << 16) | (opt[d + 3]! << 8) | opt[d + 4]!) >>> 0;
        if (ts1 === 0) q |= Q.OPT_ZERO_TS1;
        if (ps.tcpType === TCP_SYN && (opt[d + 5]! | opt[d + 6]! | opt[d + 7]! | opt[d + 8]!) !== 0) q |= Q.OPT_NZ_TS2;
        d += 9;
        break;
      default: {
        if (d === end) { aborted = true; break scan; }
        const len = opt[d]!;
        if (len < 2 || len > 40 || d - 1 + len > end) { aborted = true; break scan; }
        d += len - 1;
      }
    }
  }
  if (aborted || d !== end) q |= Q.OPT_BAD;

  ps.optCnt = cnt;
  internLayout(ps, layout, cnt, eolPad, lh);
  ps.eolPad = eolPad;
  ps.mss = mss;
  ps.wscale = wscale;
  ps.ts1 = ts1;
  ps.quirks = q;
  return ps;
}
