// psad.conf import: psad's `KEY value;` syntax (first definition wins, -O override files first, $VAR expansion) mapped
// onto every setting whose doc names a `psad` key, so a psad user keeps their settings.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { pwError } from '../domain/errors.ts';
import type { SettingDoc } from './define.ts';
import type { Layer } from './load.ts';
import { SECTIONS } from './schema.ts';
import { DEFAULT_SIGNATURE_VARIABLES } from './sections/detect.ts';

/** One psad.conf definition, after $VAR expansion. */
export interface PsadValue {
  /** The value text (psad's `(.*?);` capture, trimmed). */
  value: string;
  /** File it was first defined in. */
  file: string;
  /** 1-based line. */
  line: number;
}

/** Result of reading a psad.conf (and override files). */
export interface PsadConfImport {
  /** One layer per file, each holding the settings first defined there; apply them after the defaults. */
  layers: Layer[];
  /** Every psad key with its expanded value (commands such as `mailCmd` excluded). */
  values: Map<string, PsadValue>;
  /** psad keys no probewatch setting takes (they are kept as signature variables when they look like one). */
  unmapped: string[];
  /** Things a psad user should know (ignored override values, YES/NO spellings, …). */
  warnings: string[];
}

interface Target {
  section: string;
  key: string;
  doc: SettingDoc;
  /** Element index for list settings fed by several psad keys, else -1. */
  index: number;
  /** Number of psad keys feeding the setting. */
  arity: number;
}

/** psad key → the settings it feeds (several areas may take one key, e.g. HOME_NET), from every section's docs. */
function targets(): Map<string, Target[]> {
  const out = new Map<string, Target[]>();
  for (const s of SECTIONS) {
    for (const [key, doc] of Object.entries<SettingDoc>(s.docs)) {
      if (!doc.psad) continue;
      const keys = doc.psad.split(',').map((k) => k.trim()).filter((k) => k.length > 0);
      keys.forEach((k, i) => {
        const t: Target = { section: s.name, key, doc, index: keys.length > 1 ? i : -1, arity: keys.length };
        const list = out.get(k);
        if (list) list.push(t);
        else out.set(k, [t]);
      });
    }
  }
  return out;
}

/**
 * How psad tests each boolean key: most with `eq 'Y'`, a few with `eq 'N'`. check_enable_vars_value (psad:3751) accepts
 * YES/NO for ENABLE_* keys but the tests compare against 'Y'/'N' only, so "YES" is neither (QUIRK, replicated).
 */
const TESTED_AGAINST_N = new Set(['ENABLE_PERSISTENCE']);

function psadBool(key: string, raw: string, where: PsadValue): boolean {
  const v = key.startsWith('ENABLE_') ? raw.toUpperCase() : raw;
  if (key.startsWith('ENABLE_') && !['Y', 'N', 'YES', 'NO'].includes(v)) {
    throw pwError('PW_ERR_CONFIG_VALUE', [key, `must be Y or N (${where.file}:${where.line})`], { key, file: where.file, line: where.line });
  }
  if (TESTED_AGAINST_N.has(key)) return v !== 'N';
  return v === 'Y';
}

function parseLines(file: string): { key: string; value: string; line: number }[] {
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch (e) {
    throw pwError('PW_ERR_CONFIG', [`cannot read ${file}: ${(e as Error).message}`], { file });
  }
  const out: { key: string; value: string; line: number }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (/^\s*#/.test(line)) continue;
    // psad's import_config regex (psad:10936): key, whitespace, then everything up to the first ';'
    const m = /^\s*(\S+)\s+(.*?);/.exec(line);
    if (!m) continue;
    out.push({ key: m[1]!, value: m[2]!, line: i + 1 });
  }
  return out;
}

/** expand_vars (psad:10950): repeatedly replace the first $VAR of each value until none is left (20 rounds at most). */
function expand(values: Map<string, PsadValue>): void {
  for (let round = 0; ; round++) {
    let changed = false;
    if (round >= 20) throw pwError('PW_ERR_CONFIG', ['psad.conf: exceeded the maximum variable resolution depth (20)']);
    for (const [key, v] of values) {
      const m = /\$(\w+)/.exec(v.value);
      if (!m) continue;
      const name = m[1]!;
      if (name === key) {
        throw pwError('PW_ERR_CONFIG_VALUE', [key, `refers to itself ($${name}) (${v.file}:${v.line})`], { key, file: v.file, line: v.line });
      }
      const sub = values.get(name);
      if (!sub) {
        throw pwError('PW_ERR_CONFIG_VALUE', [key, `uses $${name}, which is not defined (${v.file}:${v.line})`], { key, file: v.file, line: v.line });
      }
      // psad special-cases INSTALL_ROOT "/" so "$INSTALL_ROOT/var" does not become "//var"
      const replacement = name === 'INSTALL_ROOT' && sub.value === '/' ? '' : sub.value;
      v.value = v.value.replace(`$${name}`, () => replacement);
      changed = true;
    }
    if (!changed) return;
  }
}

const isNone = (v: string): boolean => v.trim().toUpperCase() === 'NONE';

/**
 * psad uses these values as regular expressions exactly as written up to the ';', so "DROP " needs the space; the loader
 * trims values, so edge spaces are rewritten as the equivalent "[ ]".
 */
function keepEdgeSpaces(re: string): string {
  const lead = /^ */.exec(re)![0].length;
  const trail = /[ ]*$/.exec(re.slice(lead))![0].length;
  return '[ ]'.repeat(lead) + re.slice(lead, re.length - trail) + '[ ]'.repeat(trail);
}

/** Keys whose values psad uses as regular expressions. */
const REGEX_KEYS = new Set(['IGNORE_LOG_PREFIXES', 'SNORT_SID_STR']);

function splitList(v: string): string[] {
  if (isNone(v)) return [];
  return v.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
}

function fail(key: string, why: string, where: PsadValue): never {
  throw pwError('PW_ERR_CONFIG_VALUE', [key, `${why} (${where.file}:${where.line})`], { key, file: where.file, line: where.line });
}

/** Converts one psad value to the setting's type (validated again by the loader). */
function convert(psadKey: string, t: Target, v: PsadValue): unknown {
  const raw = REGEX_KEYS.has(psadKey) ? keepEdgeSpaces(v.value) : v.value.trim();
  switch (t.doc.kind) {
    case 'bool':
      return psadBool(psadKey, raw, v);
    case 'int':
    case 'number':
    case 'int-list':
    case 'duration':
      if (!/^\d+$/.test(raw)) fail(psadKey, `expected a whole number, got ${JSON.stringify(raw)}`, v);
      return Number(raw);
    case 'path':
    case 'paths':
      if (isNone(raw)) return '';
      return isAbsolute(raw) ? raw : resolvePath(dirname(v.file), raw);
    case 'list':
    case 'port-list':
      return splitList(raw);
    case 'string':
    case 'enum':
      return psadKey === 'IGNORE_LOG_PREFIXES' && isNone(raw) ? '' : raw;
    default:
      return raw;
  }
}

/**
 * Reads psad.conf `main` and the `-O`-style override files (read first, so their values win: psad takes the first
 * definition of each key). Returns loader layers for every mapped setting.
 */
export function importPsadConf(main: string, overrides: readonly string[] = []): PsadConfImport {
  const values = new Map<string, PsadValue>();
  const warnings: string[] = [];
  const files = [...overrides, main];
  for (const file of files) {
    for (const { key, value, line } of parseLines(file)) {
      // "*Cmd" keys with a path are command locations (psad:10938, a separate first-wins table; names never collide)
      if (!values.has(key)) values.set(key, { value, file, line });
    }
  }
  // QUIRK (psad:3927-3963, import_fw_search): FW_SEARCH_ALL and FW_MSG_SEARCH are re-read from the main file only; the
  // last FW_SEARCH_ALL there wins and every FW_MSG_SEARCH there is a pattern. Override-file values are ignored.
  const fwMsgSearch: PsadValue[] = [];
  let fwSearchAll: PsadValue | undefined;
  for (const { key, value, line } of parseLines(main)) {
    if (key === 'FW_MSG_SEARCH') fwMsgSearch.push({ value, file: main, line });
    else if (key === 'FW_SEARCH_ALL' && /^\w+$/.test(value) && (value === 'Y' || value === 'N')) fwSearchAll = { value, file: main, line };
  }
  for (const k of ['FW_SEARCH_ALL', 'FW_MSG_SEARCH']) {
    const v = values.get(k);
    const overridden = k === 'FW_MSG_SEARCH' || fwSearchAll !== undefined;
    if (v && v.file !== main && overridden) warnings.push(`${k} in ${v.file}:${v.line} is ignored: psad reads it from the main psad.conf only`);
  }
  if (fwSearchAll) values.set('FW_SEARCH_ALL', fwSearchAll);
  else if (values.get('FW_SEARCH_ALL')?.value !== 'N') values.set('FW_SEARCH_ALL', { value: 'Y', file: main, line: values.get('FW_SEARCH_ALL')?.line ?? 0 });
  values.delete('FW_MSG_SEARCH');
  expand(values);

  const map = targets();
  const perFile = new Map<string, Layer>(files.map((f) => [f, { source: f, values: new Map() }]));
  const multi = new Map<string, { value: unknown[]; where: PsadValue }>();
  const unmapped: string[] = [];
  const sigVars = new Map<string, string>(DEFAULT_SIGNATURE_VARIABLES.map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)]));
  for (const [key, v] of values) {
    const ts = map.get(key);
    if (!ts) {
      unmapped.push(key);
      if (/(_NET|_SERVERS|_PORTS)$/.test(key)) sigVars.set(key, v.value.trim());
      continue;
    }
    if (/^ENABLE_/.test(key) && /^(YES|NO)$/i.test(v.value.trim())) {
      warnings.push(`${key} ${v.value.trim()} (${v.file}:${v.line}): psad compares ENABLE_ values with Y/N only, so this acts as ${psadBool(key, v.value.trim(), v) ? 'Y' : 'N'}`);
    }
    for (const t of ts) mapOne(key, t, v);
  }
  function mapOne(key: string, t: Target, v: PsadValue): void {
    const path = `${t.section}.${t.key}`;
    const value = convert(key, t, v);
    if (t.index >= 0) {
      // a setting fed by several psad keys: start from its default and set this key's element
      let m = multi.get(path);
      if (!m) {
        const sec = SECTIONS.find((s) => s.name === t.section)!;
        const def = (sec.defaults as Record<string, unknown>)[t.key];
        m = { value: Array.isArray(def) ? [...(def as unknown[])] : [], where: v };
        multi.set(path, m);
      }
      while (m.value.length < t.arity) m.value.push('');
      m.value[t.index] = value;
      return;
    }
    perFile.get(v.file)!.values.set(path, { value, line: v.line });
  }
  for (const [path, m] of multi) {
    const value = m.value.filter((x) => x !== '');
    perFile.get(m.where.file)!.values.set(path, { value, line: m.where.line });
  }
  const mainLayer = perFile.get(main)!;
  const fwAll = values.get('FW_SEARCH_ALL')!;
  const searchAll = fwAll.value === 'Y';
  mainLayer.values.set('detect.fwSearchAll', fwAll.line > 0 ? { value: searchAll, line: fwAll.line } : { value: searchAll });
  // psad:3959: with FW_SEARCH_ALL N and no FW_MSG_SEARCH line, "DROP" is the pattern
  const patterns = fwMsgSearch.length > 0 ? fwMsgSearch.map((v) => keepEdgeSpaces(v.value)) : ['DROP'];
  mainLayer.values.set('detect.fwMsgSearch', fwMsgSearch[0] ? { value: patterns, line: fwMsgSearch[0].line } : { value: patterns });
  mainLayer.values.set('detect.signatureVariables', { value: [...sigVars].map(([k, val]) => `${k}=${val}`) });
  // --psad-conf means psad compatibility unless a later layer (file, env, flag) turns it off
  mainLayer.values.set('detect.compat', { value: true });
  return { layers: files.map((f) => perFile.get(f)!).filter((l) => l.values.size > 0), values, unmapped: unmapped.sort(), warnings };
}
