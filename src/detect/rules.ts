// Compiles detection settings and psad's data files (handed in as text) into the lookups the detector uses per packet.
import type { Cidr } from '../domain/address.ts';
import { pwError } from '../domain/errors.ts';
import { homeNetText, parseHomeNet } from '../domain/home-net.ts';
import { AutoDl, parseAutoDl } from './data/auto-dl.ts';
import { parseIcmpTypes } from './data/icmp-types.ts';
import type { IcmpTypeTable } from './data/icmp-types.ts';
import { parseIpOptions } from './data/ip-options.ts';
import { parseProtocols } from './data/protocols.ts';
import type { ProtocolTable } from './data/protocols.ts';
import { parseSnortRuleDl } from './data/snort-rule-dl.ts';
import { parseFwsnortRules, parseClassification } from './data/fwsnort-rules.ts';
import type { FwsnortRule } from './data/fwsnort-rules.ts';
import { parsePortSpec } from './port-spec.ts';
import type { PortSpec } from './port-spec.ts';
import { SignatureSet } from './signatures/match.ts';
import { parseSignatures } from './signatures/parse.ts';

/** The detection settings (the `detect` configuration section has exactly these fields). */
export interface DetectOptions {
  readonly compat: boolean;
  readonly homeNet: readonly string[];
  readonly externalNet: readonly string[];
  readonly dangerLevels: readonly number[];
  readonly uniqueHosts: readonly number[];
  readonly portRangeScanThreshold: number;
  readonly portRangeSweepThreshold: number;
  readonly protocolScanThreshold: number;
  readonly persistence: boolean;
  /** Seconds. */
  readonly scanTimeout: number;
  readonly persistenceCtrThreshold: number;
  /** Seconds. */
  readonly checkInterval: number;
  readonly minDangerLevel: number;
  readonly maxScanIpPairs: number;
  readonly ignorePorts: readonly string[];
  readonly ignoreProtocols: readonly string[];
  readonly ignoreInterfaces: readonly string[];
  readonly ignoreLogPrefixes: string;
  readonly fwSearchAll: boolean;
  readonly fwMsgSearch: readonly string[];
  readonly snortSidStr: string;
  readonly ignoreConntrackBugPkts: boolean;
  readonly enableIpv6Detection: boolean;
  readonly expectTcpOptions: boolean;
  readonly snortSigStrict: boolean;
  readonly signatureVariables: readonly string[];
}

/** A data file's text and the name to use in messages. */
export interface DataText {
  name: string;
  text: string;
}

/** psad's data files, read by the caller (detection does no I/O). */
export interface DetectData {
  signatures: DataText;
  autoDl: DataText;
  snortRuleDl: DataText;
  icmpTypes: DataText;
  icmp6Types: DataText;
  ipOptions: DataText;
  protocols: DataText;
  /** fwsnort / Snort *.rules files, for messages of SID log prefixes. */
  fwsnortRules: DataText[];
  /** Snort classification.config, when present (classtype → level for rules without psad_dl). */
  classification?: DataText;
}

/** Everything the detector needs, compiled. */
export interface DetectRules {
  readonly opts: DetectOptions;
  readonly signatures: SignatureSet;
  readonly autoDl: AutoDl;
  readonly icmp: IcmpTypeTable;
  readonly icmp6: IcmpTypeTable;
  readonly protocols: ProtocolTable;
  readonly fwsnort: ReadonlyMap<number, FwsnortRule>;
  readonly ignorePorts: ReadonlyMap<string, PortSpec>;
  /** Protocol names and numbers (as text) to ignore. */
  readonly ignoreProtocols: ReadonlySet<string>;
  readonly ignoreInterfaces: ReadonlySet<string>;
  readonly ignorePrefix: RegExp | null;
  /** FW_MSG_SEARCH patterns, or null when every line is considered. */
  readonly fwSearch: readonly RegExp[] | null;
  readonly sidRe: RegExp;
  /** SNORT_SID_STR when it is plain text (a cheap substring test before the regex), else null. */
  readonly sidLiteral: string | null;
  /** HOME_NET networks, or null for "any". */
  readonly homeNet: readonly Cidr[] | null;
  /** Rules and lines that were skipped, with reasons (psad logs these to syslog). */
  readonly warnings: readonly string[];
}

function regex(key: string, source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (e) {
    throw pwError('PW_ERR_CONFIG_VALUE', [key, `not a valid regular expression: ${(e as Error).message}`], { key });
  }
}

/** Resolves $NAME references inside signature variables (psad's expand_vars runs before signatures are read). */
function variables(o: DetectOptions): Map<string, string> {
  const vars = new Map<string, string>();
  const join = (l: readonly string[]): string => (l.length === 0 ? 'any' : l.join(', '));
  // netmask forms and psad's NOT_USED are read once, the same way as everywhere else HOME_NET is used
  vars.set('HOME_NET', join(homeNetText(o.homeNet, 'detect.homeNet')));
  vars.set('EXTERNAL_NET', join(o.externalNet));
  for (const entry of o.signatureVariables) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw pwError('PW_ERR_CONFIG_VALUE', ['detect.signatureVariables', `"${entry}" is not NAME=value`], { key: 'detect.signatureVariables' });
    const name = entry.slice(0, eq).trim();
    if (name !== 'HOME_NET' && name !== 'EXTERNAL_NET') vars.set(name, entry.slice(eq + 1).trim());
  }
  for (let round = 0; round < 20; round++) {
    let changed = false;
    for (const [k, v] of vars) {
      const m = /\$(\w+)/.exec(v);
      if (!m) continue;
      const sub = vars.get(m[1]!);
      if (sub === undefined || m[1] === k) continue;
      vars.set(k, v.replace(`$${m[1]!}`, () => sub));
      changed = true;
    }
    if (!changed) break;
  }
  return vars;
}

/** psad's parse_ignore_protocols (psad:4010): each name also adds its number and each number its name. */
function ignoreProtocols(list: readonly string[], protocols: ProtocolTable, compat: boolean): Set<string> {
  const out = new Set<string>();
  for (const raw of list) {
    const p = raw.trim();
    if (/\W/.test(p) || p === '') continue;
    if (/^\d+$/.test(p)) {
      out.add(p);
      const name = protocols.get(Number(p))?.name;
      if (name) out.add(name.toLowerCase());
    } else {
      out.add(p.toLowerCase());
      for (const [num, { name }] of protocols) {
        if (p === name.toLowerCase()) {
          out.add(String(num));
          break;
        }
      }
    }
  }
  if (!compat) {
    // psad names ICMPv6 "icmp6" while /etc/protocols says "ipv6-icmp" 58, so neither "58" nor "ipv6-icmp" ignored it
    if (out.has('58') || out.has('ipv6-icmp')) out.add('icmp6');
    if (out.has('icmp6')) out.add('58');
  }
  return out;
}

/**
 * psad -A's line prefilter with FW_SEARCH_ALL N (analysis_mode, psad:7725): a line containing SNORT_SID_STR is taken
 * once, otherwise once per FW_MSG_SEARCH pattern it matches. QUIRK: a line matching two patterns is analysed twice.
 */
export function analysisCopies(rules: DetectRules, line: string): number {
  if (!rules.fwSearch) return 1;
  if (new RegExp(rules.opts.snortSidStr).test(line)) return 1;
  let n = 0;
  for (const re of rules.fwSearch) if (re.test(line)) n++;
  return n;
}

/** Compiles settings and data; configuration and signature syntax errors are thrown with key or file and line. */
export function compileRules(opts: DetectOptions, data: DetectData): DetectRules {
  const warnings: string[] = [];
  if (opts.dangerLevels.length !== 5 || opts.uniqueHosts.length !== 5) {
    throw pwError('PW_ERR_CONFIG_VALUE', ['detect.dangerLevels / detect.uniqueHosts', 'need 5 values each'], { key: 'detect.dangerLevels' });
  }
  const compat = opts.compat;
  const protocols = parseProtocols(data.protocols.text);
  const ipOptions = parseIpOptions(data.ipOptions.text);
  const ruleDl = parseSnortRuleDl(data.snortRuleDl.text);
  const classDl = data.classification ? parseClassification(data.classification.text) : undefined;
  const sigFile = parseSignatures(data.signatures.text, {
    file: data.signatures.name, compat, strict: opts.snortSigStrict, vars: variables(opts), ...(classDl ? { classDl } : {}),
  });
  warnings.push(...sigFile.skipped);
  const autoDlTable = parseAutoDl(data.autoDl.text);
  warnings.push(...autoDlTable.skipped.map((s) => `${data.autoDl.name}: ${s}`));
  const fwsnort = new Map<number, FwsnortRule>();
  for (const f of data.fwsnortRules) for (const r of parseFwsnortRules(f.text)) fwsnort.set(r.sid, r);
  const homeNet: Cidr[] | null = parseHomeNet(opts.homeNet, 'detect.homeNet');
  const ignorePorts = new Map<string, PortSpec>();
  for (const [p, spec] of parsePortSpec(opts.ignorePorts.join(', '))) ignorePorts.set(p, spec);
  return {
    // the level thresholds as fresh arrays: the configuration is deep-frozen, and V8 (11.3) reads a frozen array's
    // elements through its generic keyed-load stub, five times per level assignment (a million of them in own mode)
    opts: { ...opts, dangerLevels: [...opts.dangerLevels], uniqueHosts: [...opts.uniqueHosts] },
    signatures: new SignatureSet(sigFile.signatures, { compat, ruleDl, ipOptions }),
    autoDl: new AutoDl(autoDlTable, compat),
    icmp: parseIcmpTypes(data.icmpTypes.text),
    icmp6: parseIcmpTypes(data.icmp6Types.text),
    protocols,
    fwsnort,
    ignorePorts,
    ignoreProtocols: ignoreProtocols(opts.ignoreProtocols, protocols, compat),
    ignoreInterfaces: new Set(opts.ignoreInterfaces.filter((i) => /^[\w.:]+$/.test(i))),
    ignorePrefix: opts.ignoreLogPrefixes.trim() === '' ? null : regex('detect.ignoreLogPrefixes', opts.ignoreLogPrefixes),
    fwSearch: opts.fwSearchAll ? null : opts.fwMsgSearch.map((s) => regex('detect.fwMsgSearch', s)),
    sidRe: regex('detect.snortSidStr', `${opts.snortSidStr}(\\d+)`),
    sidLiteral: /^[\w ]+$/.test(opts.snortSidStr) ? opts.snortSidStr : null,
    homeNet,
    warnings,
  };
}
