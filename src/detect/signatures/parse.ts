// Parser for psad's signatures file (import_signatures, psad:4237): Snort-like rule headers and the options psad supports,
// with psad's defaults and quirks in compatibility mode and Snort's semantics in probewatch's own mode.
import { parseCidr } from '../../domain/address.ts';
import type { Cidr } from '../../domain/address.ts';
import { pwError } from '../../domain/errors.ts';
import { TcpFlag } from '../../domain/events.ts';
import type { AddrSpec, FlagSpec, IntRange, SigProto, Signature } from './types.ts';

/** Snort options psad cannot evaluate from a log line (psad:501); a rule using one is skipped, or fatal when strict. */
export const UNSUPPORTED_OPTIONS = [
  'pcre', 'fragbits', 'content-list', 'rpc', 'byte_test', 'byte_jump', 'distance', 'within', 'flowbits', 'rawbytes',
  'regex', 'isdataat', 'uricontent', 'content', 'offset', 'replace', 'resp', 'ip_proto',
] as const;

/** Each unsupported option's test, compiled once (per rule and option it took ~20 ms of every start-up). */
const UNSUPPORTED_RES = UNSUPPORTED_OPTIONS.map((opt) => [opt, new RegExp(`[\\s;]${opt}:\\s*.*?\\s*;`)] as const);

/** How to parse. */
export interface SignatureParseOptions {
  /** File name for messages. */
  file: string;
  /** psad compatibility (psad's range defaults and quirks) or probewatch's own semantics. */
  compat: boolean;
  /** ENABLE_SNORT_SIG_STRICT: unsupported options and missing psad_id are fatal rather than skipped. */
  strict: boolean;
  /** Variables for $NAME (HOME_NET, EXTERNAL_NET, HTTP_PORTS, …), already expanded. */
  vars: ReadonlyMap<string, string>;
  /** Snort classtype → danger level (from classification.config), when present. */
  classDl?: ReadonlyMap<string, number>;
}

/** Parsed signatures and the rules that were skipped, with reasons. */
export interface SignatureFile {
  signatures: Signature[];
  /** "file:line: why" for every skipped rule (psad logs these to syslog). */
  skipped: string[];
}

const IPV4 = String.raw`(?:[0-2]?\d{1,2}\.){3}[0-2]?\d{1,2}`;
const RE_V4_MASK = new RegExp(`(${IPV4}/${IPV4})`);
const RE_V4_LEN = new RegExp(String.raw`(${IPV4}/\d+)`);
const RE_V4 = new RegExp(`(${IPV4})`);

/** Default ranges of each keyword: psad's (compatibility) and probewatch's (own mode: 0-based, full width). */
const RANGE_DEFAULTS: Record<string, { psad: [number, number]; own: [number, number] }> = {
  sp: { psad: [1, 65535], own: [0, 65535] },
  dp: { psad: [1, 65535], own: [0, 65535] },
  psad_dsize: { psad: [1, 1514], own: [0, 65535] },
  psad_ip_len: { psad: [1, 65536], own: [0, 65535] },
  dsize: { psad: [1, 1514], own: [0, 65535] },
  ttl: { psad: [1, 255], own: [0, 255] },
  id: { psad: [1, 65535], own: [0, 65535] },
  seq: { psad: [1, 4294967296], own: [0, 4294967295] },
  ack: { psad: [1, 4294967296], own: [0, 4294967295] },
  window: { psad: [1, 65535], own: [0, 65535] },
  itype: { psad: [1, 255], own: [0, 255] },
  icode: { psad: [1, 255], own: [0, 255] },
  icmp_seq: { psad: [1, 255], own: [0, 65535] },
  // QUIRK (psad:4495): build_sig_int_range is called with shifted arguments for icmp_id, so its defaults are the
  // strings 'icmp_id_s'/'icmp_id_e', i.e. 0 and 0: an open-ended icmp_id range never matches in psad
  icmp_id: { psad: [0, 0], own: [0, 65535] },
};

class SigError extends Error {}

function substituteVar(text: string, vars: ReadonlyMap<string, string>): string {
  if (/\$.+\$/.test(text)) throw new SigError('multiple embedded variables are not supported');
  const m = /\$(\w+)/.exec(text);
  if (!m) return text;
  const value = vars.get(m[1]!);
  if (value === undefined) throw new SigError(`variable $${m[1]!} is not defined`);
  return text.replace(/\$\w+/, () => value);
}

/** psad's build_sig_int_range (psad:4729). */
function intRange(keyword: string, raw: string, o: SignatureParseOptions): IntRange {
  const val0 = substituteVar(raw, o.vars);
  const def = RANGE_DEFAULTS[keyword]!;
  let [lo, hi] = o.compat ? def.psad : def.own;
  const neg = val0.includes('!');
  const val = val0.replace('!', '');
  if (val === 'any') return { lo, hi, neg };
  let m: RegExpExecArray | null;
  if ((m = /^\s*(\d+)\s*:\s*(\d+)/.exec(val))) [lo, hi] = [Number(m[1]), Number(m[2])];
  else if ((m = /^\s*(\d+)\s*:/.exec(val))) lo = Number(m[1]);
  else if ((m = /^\s*:(\d+)/.exec(val))) hi = Number(m[1]);
  else if ((m = /^\s*<=\s*(\d+)/.exec(val))) hi = Number(m[1]);
  else if ((m = /^\s*<\s*(\d+)/.exec(val))) hi = Number(m[1]) - 1;
  else if ((m = /^\s*>=\s*(\d+)/.exec(val))) lo = Number(m[1]);
  else if ((m = /^\s*>\s*(\d+)/.exec(val))) lo = Number(m[1]) + 1;
  else if ((m = /^\s*(\d+)/.exec(val))) lo = hi = Number(m[1]);
  else throw new SigError(`unrecognized ${keyword} value "${raw}"`);
  return { lo, hi, neg };
}

function net(text: string): Cidr {
  const c = parseCidr(text);
  if (!c) throw new SigError(`"${text}" is not an address or network`);
  return c;
}

/** psad's expand_sig_ips (psad:4667); own mode also honours a leading "!" (Snort negation). */
function addrSpec(raw: string, o: SignatureParseOptions): AddrSpec {
  let text = substituteVar(raw, o.vars);
  let neg = false;
  if (!o.compat && text.startsWith('!')) {
    neg = true;
    text = text.slice(1);
  }
  const one = (s: string, inList: boolean): Cidr | 'any' | null => {
    let m = RE_V4_MASK.exec(s) ?? RE_V4_LEN.exec(s) ?? RE_V4.exec(s);
    if (m) return net(m[1]!);
    if (s.includes(':')) {
      m = /^\[?\s*([0-9A-Fa-f:.]+(?:\/\d+)?)\s*\]?$/.exec(s);
      return net(m ? m[1]! : s);
    }
    if (!inList && (s === 'any' || /NOT_?USED/i.test(s))) return 'any';
    // psad silently drops list members it cannot read ("any" included); probewatch's own mode reports them
    if (inList && !o.compat) throw new SigError(`"${s}" in an address list is not an address or network`);
    return null;
  };
  if (text.includes(',')) {
    const nets: Cidr[] = [];
    for (const part of text.split(/\s*,\s*/)) {
      const r = one(part, true);
      if (r && r !== 'any') nets.push(r);
    }
    return { any: false, nets, neg };
  }
  const r = one(text, false);
  if (r === null) throw new SigError(`unrecognized address "${raw}"`);
  return r === 'any' ? { any: !neg, nets: [], neg: false } : { any: false, nets: [r], neg };
}

/** psad's flag-string construction (psad:4437): letters to "URG ACK PSH RST SYN FIN", "N" → "NULL"; modifiers ignored. */
function flagSpec(raw: string, requireAck: boolean, o: SignatureParseOptions): FlagSpec {
  let psad = '';
  if (raw.includes('U')) psad += 'URG ';
  if (raw.includes('A') || requireAck) psad += 'ACK ';
  if (raw.includes('P')) psad += 'PSH ';
  if (raw.includes('R')) psad += 'RST ';
  if (raw.includes('S')) psad += 'SYN ';
  if (raw.includes('F')) psad += 'FIN ';
  if (raw.includes('N')) psad = 'NULL';
  psad = psad.replace(/\s*$/, '');
  // Snort: [modifier]flags[,ignored] with 1/C = CWR and 2/E = ECE; "0" means no flags
  const comma = raw.indexOf(',');
  const main = comma === -1 ? raw : raw.slice(0, comma);
  const ignoredText = comma === -1 ? '' : raw.slice(comma + 1);
  const bits: Record<string, number> = {
    F: TcpFlag.FIN, S: TcpFlag.SYN, R: TcpFlag.RST, P: TcpFlag.PSH, A: TcpFlag.ACK, U: TcpFlag.URG,
    C: TcpFlag.CWR, '1': TcpFlag.CWR, E: TcpFlag.ECE, '2': TcpFlag.ECE,
  };
  let mask = requireAck ? TcpFlag.ACK : 0;
  let mod: FlagSpec['mod'] = '';
  for (const ch of main.trim()) {
    if (ch === '+' || ch === '*' || ch === '!') mod = ch;
    else if (ch === '0' || ch === 'N') continue;
    else if (bits[ch] !== undefined) mask |= bits[ch];
    else if (!o.compat) throw new SigError(`unknown TCP flag "${ch}" in flags:${raw}`);
  }
  let ignore = 0;
  for (const ch of ignoredText.trim()) if (bits[ch] !== undefined) ignore |= bits[ch];
  return { psad, mask, ignore, mod };
}

function option(options: string, re: RegExp): string | undefined {
  return re.exec(options)?.[1];
}

function parseRule(header: string, options: string, line: number, o: SignatureParseOptions, seen: { psadIds: Set<number>; sids: Set<number> }): Signature | string {
  const h = /^\s*alert\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)/.exec(header);
  if (!h) throw new SigError('bad rule header (expected "alert PROTO SRC SPORT -> DST DPORT")');
  const proto = h[1]!.toLowerCase();
  const direction = h[4]!;
  // psad swaps the addresses, not the ports, for "<-" (psad:4299)
  const [srcText, dstText] = direction === '<-' ? [h[5]!, h[2]!] : [h[2]!, h[5]!];
  const src = addrSpec(srcText, o);
  const dst = addrSpec(dstText, o);
  const sp = intRange('sp', h[3]!, o);
  const dp = intRange('dp', h[6]!, o);
  for (const [opt, re] of UNSUPPORTED_RES) {
    if (re.test(options)) {
      const why = `unsupported rule option "${opt}"`;
      if (o.strict) throw new SigError(`${why} (set ENABLE_SNORT_SIG_STRICT N / detect.snortSigStrict false to skip such rules)`);
      return why;
    }
  }
  const psadIdText = option(options, /[\s;]psad_id:\s*(\d+)\s*;/);
  if (psadIdText === undefined) {
    if (o.strict) throw new SigError('no "psad_id"');
    return 'no "psad_id"';
  }
  const psadId = Number(psadIdText);
  if (seen.psadIds.has(psadId) || seen.sids.has(psadId)) throw new SigError(`duplicate psad_id ${psadId}`);
  seen.psadIds.add(psadId);
  const sidText = option(options, /[\s;]sid:\s*(\d+)\s*;/);
  let sid = psadId;
  let isPsadId = true;
  if (sidText !== undefined) {
    sid = Number(sidText);
    if (seen.sids.has(sid) || seen.psadIds.has(sid)) throw new SigError(`duplicate sid ${sid}`);
    seen.sids.add(sid);
    isPsadId = false;
  }
  const msg = option(options, /msg:\s*"(.+?)"\s*;/);
  if (msg === undefined) throw new SigError('no "msg"');
  const classtype = option(options, /[\s;]classtype:\s*(.+?)\s*;/) ?? '';
  const references: string[] = [];
  for (const m of options.matchAll(/[\s;]reference:\s*(.*?)\s*;/g)) {
    const r = /^(\w+),(\S+)/.exec(m[1]!);
    if (r) references.push(`${r[1]!.toLowerCase()},${r[2]!}`);
  }
  let dl = 2;
  const psadDl = option(options, /[\s;]psad_dl:\s*(\d+)/);
  if (psadDl !== undefined) dl = Number(psadDl);
  else if (classtype && o.classDl?.has(classtype)) dl = o.classDl.get(classtype)!;
  const derived = option(options, /[\s;]psad_derived_sids:\s*(.+?)\s*;/);
  const sig: Signature = {
    sid, psadId, isPsadId, msg, classtype, dl, proto: proto as SigProto, src, dst, sp, dp,
    sameip: /[\s;]sameip;/.test(options), references,
    derivedSids: derived ? derived.split(/\s*,\s*/).map(Number).filter((n) => Number.isFinite(n)) : [], line,
  };
  const ranged = (key: string, re: RegExp): IntRange | undefined => {
    const v = option(options, re);
    return v === undefined ? undefined : intRange(key, v, o);
  };
  const psadDsize = ranged('psad_dsize', /[\s;]psad_dsize:\s*(.+?)\s*;/i);
  if (psadDsize) sig.psadDsize = psadDsize;
  const psadIpLen = ranged('psad_ip_len', /[\s;]psad_ip_len:\s*(.+?)\s*;/i);
  if (psadIpLen) sig.psadIpLen = psadIpLen;
  const dsize = ranged('dsize', /[\s;]dsize:\s*(.+?)\s*;/i);
  if (dsize) sig.dsize = dsize;
  const ttl = ranged('ttl', /[\s;]ttl:\s*(.+?)\s*;/i);
  if (ttl) sig.ttl = ttl;
  const id = ranged('id', /[\s;]id:\s*(.+?)\s*;/i);
  if (id) sig.id = id;
  const ipopts = option(options, /[\s;]ipopts:\s*(.+?)\s*;/i);
  if (ipopts !== undefined) sig.ipopts = ipopts.toLowerCase();
  if (proto === 'tcp') {
    const requireAck = /[\s;]flow:\s*established\s*;/i.test(options);
    const flags = option(options, /[\s;]flags:\s*(.+?)\s*;/);
    if (flags !== undefined) sig.flags = flagSpec(flags, requireAck, o);
    const seq = ranged('seq', /[\s;]seq:\s*(.+?)\s*;/i);
    if (seq) sig.seq = seq;
    const ack = ranged('ack', /[\s;]ack:\s*(.+?)\s*;/i);
    if (ack) sig.ack = ack;
    const window = ranged('window', /[\s;]window:\s*(.+?)\s*;/i);
    if (window) sig.window = window;
  } else if (proto === 'icmp') {
    const itype = ranged('itype', /[\s;]itype:\s*(.+?)\s*;/i);
    if (itype) sig.itype = itype;
    const icode = ranged('icode', /[\s;]icode:\s*(.+?)\s*;/i);
    if (icode) sig.icode = icode;
    const icmpSeq = ranged('icmp_seq', /[\s;]icmp_seq:\s*(.+?)\s*;/i);
    if (icmpSeq) sig.icmpSeq = icmpSeq;
    const icmpId = ranged('icmp_id', /[\s;]icmp_id:\s*(.+?)\s*;/i);
    if (icmpId) sig.icmpId = icmpId;
  } else if (proto !== 'udp' && proto !== 'ip') {
    throw new SigError(`unsupported protocol "${proto}" (psad signatures take tcp, udp, icmp or ip)`);
  }
  return sig;
}

/** Parses a signatures file; syntax errors stop with file and line (psad dies on them too). */
export function parseSignatures(text: string, o: SignatureParseOptions): SignatureFile {
  const signatures: Signature[] = [];
  const skipped: string[] = [];
  const seen = { psadIds: new Set<number>(), sids: new Set<number>() };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    const n = i + 1;
    if (!/\S/.test(line) || /^\s*#/.test(line)) continue;
    try {
      const m = /^(.*?)\s+\((.*)\)/.exec(line);
      if (!m) throw new SigError('bad signature (expected "HEADER (OPTIONS)")');
      const r = parseRule(m[1]!, m[2]!, n, o, seen);
      if (typeof r === 'string') skipped.push(`${o.file}:${n}: ${r}`);
      else signatures.push(r);
    } catch (e) {
      if (!(e instanceof SigError)) throw e;
      throw pwError('PW_ERR_SIGNATURE_SYNTAX', [`${o.file}:${n}: ${e.message}`], { file: o.file, line: n });
    }
  }
  return { signatures, skipped };
}
