// Reads the data files detection needs (configured path where it exists, else the bundled psad copy) and compiles the
// rules; also builds the line parser with the matching options.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.ts';
import { pwError } from '../domain/errors.ts';
import { compileRules } from '../detect/rules.ts';
import type { DataText, DetectData, DetectRules } from '../detect/rules.ts';
import { FirewallLineParser } from '../logs/parse-line.ts';
import { parserOptionsFromSettings } from '../logs/sources.ts';
import { localNetworks } from './local-nets.ts';
import type { InterfaceTable } from './local-nets.ts';

/** Directory of the bundled psad data files (signatures/psad in the package). */
export const BUNDLED_PSAD_DIR = fileURLToPath(new URL('../../signatures/psad/', import.meta.url));

/** Which file each data file came from, and notes for the operator. */
export interface DataSources {
  /** Data file setting → the file read. */
  files: Record<string, string>;
  /** Warnings for the operator (missing configured files, skipped signatures, overridden settings). */
  notes: string[];
  /** HOME_NET as taken from the interfaces (detect.intfLocalNets in a daemon command), else null. */
  localNets: string[] | null;
}

function readData(setting: string, configured: string, bundled: string, notes: string[], files: Record<string, string>): DataText {
  let path = join(BUNDLED_PSAD_DIR, bundled);
  if (configured !== '') {
    if (existsSync(configured)) path = configured;
    else notes.push(`detect.${setting}: ${configured} does not exist, using the bundled ${bundled}`);
  }
  try {
    const text = readFileSync(path, 'latin1');
    files[setting] = path;
    return { name: path, text };
  } catch (e) {
    throw pwError('PW_ERR_CONFIG', [`cannot read ${path} (detect.${setting}): ${(e as Error).message}`], { key: `detect.${setting}`, file: path });
  }
}

/** How the rules are used: the daemon commands (follow, serve, ingest) take HOME_NET from the interfaces when configured. */
export interface RulesUse {
  /** follow/serve/ingest (psad's daemon) rather than analyze (psad -A, which keeps HOME_NET as configured). */
  daemon?: boolean;
  /** The interface table (default: this machine's). */
  interfaces?: InterfaceTable;
}

/** Loads and compiles detection rules for a resolved configuration. */
export function loadDetectRules(config: Config, use: RulesUse = {}): { rules: DetectRules; sources: DataSources } {
  let d = config.detect;
  const notes: string[] = [];
  let localNets: string[] | null = null;
  if (use.daemon === true && d.intfLocalNets) {
    // psad's validate_home_net (psad:3815): with ENABLE_INTF_LOCAL_NETS Y its daemon replaces HOME_NET by the connected
    // networks ("any" when there are none); blocking keeps the configured value (respond's never-block list)
    const nets = localNetworks(use.interfaces);
    const configured = d.homeNet.join(', ');
    d = { ...d, homeNet: nets.length > 0 ? nets : ['any'] };
    localNets = d.homeNet;
    if (configured !== 'any') notes.push(`detect.intfLocalNets is on: signatures' $HOME_NET is this machine's networks, detect.homeNet (${configured}) guards blocking only`);
  }
  const files: Record<string, string> = {};
  const fwsnortRules: DataText[] = [];
  let classification: DataText | undefined;
  for (const [i, dir] of d.fwsnortRulesDirs.entries()) {
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) continue;
    for (const f of readdirSync(dir).sort()) {
      if (f.endsWith('.rules')) fwsnortRules.push({ name: join(dir, f), text: readFileSync(join(dir, f), 'latin1') });
    }
    const cls = join(dir, 'classification.config');
    if (i === 0 && existsSync(cls)) classification = { name: cls, text: readFileSync(cls, 'latin1') };
  }
  const data: DetectData = {
    signatures: readData('signaturesFile', d.signaturesFile, 'signatures', notes, files),
    autoDl: readData('autoDlFile', d.autoDlFile, 'auto_dl', notes, files),
    snortRuleDl: readData('snortRuleDlFile', d.snortRuleDlFile, 'snort_rule_dl', notes, files),
    icmpTypes: readData('icmpTypesFile', d.icmpTypesFile, 'icmp_types', notes, files),
    icmp6Types: readData('icmp6TypesFile', d.icmp6TypesFile, 'icmp6_types', notes, files),
    ipOptions: readData('ipOptionsFile', d.ipOptionsFile, 'ip_options', notes, files),
    protocols: readData('protocolsFile', d.protocolsFile, 'protocols', notes, files),
    fwsnortRules,
    ...(classification ? { classification } : {}),
  };
  const rules = compileRules(d, data);
  notes.push(...rules.warnings);
  return { rules, sources: { files, notes, localNets } };
}

/** A line parser configured for the detection mode (psad compatibility reads lines as psad does). */
export function newLineParser(config: Config): FirewallLineParser {
  return new FirewallLineParser(parserOptionsFromSettings(config.logs, config.detect.compat));
}
