// Between the scan table's records and the SourceState / PairState objects the store, profiles and notices use: a
// source as an object when one is asked for, and an object (loaded from the store) back into records.
import {
  P_BITS, PB_CUR, PB_CURMARKS_SHIFT, PB_LIVE, PB_LITE, PB_MARKS_SHIFT, PB_SWEEP, PB_TCP, PB_UDP, PB_WLITE, PB_WTCP, PB_WUDP, PF_FIRST,
  PF_LAST, PF_START, P_ABSNUM, P_CHAIN, P_CHAINN, P_CURFLAG, P_CURPROTOS, P_DST, P_FLAG, P_FLAGN, P_HOST, P_INTERVAL,
  P_LABEL, P_LITE, P_PACKETS, P_PREFIX, P_PREFIXN, P_SLOTS, P_TCP, P_TOTP, P_UDP, P_WLITE, P_WPROTOS, P_WTCP, P_WUDP,
  PW, protoBit, protoNames, SB_DIRTY, SB_TCPOPTS, SB_USED, SF_LAST, S_CURSID, S_CURSIG, S_DL, S_FAMILY, S_FLAGS, S_INTERVAL,
  S_PACKETS, S_PHEAD, S_SENSOR, S_SIGS, P_SIGS, S_SENSORN, SW,
} from './scan-table.ts';
import type { PairExtra, ScanTable } from './scan-table.ts';
import { cleanMarks, EMPTY_COUNTS, EMPTY_LIST, EMPTY_SIGS } from './scan-state.ts';
import type { DangerLevel } from './profile.ts';
import type { PairState, SourceSigHit, SourceState } from './scan-state.ts';
import { topCounts } from './top-n.ts';

/** [lo, hi] of a packed range, or [-1, -1] when its bit is not set. */
function lo(bits: number, bit: number, v: number): number {
  return bits & bit ? v >>> 16 : -1;
}
function hi(bits: number, bit: number, v: number): number {
  return bits & bit ? v & 0xffff : -1;
}

/** The pair as a PairState (a copy: changing it changes nothing in the table). */
export function exportPair(t: ScanTable, p: number): PairState {
  const pi = t.pi;
  const pf = t.pf;
  const o = p * PW;
  const f = o / 2;
  const b = pi[o + P_BITS]!;
  const x = t.extraOf(p);
  const chain = pi[o + P_CHAIN]!;
  const flag = pi[o + P_FLAG]!;
  const prefix = pi[o + P_PREFIX]!;
  const label = pi[o + P_LABEL]!;
  const host = pi[o + P_HOST]!;
  const curFlag = pi[o + P_CURFLAG]!;
  const names = (mask: number, more: string[] | null | undefined): string[] =>
    mask === 0 && !more?.length ? (EMPTY_LIST as string[]) : protoNames(mask, more ?? null);
  return {
    dst: t.dsts.text[pi[o + P_DST]!]!,
    live: (b & PB_LIVE) !== 0,
    start: pf[f + PF_START]!,
    absnum: pi[o + P_ABSNUM]!,
    totProtocols: pi[o + P_TOTP]!,
    slots: names(pi[o + P_SLOTS]!, x?.slots),
    wprotos: names(pi[o + P_WPROTOS]!, x?.wprotos),
    wTcpLo: lo(b, PB_WTCP, pi[o + P_WTCP]!), wTcpHi: hi(b, PB_WTCP, pi[o + P_WTCP]!),
    wUdpLo: lo(b, PB_WUDP, pi[o + P_WUDP]!), wUdpHi: hi(b, PB_WUDP, pi[o + P_WUDP]!),
    wLiteLo: lo(b, PB_WLITE, pi[o + P_WLITE]!), wLiteHi: hi(b, PB_WLITE, pi[o + P_WLITE]!),
    packets: pi[o + P_PACKETS]!,
    first: pf[f + PF_FIRST]!,
    last: pf[f + PF_LAST]!,
    tcpLo: lo(b, PB_TCP, pi[o + P_TCP]!), tcpHi: hi(b, PB_TCP, pi[o + P_TCP]!),
    udpLo: lo(b, PB_UDP, pi[o + P_UDP]!), udpHi: hi(b, PB_UDP, pi[o + P_UDP]!),
    liteLo: lo(b, PB_LITE, pi[o + P_LITE]!), liteHi: hi(b, PB_LITE, pi[o + P_LITE]!),
    chain: chain > 0 ? t.chains.text[chain - 1]! : '',
    chainN: pi[o + P_CHAINN]!,
    chainMore: x?.chainMore ? { ...x.chainMore } : null,
    flag: flag > 0 ? t.flags.text[flag - 1]! : '',
    flagN: pi[o + P_FLAGN]!,
    flagMore: x?.flagMore ? { ...x.flagMore } : null,
    prefix: prefix > 0 ? t.prefixes.text[prefix - 1]! : '',
    prefixN: pi[o + P_PREFIXN]!,
    prefixMore: x?.prefixMore ? { ...x.prefixMore } : null,
    sigs: pi[o + P_SIGS]! > 0 ? t.hits.pairHits(pi[o + P_SIGS]!).map((h) => ({
      proto: h.slot, sid: h.sid, chain: h.chain, packets: h.packets, dport: h.dport, flags: t.flags.text[h.flags]!, fwsnort: h.fwsnort,
    })) : (EMPTY_SIGS as PairState['sigs']),
    icmpInvalid: x?.icmpInvalid ? { ...x.icmpInvalid } : EMPTY_COUNTS,
    scanTypes: label > 0 ? [t.labels.text[label - 1]!, ...(x?.labels ?? [])] : (EMPTY_LIST as string[]),
    sweep: (b & PB_SWEEP) !== 0,
    marks: (b >>> PB_MARKS_SHIFT) & 7,
    hosts: host > 0 ? [t.hosts.text[host - 1]!, ...(x?.hosts ?? [])] : (EMPTY_LIST as string[]),
    interval: pi[o + P_INTERVAL]!,
    cur: (b & PB_CUR) !== 0,
    curFlags: curFlag > 0 ? [t.flags.text[curFlag - 1]!, ...(x?.curFlags ?? []).map((id) => t.flags.text[id]!)] : (EMPTY_LIST as string[]),
    curProtos: names(pi[o + P_CURPROTOS]!, x?.curProtos),
    curMarks: (b >>> PB_CURMARKS_SHIFT) & 7,
    expBucket: Number.NaN,
  };
}

/** The source as a SourceState (a snapshot; the tag list is shared, never changed in place). */
export function exportSource(t: ScanTable, id: number): SourceState {
  // the port list runs newest first: the map gets them in the order they were first seen
  const keys: number[] = [];
  const counts: number[] = [];
  t.ports.forSource(id, (k, n) => {
    keys.push(k);
    counts.push(n);
  });
  const ports = new Map<number, number>();
  for (let k = keys.length - 1; k >= 0; k--) ports.set(keys[k]!, counts[k]!);
  return exportWith(t, id, ports);
}

/**
 * Sources to show (a report's detail): as exportSource, but `ports` holds only each one's busiest `maxPorts` (most
 * packets, then lowest key: the order profiles list them in), and every port counter is read in one pass in memory
 * order. forSource follows a source's list at random, two cache misses a port: the 25 top scanners of the benchmark
 * log, 4,000 ports each, cost analyze's report ~20 ms that way, and their Maps as much again.
 */
export function exportSources(t: ScanTable, ids: readonly number[], maxPorts: number): SourceState[] {
  const slot = new Int32Array(t.ip.length);
  ids.forEach((s, i) => (slot[s] = i + 1));
  // counted, then filled into typed arrays: lists grown by push() were copied by the young-generation collector again
  // and again while the pass went on (~5 MB on the benchmark log)
  const { start, keys, counts } = t.ports.gather(slot, ids.length);
  return ids.map((s, i) => {
    const ks = keys.subarray(start[i], start[i + 1]);
    const ns = counts.subarray(start[i], start[i + 1]);
    const order = topCounts(ns, ks, maxPorts);
    return exportWith(t, s, new Map(order.map((j) => [ks[j]!, ns[j]!])));
  });
}

function exportWith(t: ScanTable, id: number, ports: Map<number, number>): SourceState {
  const si = t.si;
  const o = id * SW;
  const pairs = new Map<string, PairState>();
  for (let p = si[o + S_PHEAD]!; p >= 0; p = t.pnext[p]!) {
    const ps = exportPair(t, p);
    pairs.set(ps.dst, ps);
  }
  const sensors: Record<string, number> = {};
  const first = si[o + S_SENSOR]!;
  if (first > 0) sensors[t.hosts.text[first - 1]!] = si[o + S_SENSORN]!;
  const more = t.sensorsMore[id];
  if (more) Object.assign(sensors, more);
  const flags = si[o + S_FLAGS]!;
  const m = t.marks[id];
  const dirty = m ? { ...m, pairs: m.pairs ? new Set(m.pairs) : null, ports: m.ports ? new Set(m.ports) : null, sigs: m.sigs ? new Set(m.sigs) : null }
    : cleanMarks(0);
  dirty.source = (flags & SB_DIRTY) !== 0;
  dirty.used = (flags & SB_USED) !== 0;
  const sigs = new Map<number, SourceSigHit>();
  for (const h of t.hits.sourceHits(si[o + S_SIGS]!)) sigs.set(h.sid, { ...h, dl: h.dl as DangerLevel });
  const mirai = t.mirai[id];
  return {
    ip: t.ip[id]!, family: si[o + S_FAMILY] === 6 ? 6 : 4, dl: si[o + S_DL]! as DangerLevel, firstSeen: t.sf[o / 2]!, lastSeen: t.sf[o / 2 + SF_LAST]!,
    packets: si[o + S_PACKETS]!, pairs, ports, sigs,
    history: t.historyOf(id), sensors, tags: t.tags[id]!, interval: si[o + S_INTERVAL]!, curSigDl: si[o + S_CURSIG]!,
    curSidDl: si[o + S_CURSID]!, sawTcpOptions: (flags & SB_TCPOPTS) !== 0, mirai: mirai ? Object.fromEntries(mirai) : EMPTY_COUNTS, dirty,
  };
}

function pack(l: number, h: number): number {
  return (l << 16) | h;
}

/** Protocol names into a bit set (returned) and the names without a bit (into `more`). */
function protoSet(names: readonly string[], more: string[]): number {
  let mask = 0;
  for (const n of names) {
    const b = protoBit(n);
    if (b !== 0) mask |= b;
    else if (!more.includes(n)) more.push(n);
  }
  return mask;
}

function extraOf(t: ScanTable, p: number, x: PairExtra | null): PairExtra {
  return x ?? t.extra(p);
}

/** Puts a SourceState (loaded from a store, or a snapshot) into the table as a new source; returns its id. */
export function importSource(t: ScanTable, s: SourceState): number {
  const id = t.addSource(s.ip, s.family, s.firstSeen, -1);
  let si = t.si;
  const o = id * SW;
  si[o + S_DL] = s.dl;
  si[o + S_PACKETS] = s.packets;
  t.sf[o / 2 + SF_LAST] = s.lastSeen;
  si[o + S_INTERVAL] = s.interval;
  si[o + S_CURSIG] = s.curSigDl;
  si[o + S_CURSID] = s.curSidDl;
  if (s.sawTcpOptions) si[o + S_FLAGS]! |= SB_TCPOPTS;
  if (s.history.length > 0) t.setHistory(id, s.history);
  if (s.tags.length > 0) t.setTags(id, s.tags);
  for (const h of s.sigs.values()) {
    const r = t.hits.addSource(t.si[o + S_SIGS]!, id, h);
    t.hits.setSource(r, h.count, h.dports);
    t.si[o + S_SIGS] = r + 1;
  }
  if (Object.keys(s.mirai).length > 0) t.mirai[id] = new Map(Object.entries(s.mirai));
  for (const [host, n] of Object.entries(s.sensors)) {
    if (si[o + S_SENSOR] === 0) {
      si[o + S_SENSOR] = t.hosts.id(host) + 1;
      si[o + S_SENSORN] = n;
    } else {
      (t.sensorsMore[id] ??= {})[host] = n;
    }
  }
  t.marks[id] = { ...s.dirty, pairs: null, ports: null, sigs: null, source: false, used: false };
  for (const [k, n] of s.ports) t.ports.add(id, k, n);
  let live = 0;
  for (const ps of s.pairs.values()) {
    const p = t.addPair(id, t.dstId(ps.dst, -1), ps.first);
    si = t.si;
    const pi = t.pi;
    const pf = t.pf;
    const q = p * PW;
    let x: PairExtra | null = null;
    let b = (ps.live ? PB_LIVE : 0) | (ps.cur ? PB_CUR : 0) | (ps.sweep ? PB_SWEEP : 0) | ((ps.marks & 7) << PB_MARKS_SHIFT)
      | ((ps.curMarks & 7) << PB_CURMARKS_SHIFT);
    if (ps.live) live++;
    pf[q / 2 + PF_START] = ps.start;
    pf[q / 2 + PF_LAST] = ps.last;
    pi[q + P_ABSNUM] = ps.absnum;
    pi[q + P_TOTP] = ps.totProtocols;
    pi[q + P_PACKETS] = ps.packets;
    const ranges: [number, number, number, number][] = [
      [ps.wTcpLo, ps.wTcpHi, PB_WTCP, P_WTCP], [ps.wUdpLo, ps.wUdpHi, PB_WUDP, P_WUDP], [ps.wLiteLo, ps.wLiteHi, PB_WLITE, P_WLITE],
      [ps.tcpLo, ps.tcpHi, PB_TCP, P_TCP], [ps.udpLo, ps.udpHi, PB_UDP, P_UDP], [ps.liteLo, ps.liteHi, PB_LITE, P_LITE],
    ];
    for (const [l, h, bit, field] of ranges) {
      if (l >= 0) {
        b |= bit;
        pi[q + field] = pack(l, h);
      }
    }
    pi[q + P_BITS] = b;
    const more: string[] = [];
    pi[q + P_SLOTS] = protoSet(ps.slots, more);
    if (more.length > 0) (x = extraOf(t, p, x)).slots = [...more];
    more.length = 0;
    pi[q + P_WPROTOS] = protoSet(ps.wprotos, more);
    if (more.length > 0) (x = extraOf(t, p, x)).wprotos = [...more];
    more.length = 0;
    pi[q + P_CURPROTOS] = protoSet(ps.curProtos, more);
    if (more.length > 0) (x = extraOf(t, p, x)).curProtos = [...more];
    if (ps.chain !== '') {
      pi[q + P_CHAIN] = t.chains.id(ps.chain) + 1;
      pi[q + P_CHAINN] = ps.chainN;
    }
    if (ps.chainMore) (x = extraOf(t, p, x)).chainMore = { ...ps.chainMore };
    if (ps.flag !== '') {
      pi[q + P_FLAG] = t.flags.id(ps.flag) + 1;
      pi[q + P_FLAGN] = ps.flagN;
    }
    if (ps.flagMore) (x = extraOf(t, p, x)).flagMore = { ...ps.flagMore };
    if (ps.prefix !== '') {
      pi[q + P_PREFIX] = t.prefixes.id(ps.prefix) + 1;
      pi[q + P_PREFIXN] = ps.prefixN;
    }
    if (ps.prefixMore) (x = extraOf(t, p, x)).prefixMore = { ...ps.prefixMore };
    for (const h of ps.sigs) {
      const r = t.hits.addPair(pi[q + P_SIGS]!, p, h.sid, t.hits.names.id(h.proto), t.hits.names.id(h.chain), h.fwsnort, t.flagNa);
      t.hits.setPair(r, h.packets, h.dport, t.flags.id(h.flags));
      pi[q + P_SIGS] = r + 1;
    }
    if (Object.keys(ps.icmpInvalid).length > 0) (x = extraOf(t, p, x)).icmpInvalid = { ...ps.icmpInvalid };
    if (ps.scanTypes.length > 0) {
      pi[q + P_LABEL] = t.labels.id(ps.scanTypes[0]!) + 1;
      if (ps.scanTypes.length > 1) (x = extraOf(t, p, x)).labels = ps.scanTypes.slice(1);
    }
    if (ps.hosts.length > 0) {
      pi[q + P_HOST] = t.hosts.id(ps.hosts[0]!) + 1;
      if (ps.hosts.length > 1) (x = extraOf(t, p, x)).hosts = ps.hosts.slice(1);
    }
    pi[q + P_INTERVAL] = ps.interval;
    if (ps.curFlags.length > 0) {
      pi[q + P_CURFLAG] = t.flags.id(ps.curFlags[0]!) + 1;
      if (ps.curFlags.length > 1) (x = extraOf(t, p, x)).curFlags = ps.curFlags.slice(1).map((f) => t.flags.id(f));
    }
    t.pexp[p] = -1;
    if (ps.interval === s.interval) t.intervalPush(id, p);
  }
  t.slive[id] = live;
  return id;
}
