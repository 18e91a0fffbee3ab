// p0f's raw_sig and params strings (fp_tcp.c dump_sig, dump_flags) and the MuonFP fingerprint of a packet.
import { TCP_ACK, TCP_SYN } from '../domain/observation.ts';
import type { PacketSig } from './packet-sig.ts';
import { quirksText } from './quirks.ts';
import { detectWinMulti, guessDist, MAX_DIST, winMultiOut } from './tcp-match.ts';
import type { TcpMatch } from './tcp-match.ts';
import { layoutText } from './tcp-sig.ts';

/** p0f-sendsyn's probe MSS and window (config.h SPECIAL_MSS / SPECIAL_WIN). */
export const SPECIAL_MSS = 1331;
export const SPECIAL_WIN = 1337;

/** The raw_sig p0f prints for a packet; `synMss` is the MSS of the flow's SYN (0 on SYNs). */
export function rawSig(ps: PacketSig, synMss: number): string {
  const dist = guessDist(ps.ttl);
  let s = dist > MAX_DIST ? `${ps.ver}:${ps.ttl}+?:${ps.olen}:` : `${ps.ver}:${ps.ttl}+${dist}:${ps.olen}:`;
  // a system echoing p0f-sendsyn's MSS back gets a wildcard, as p0f suggests
  s += ps.mss === SPECIAL_MSS && ps.tcpType === (TCP_SYN | TCP_ACK) ? '*:' : `${ps.mss}:`;
  const m = detectWinMulti(ps.win, ps.mss, ps.ts1, ps.ver, ps.totHdr, synMss);
  s += m > 0 ? `${winMultiOut.useMtu ? 'mtu' : 'mss'}*${m}` : String(ps.win);
  s += `,${ps.wscale}:${layoutText(ps.layout, ps.optCnt, ps.eolPad)}:${quirksText(ps.quirks)}:${ps.pclass ? '+' : '0'}`;
  return s;
}

/** p0f's params field: "generic fuzzy random_ttl excess_dist tos:0xNN" as they apply, or "none". */
export function paramsText(m: TcpMatch, tos: number): string {
  let s = '';
  if (m.record) {
    if (m.record.generic) s += ' generic';
    if (m.fuzzy) s += ' fuzzy';
    if (m.record.sig.badTtl) s += ' random_ttl';
  }
  if (m.dist > MAX_DIST) s += ' excess_dist';
  if (tos !== 0) s += ` tos:0x${tos < 16 ? '0' : ''}${tos.toString(16)}`;
  return s.length > 0 ? s.slice(1) : 'none';
}

/**
 * The MuonFP fingerprint `window:options:mss:wscale` of a segment from its raw option bytes: option kinds in wire
 * order joined by "-" (EOL included, parsing stops there), empty fields for an absent MSS or window scale.
 */
export function muonfp(win: number, options: Uint8Array): string {
  let opts = '';
  let mss = '';
  let ws = '';
  let i = 0;
  const n = options.length;
  while (i < n) {
    const kind = options[i]!;
    opts += opts.length > 0 ? `-${kind}` : String(kind);
    if (kind === 0) break;
    if (kind === 1) { i++; continue; }
    if (i + 1 >= n) break;
    const len = options[i + 1]!;
    if (kind === 2 && len === 4 && i + 4 <= n) mss = String((options[i + 2]! << 8) | options[i + 3]!);
    else if (kind === 3 && len === 3 && i + 3 <= n) ws = String(options[i + 2]!);
    if (len < 2) break;
    i += len;
  }
  return `${win}:${opts}:${mss}:${ws}`;
}
