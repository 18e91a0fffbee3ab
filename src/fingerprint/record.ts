// A self-contained JSON record of one SYN / SYN+ACK fingerprint (for --format json/ndjson, the store and the API).
import { formatIpv4, formatIpv6 } from '../domain/address.ts';
import { obsOptions } from '../domain/observation.ts';
import type { ObservationVia } from '../domain/observation.ts';
import type { SignatureDb } from './database.ts';
import type { TcpEvent } from './engine.ts';
import { quirkNames } from './quirks.ts';
import type { Quirk } from './quirks.ts';
import { muonfp, paramsText, rawSig } from './raw-sig.ts';
import { qualityOf } from './tcp-match.ts';
import type { MatchQuality } from './tcp-match.ts';
import { layoutText } from './tcp-sig.ts';

/** One fingerprint, detached from the packet buffer. */
export interface FingerprintRecord {
  /** Packet time, ISO 8601 UTC with milliseconds. */
  time: string;
  /** Packet time in ms since the epoch. */
  timeMs: number;
  /** 'syn' (the client is fingerprinted) or 'syn+ack' (the server is). */
  mode: 'syn' | 'syn+ack';
  /** p0f-sendsyn probe or response. */
  sendsyn: boolean;
  /** 4 or 6. */
  family: 4 | 6;
  /** Connection initiator (canonical address text). */
  client: { ip: string; port: number };
  /** Connection target. */
  server: { ip: string; port: number };
  /** The fingerprinted host (client for SYN, server for SYN+ACK). */
  subject: string;
  /** p0f label "type:class:name:flavor", or null when nothing matched. */
  label: string | null;
  /** "unix", "win", "other", "!" (tool), or null. */
  class: string | null;
  /** OS or tool name. */
  name: string | null;
  /** Flavor, or null. */
  flavor: string | null;
  /** exact / generic / fuzzy / none. */
  quality: MatchQuality;
  /** A tool ("!" class) rather than an OS. */
  tool: boolean;
  /** Hop distance as p0f reports it. */
  dist: number;
  /** `dist` is an upper bound (the tool randomises its TTL). */
  distIsBound: boolean;
  /** p0f params words (generic, fuzzy, random_ttl, excess_dist, tos:0xNN). */
  params: string[];
  /** p0f raw_sig. */
  rawSig: string;
  /** MuonFP `window:options:mss:wscale`. */
  muonfp: string;
  /** The signature that matched: file, line and text. */
  signature: { file: string; line: number; sig: string } | null;
  /** Observed TTL / hop limit. */
  ttl: number;
  /** TCP window. */
  window: number;
  /** MSS option value (null when absent). */
  mss: number | null;
  /** Window scale (null when the option is absent). */
  wscale: number | null;
  /** p0f olayout of the options. */
  options: string;
  /** Quirks in p0f's order. */
  quirks: Quirk[];
  /** MTU from the MSS (null without MSS). */
  mtu: number | null;
  /** Link type from the MTU (null when unknown). */
  link: string | null;
  /** Where the packet came from. */
  via: ObservationVia;
  /** Interface, when known. */
  iface: string | null;
}

function addrText(b: Uint8Array, off: number, family: 4 | 6): string {
  return family === 4 ? formatIpv4(b, off) : formatIpv6(b, off);
}

/** Builds the detached record of a TCP event. */
export function toRecord(ev: TcpEvent, db: SignatureDb): FingerprintRecord {
  const o = ev.obs;
  const ps = ev.ps;
  const m = ev.match;
  const r = m.record;
  const l = r?.entry.label;
  const syn = ev.mode === 'syn';
  const src = { ip: addrText(o.buf, o.srcOff, o.family), port: o.sport };
  const dst = { ip: addrText(o.buf, o.dstOff, o.family), port: o.dport };
  const client = syn ? src : dst;
  const server = syn ? dst : src;
  const hasMss = ps.layout.subarray(0, ps.optCnt).includes(2);
  const hasWs = ps.layout.subarray(0, ps.optCnt).includes(3);
  const mtu = hasMss && ps.mss > 0 ? ps.mss + (ps.ver === 4 ? 40 : 60) : null;
  const params = paramsText(m, ps.tos);
  return {
    time: new Date(o.time).toISOString(),
    timeMs: o.time,
    mode: ev.mode,
    sendsyn: ev.sendsyn,
    family: ps.ver,
    client,
    server,
    subject: syn ? client.ip : server.ip,
    label: l ? l.text : null,
    class: l ? l.cls : null,
    name: l ? l.name : null,
    flavor: l ? l.flavor : null,
    quality: qualityOf(m),
    tool: r?.tool ?? false,
    dist: m.dist,
    distIsBound: r?.sig.badTtl ?? false,
    params: params === 'none' ? [] : params.split(' '),
    rawSig: rawSig(ps, ev.synMss),
    muonfp: muonfp(ps.win, obsOptions(o)),
    signature: r ? { file: r.entry.file, line: r.entry.line, sig: r.entry.text } : null,
    ttl: ps.ttl,
    window: ps.win,
    mss: hasMss ? ps.mss : null,
    wscale: hasWs ? ps.wscale : null,
    options: layoutText(ps.layout, ps.optCnt, ps.eolPad),
    quirks: quirkNames(ps.quirks),
    mtu,
    link: mtu !== null ? db.link(mtu) : null,
    via: o.via,
    iface: o.iface || null,
  };
}
