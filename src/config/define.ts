// The settings mechanism: each section declares typed defaults plus one documented entry per key (trade-off, env, flag).

/** How a value is read from text (environment, flags) and checked. */
export type SettingKind = 'int' | 'number' | 'bool' | 'string' | 'list' | 'int-list' | 'duration' | 'enum' | 'path' | 'paths' | 'port-list';

/** Documentation and parsing rules of one setting. */
export interface SettingDoc {
  /** How the value is read and validated. */
  kind: SettingKind;
  /** One line: what it does and the trade-off of raising or lowering it. */
  doc: string;
  /** Environment variable (PROBEWATCH_…), when the setting has one. */
  env?: string;
  /** Command-line flag (without dashes), when the setting has one. */
  flag?: string;
  /**
   * The psad.conf key it corresponds to, when there is one. A list setting fed by several psad keys names them all,
   * separated by ", ", in element order (e.g. "DANGER_LEVEL1, DANGER_LEVEL2, …"); `--psad-conf` maps every such key.
   */
  psad?: string;
  /** Lower bound for numbers. */
  min?: number;
  /** Upper bound for numbers. */
  max?: number;
  /** Exact number of elements for 'int-list'. */
  items?: number;
  /** Allowed values for 'enum'. */
  values?: readonly string[];
}

/** A config section: its name (top-level key), defaults and docs keyed by the setting name inside the section. */
export interface Section<T extends Record<string, unknown>, N extends string = string> {
  readonly name: N;
  /** One line describing the section, for the reference. */
  readonly title: string;
  readonly defaults: T;
  readonly docs: { readonly [K in keyof T]: SettingDoc };
}

/** Declares a section; the `docs` record must have exactly the keys of `defaults` (checked by the compiler). */
export function section<N extends string, T extends Record<string, unknown>>(
  name: N, title: string, defaults: T, docs: { [K in keyof T]: SettingDoc },
): Section<T, N> {
  return { name, title, defaults, docs };
}

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Parses "90s", "10m", "2h", "1d", "1w", "500ms" or a bare number of seconds; returns seconds or null. */
export function parseDuration(text: string | number): number | null {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return n * (UNITS[unit] ?? 1);
}

/** Formats seconds back to the shortest duration text ("3600" → "1h"). */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0';
  for (const [u, f] of [['w', 604800], ['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (seconds % f === 0) return `${seconds / f}${u}`;
  }
  return `${seconds}s`;
}
