// Configuration loader: defaults → psad.conf (if given) → YAML file → environment → flags, validated and deep-frozen.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { pwError } from '../domain/errors.ts';
import { parseDuration } from './define.ts';
import type { SettingDoc } from './define.ts';
import { SECTIONS, sectionByName } from './schema.ts';
import type { Config } from './schema.ts';

/** Where a value came from, for error messages and `probewatch config --explain`. */
export interface Origin {
  source: string;
  line?: number;
}

/** A layer of values keyed "section.key", with the origin of each. */
export interface Layer {
  source: string;
  values: Map<string, { value: unknown; line?: number }>;
}

/** Parsed command-line flags by flag name; repeated flags come as arrays. */
export type Flags = Readonly<Record<string, string | boolean | readonly string[] | undefined>>;

export interface LoadOptions {
  /** probewatch YAML configuration file. */
  file?: string | undefined;
  /** Extra layers applied after defaults and before the file (psad.conf import). */
  before?: readonly Layer[];
  /** Environment (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Command-line flags. */
  flags?: Flags;
}

/** The loaded configuration and where each explicitly set value came from. */
export interface Loaded {
  config: Config;
  origins: Map<string, Origin>;
}

function defaultsCopy(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const s of SECTIONS) out[s.name] = structuredClone(s.defaults);
  return out;
}

function docFor(path: string): SettingDoc | undefined {
  const dot = path.indexOf('.');
  if (dot === -1) return undefined;
  const sec = sectionByName(path.slice(0, dot));
  const key = path.slice(dot + 1);
  if (!sec || !Object.hasOwn(sec.docs, key)) return undefined;
  return sec.docs[key];
}

function fail(path: string, why: string, origin: Origin): never {
  throw pwError('PW_ERR_CONFIG_VALUE', [path, `${why} (${origin.source}${origin.line ? `:${origin.line}` : ''})`],
    { key: path, file: origin.source, line: origin.line });
}

/** Converts a value from YAML (typed) or text (env/flags) to the setting's type, or throws a coded error. */
export function coerce(path: string, doc: SettingDoc, raw: unknown, origin: Origin): unknown {
  const text = typeof raw === 'string' ? raw.trim() : raw;
  const num = (v: unknown): number => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN;
    if (!Number.isFinite(n)) fail(path, `expected a number, got ${JSON.stringify(v)}`, origin);
    if (doc.min !== undefined && n < doc.min) fail(path, `must be ≥ ${doc.min}`, origin);
    if (doc.max !== undefined && n > doc.max) fail(path, `must be ≤ ${doc.max}`, origin);
    return n;
  };
  const list = (v: unknown): string[] => {
    if (Array.isArray(v)) return v.map((x) => String(x).trim()).filter((x) => x.length > 0);
    if (typeof v === 'string') return v.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
    if (typeof v === 'number') return [String(v)];
    return fail(path, `expected a list, got ${JSON.stringify(v)}`, origin);
  };
  switch (doc.kind) {
    case 'int': {
      const n = num(text);
      if (!Number.isInteger(n)) fail(path, `expected an integer, got ${JSON.stringify(raw)}`, origin);
      return n;
    }
    case 'number':
      return num(text);
    case 'bool': {
      if (typeof text === 'boolean') return text;
      if (typeof text === 'string' && /^(1|y|yes|true|on)$/i.test(text)) return true;
      if (typeof text === 'string' && /^(0|n|no|false|off)$/i.test(text)) return false;
      return fail(path, `expected true/false, got ${JSON.stringify(raw)}`, origin);
    }
    case 'string':
    case 'path':
      if (typeof text === 'string') return text;
      if (typeof text === 'number') return String(text);
      return fail(path, `expected text, got ${JSON.stringify(raw)}`, origin);
    case 'enum': {
      const v = String(text);
      if (!doc.values?.includes(v)) fail(path, `expected one of ${doc.values?.join(', ') ?? ''}, got ${JSON.stringify(raw)}`, origin);
      return v;
    }
    case 'duration': {
      const d = typeof text === 'number' || typeof text === 'string' ? parseDuration(text) : null;
      if (d === null) return fail(path, `expected a duration such as 90s, 10m, 2h, 1d, got ${JSON.stringify(raw)}`, origin);
      if (doc.min !== undefined && d < doc.min) fail(path, `must be ≥ ${doc.min}s`, origin);
      if (doc.max !== undefined && d > doc.max) fail(path, `must be ≤ ${doc.max}s`, origin);
      return d;
    }
    case 'int-list': {
      const items = list(text).map((x) => {
        const n = num(x);
        if (!Number.isInteger(n)) fail(path, `expected integers, got ${JSON.stringify(x)}`, origin);
        return n;
      });
      if (doc.items !== undefined && items.length !== doc.items) fail(path, `expected ${doc.items} values, got ${items.length}`, origin);
      return items;
    }
    case 'list':
    case 'paths':
    case 'port-list':
      return list(text);
  }
}

/** Reads a probewatch YAML config file into a layer; unknown sections/keys and type errors name the file and line. */
export function readConfigFile(file: string): Layer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw pwError('PW_ERR_CONFIG', [`cannot read ${file}: ${(e as Error).message}`], { file });
  }
  return parseConfigText(text, file);
}

let yamlLib: typeof Yaml | null = null;

/**
 * The yaml package, loaded on first use: most runs have no configuration file, and importing it up front cost every
 * command ~0.05 CPU-s of start-up (a fifth of `probewatch fingerprint` on a small file).
 */
function yaml(): typeof Yaml {
  yamlLib ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return yamlLib;
}

/** Parses YAML configuration text (see readConfigFile). */
export function parseConfigText(text: string, file: string): Layer {
  const { LineCounter, parseDocument, isMap, isScalar, isSeq } = yaml();
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0].line;
    throw pwError('PW_ERR_CONFIG', [`${file}${line ? `:${line}` : ''}: ${e.message.split('\n')[0] ?? ''}`], { file, line });
  }
  const layer: Layer = { source: file, values: new Map() };
  const root = doc.contents;
  if (root === null) return layer;
  const lineOf = (n: YamlNode | null | undefined): number | undefined => (n?.range ? lc.linePos(n.range[0]).line : undefined);
  if (!isMap(root)) throw pwError('PW_ERR_CONFIG', [`${file}: the top level must be a mapping of sections`], { file, line: 1 });
  for (const pair of root.items) {
    const sk = isScalar(pair.key) ? String(pair.key.value) : '';
    const line = lineOf(pair.key);
    const sec = sectionByName(sk);
    if (!sec) {
      throw pwError('PW_ERR_CONFIG_UNKNOWN_KEY', [`"${sk}" at ${file}:${line ?? '?'} (sections: ${SECTIONS.map((s) => s.name).join(', ')})`], { key: sk, file, line });
    }
    if (pair.value === null) continue;
    if (!isMap(pair.value)) throw pwError('PW_ERR_CONFIG', [`${file}:${line ?? '?'}: section ${sk} must be a mapping`], { file, line });
    for (const kv of pair.value.items) {
      const key = isScalar(kv.key) ? String(kv.key.value) : '';
      const kline = lineOf(kv.key);
      const path = `${sk}.${key}`;
      if (!docFor(path)) {
        throw pwError('PW_ERR_CONFIG_UNKNOWN_KEY', [`"${path}" at ${file}:${kline ?? '?'}`], { key: path, file, line: kline });
      }
      const v = kv.value;
      const value: unknown = isSeq(v) ? v.items.map((i) => (isScalar(i) ? i.value : String(i))) : isScalar(v) ? v.value : v === null ? null : v.toJSON();
      layer.values.set(path, kline === undefined ? { value } : { value, line: kline });
    }
  }
  return layer;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** Builds the layer of environment variables that settings declare (PROBEWATCH_…). */
export function envLayer(env: Readonly<Record<string, string | undefined>>): Layer {
  const layer: Layer = { source: 'environment', values: new Map() };
  for (const s of SECTIONS) {
    for (const [key, doc] of Object.entries<SettingDoc>(s.docs)) {
      if (doc.env && env[doc.env] !== undefined) layer.values.set(`${s.name}.${key}`, { value: env[doc.env] });
    }
  }
  return layer;
}

/** Builds the layer of command-line flags that settings declare. */
export function flagLayer(flags: Flags): Layer {
  const layer: Layer = { source: 'command line', values: new Map() };
  for (const s of SECTIONS) {
    for (const [key, doc] of Object.entries<SettingDoc>(s.docs)) {
      if (!doc.flag) continue;
      const v = flags[doc.flag];
      if (v === undefined) continue;
      layer.values.set(`${s.name}.${key}`, { value: v });
    }
  }
  return layer;
}

/** Applies layers over the defaults, validating every value; returns the frozen config and the origins. */
export function resolve(layers: readonly Layer[]): Loaded {
  const cfg = defaultsCopy();
  const origins = new Map<string, Origin>();
  for (const layer of layers) {
    for (const [path, { value, line }] of layer.values) {
      const doc = docFor(path);
      const origin: Origin = line === undefined ? { source: layer.source } : { source: layer.source, line };
      if (!doc) throw pwError('PW_ERR_CONFIG_UNKNOWN_KEY', [`"${path}" (${layer.source}${line ? `:${line}` : ''})`], { key: path, file: layer.source, line });
      const [sec, key] = [path.slice(0, path.indexOf('.')), path.slice(path.indexOf('.') + 1)];
      (cfg[sec] as Record<string, unknown>)[key] = coerce(path, doc, value, origin);
      origins.set(path, origin);
    }
  }
  return { config: deepFreeze(cfg) as unknown as Config, origins };
}

/** Loads configuration for a command: defaults → `before` layers → file → environment → flags. */
export function loadConfig(opts: LoadOptions = {}): Loaded {
  const layers: Layer[] = [...(opts.before ?? [])];
  if (opts.file) layers.push(readConfigFile(opts.file));
  layers.push(envLayer(opts.env ?? process.env));
  if (opts.flags) layers.push(flagLayer(opts.flags));
  return resolve(layers);
}
