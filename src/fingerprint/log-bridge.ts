// Firewall LOG lines with TCP options (--log-tcp-options) → the same SynObservation a captured SYN gives, for the same matcher.
import { parseIp } from '../domain/address.ts';
import type { PacketEvent } from '../domain/events.ts';
import { emptyObservation, TCP_SYN } from '../domain/observation.ts';
import type { SynObservation } from '../domain/observation.ts';
import type { SignatureDb } from './database.ts';
import { P0fEngine, P0F_LIMITS } from './engine.ts';
import type { EngineLimits, EngineSink } from './engine.ts';

/** Why a log line gave no observation. */
export type BridgeSkip = 'not-tcp-syn' | 'no-tcp-options' | 'bad-options' | 'bad-address';

function hexBytes(hex: string, out: Uint8Array, at: number): number {
  let n = 0;
  let hi = -1;
  for (let i = 0; i < hex.length; i++) {
    const c = hex.charCodeAt(i);
    let v: number;
    if (c >= 48 && c <= 57) v = c - 48;
    else if (c >= 65 && c <= 70) v = c - 55;
    else if (c >= 97 && c <= 102) v = c - 87;
    else if (c === 32) continue;
    else return -1;
    if (hi < 0) hi = v;
    else {
      out[at + n++] = (hi << 4) | v;
      hi = -1;
    }
  }
  return hi < 0 ? n : -1;
}

/**
 * Builds the observation of a logged SYN or SYN+ACK. The kernel's LOG target prints everything p0f looks at except
 * the sequence and acknowledgement numbers (unless --log-tcp-sequence) and the low ECN bit of the IPv4 TOS byte:
 * the quirks that depend on them (seq-, ack+, ack-) are marked unknown and left out of the comparison, so NMap's
 * OS-detection probes still match their ack+ signatures. Returns the reason when a line cannot be fingerprinted.
 */
export function observationFromEvent(ev: PacketEvent, o: SynObservation = emptyObservation('log')): SynObservation | BridgeSkip {
  if (ev.proto !== 6 || ev.flags === undefined || (ev.flags & TCP_SYN) === 0 || ev.sport === undefined || ev.dport === undefined) {
    return 'not-tcp-syn';
  }
  if (ev.tcpOptions === undefined) return 'no-tcp-options';
  const src = parseIp(ev.src);
  const dst = parseIp(ev.dst);
  if (!src || !dst || src.family !== ev.family || dst.family !== ev.family) return 'bad-address';
  const n = src.bytes.length;
  const buf = new Uint8Array(2 * n + ((ev.tcpOptions.length + 1) >> 1));
  buf.set(src.bytes, 0);
  buf.set(dst.bytes, n);
  const optLen = hexBytes(ev.tcpOptions, buf, 2 * n);
  if (optLen < 0 || optLen > 40) return 'bad-options';
  const ipOptLen = ev.family === 4 && ev.ipOptions ? Math.max(0, hexBytes(ev.ipOptions, new Uint8Array(60), 0)) : 0;
  const ipHdr = ev.family === 4 ? 20 + ipOptLen : 40;
  const tcpHdr = 20 + optLen;
  o.time = ev.time;
  o.timeMicros = 0;
  o.family = ev.family;
  o.buf = buf;
  o.srcOff = 0;
  o.dstOff = n;
  o.sport = ev.sport;
  o.dport = ev.dport;
  o.ttl = ev.ttl;
  // LOG prints TOS and PREC as separate masks of the same byte; together they give the DSCP and the ECT(0) bit
  o.tos = ev.family === 4 ? (ev.tos | (ev.prec ?? 0)) & 0xff : ev.tos & 0xff;
  o.ecnKnown = true;
  o.ipOptLen = ev.family === 4 ? ipOptLen : 0;
  o.df = ev.df;
  o.mbz = ev.ce;
  o.ipId = ev.ipId;
  o.flowLabel = ev.flowLabel ?? 0;
  o.extHeaderLen = 0;
  o.headerLen = ipHdr + tcpHdr;
  o.flags = ev.flags;
  // RES= prints the four reserved bits shifted left by two; the lowest of them is NS
  o.ns = ((ev.res ?? 0) & 0x04) !== 0;
  o.seq = ev.seq ?? null;
  o.ack = ev.ack === undefined ? null : ev.ack >>> 0;
  o.urg = ev.urgp ?? 0;
  o.win = ev.window ?? 0;
  o.payloadLen = Math.max(0, ev.len - ipHdr - tcpHdr);
  o.optOff = 2 * n;
  o.optLen = optLen;
  o.via = 'log';
  o.iface = ev.inIf;
  return o;
}

/** Counters of a LogFingerprinter. */
export interface BridgeStats {
  /** Events offered. */
  events: number;
  /** Events fingerprinted. */
  fingerprinted: number;
  /** Events skipped, by reason. */
  skipped: Record<BridgeSkip, number>;
}

/**
 * Runs logged SYNs through the p0f engine, in event order, with the engine's flow bookkeeping (a retransmitted SYN
 * with a logged sequence number is reported once, as p0f would).
 */
export class LogFingerprinter {
  readonly stats: BridgeStats = { events: 0, fingerprinted: 0, skipped: { 'not-tcp-syn': 0, 'no-tcp-options': 0, 'bad-options': 0, 'bad-address': 0 } };
  readonly engine: P0fEngine;
  readonly #obs = emptyObservation('log');

  constructor(db: SignatureDb, sink: EngineSink, limits: EngineLimits = P0F_LIMITS) {
    this.engine = new P0fEngine(db, sink, limits);
  }

  /** Offers one event; returns whether it was fingerprinted. */
  push(ev: PacketEvent): boolean {
    this.stats.events++;
    const o = observationFromEvent(ev, this.#obs);
    if (typeof o === 'string') {
      this.stats.skipped[o]++;
      return false;
    }
    this.stats.fingerprinted++;
    this.engine.process(o);
    return true;
  }
}
