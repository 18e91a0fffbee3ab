// psad's auto_dl file: force a danger level (1–5) or ignore (0) traffic from an address or network, optionally only for
// some protocols and ports.
import { cidrContains, parseCidr, parseIp } from '../../domain/address.ts';
import type { Cidr, ParsedIp } from '../../domain/address.ts';
import { parsePortSpec } from '../port-spec.ts';
import type { PortSpec } from '../port-spec.ts';

/** One auto_dl entry. */
export interface AutoDlEntry {
  /** The address text as written (psad keys entries by it). */
  key: string;
  /** The network. */
  net: Cidr;
  /** Danger level 0–5 (0 = ignore). */
  dl: number;
  /** Protocol criteria: protocol → ports, or null when every protocol applies. */
  protos: Map<string, PortSpec | 'all'> | null;
  /** 1-based line. */
  line: number;
}

/** A parsed auto_dl file plus the lines psad would skip (they are reported, not fatal, as in psad). */
export interface AutoDlTable {
  entries: AutoDlEntry[];
  /** "line N: why" for lines that were skipped. */
  skipped: string[];
}

const IPV4 = String.raw`(?:[0-2]?\d{1,2}\.){3}[0-2]?\d{1,2}`;
const RE_MASK = new RegExp(String.raw`^\s*(${IPV4})\s*/\s*(${IPV4})\s+([0-5])\s*(.*);`);
const RE_LEN = new RegExp(String.raw`^\s*(${IPV4})\s*/\s*(\d+)\s+([0-5])\s*(.*);`);
const RE_IP = new RegExp(String.raw`^\s*(${IPV4})\s+([0-5])\s*(.*);`);
const RE_ANY = /^\s*(\S+)\s+([0-5])\s*(.*);/;

/**
 * Parses the file as psad's import_auto_dl (psad:4789): "<ip | ip/len | ip/mask | ipv6[/len]> <0-5> [criteria];" with a
 * mandatory ';'. Hostnames are not resolved (detection is pure; psad resolves them at start-up) and are reported as
 * skipped. psad keys entries by the address text, so a later line for the same text replaces the level and adds its
 * protocols (kept).
 */
export function parseAutoDl(text: string): AutoDlTable {
  const byKey = new Map<string, AutoDlEntry>();
  const skipped: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    const n = i + 1;
    if (!/\S/.test(line) || /^\s*#/.test(line)) continue;
    let ip: string;
    let mask: string;
    let dl: number;
    let criteria: string;
    let m = RE_MASK.exec(line) ?? RE_LEN.exec(line);
    if (m) {
      [ip, mask, dl, criteria] = [m[1]!, m[2]!, Number(m[3]), m[4]!];
    } else if ((m = RE_IP.exec(line))) {
      [ip, mask, dl, criteria] = [m[1]!, '32', Number(m[2]), m[3]!];
    } else if ((m = RE_ANY.exec(line))) {
      const str = m[1]!;
      [dl, criteria] = [Number(m[2]), m[3]!];
      if (!str.includes(':')) {
        skipped.push(`line ${n}: "${str}" is not an address (host names are not resolved)`);
        continue;
      }
      const slash = /(\S+)\/(\S+)/.exec(str);
      [ip, mask] = slash ? [slash[1]!, slash[2]!] : [str, '128'];
    } else {
      skipped.push(`line ${n}: improperly formatted (expected "<address> <0-5> [criteria];")`);
      continue;
    }
    const net = parseCidr(`${ip}/${mask}`);
    if (!net) {
      skipped.push(`line ${n}: "${ip}/${mask}" is not a network`);
      continue;
    }
    let entry = byKey.get(ip);
    if (!entry) {
      entry = { key: ip, net, dl, protos: null, line: n };
      byKey.set(ip, entry);
    } else {
      entry.net = net;
      entry.dl = dl;
      entry.line = n;
    }
    // psad tests the whole line (comments after ';' included) for the protocol names
    const protos = entry.protos ?? new Map<string, PortSpec | 'all'>();
    if (/icmp/i.test(line)) protos.set('icmp', 'all');
    if (/tcp/i.test(line) || /udp/i.test(line)) {
      const spec = parsePortSpec(criteria);
      for (const [p, s] of spec) protos.set(p, s);
    }
    if (/tcp/i.test(line) && !protos.has('tcp')) protos.set('tcp', 'all');
    if (/udplite/i.test(line) && !protos.has('udplite')) protos.set('udplite', 'all');
    // QUIRK (psad:4882): "udplite" also contains "udp", so it applies to all of udp as well
    if (/udp/i.test(line) && !protos.has('udp')) protos.set('udp', 'all');
    entry.protos = protos.size > 0 ? protos : null;
  }
  return { entries: [...byKey.values()], skipped };
}

function protoMatches(e: AutoDlEntry, proto: string, dport: number): boolean {
  if (!e.protos) return true;
  const spec = e.protos.get(proto);
  if (spec === undefined) return false;
  return spec === 'all' || spec.has(dport);
}

/** The compiled auto_dl lookup. */
export class AutoDl {
  readonly #entries: AutoDlEntry[];
  readonly #psad: boolean;

  /** `psadOrder`: walk entries as psad does (file order standing in for its random hash order) with its ignore rule. */
  constructor(table: AutoDlTable, psadOrder: boolean) {
    this.#psad = psadOrder;
    // probewatch's order: most specific network first, so "10.1.2.3 5;" beats "10.0.0.0/8 0;" whatever the file order
    this.#entries = psadOrder ? [...table.entries] : [...table.entries].sort((a, b) => b.net.prefix - a.net.prefix || a.line - b.line);
  }

  get size(): number {
    return this.#entries.length;
  }

  /**
   * psad's assign_auto_danger_level (psad:5174): 0 = ignore the packet, a level to raise the source to, or -1.
   * `current` is the source's level. psad ignores a source on the first (hash-order) entry with level 0 that contains it,
   * whatever protocol criteria that entry names; probewatch honours the criteria and takes the most specific entry.
   */
  lookup(src: ParsedIp, proto: string, dport: number, current: number): number {
    if (this.#entries.length === 0) return -1;
    for (const e of this.#entries) {
      if (!cidrContains(e.net, src)) continue;
      if (this.#psad) {
        if (e.dl === 0) return 0;
        if (current < e.dl && protoMatches(e, proto, dport)) return e.dl;
        continue;
      }
      if (!protoMatches(e, proto, dport)) continue;
      if (e.dl === 0) return 0;
      return current < e.dl ? e.dl : -1;
    }
    return -1;
  }
}

/** Parses an address for lookups (exported for callers that hold canonical text). */
export function parseSource(ip: string): ParsedIp | null {
  return parseIp(ip);
}
