// Turns a command's parsed flags into loader options: --config, --psad-conf and the setting flags.
import type { LoadOptions } from '../config/load.ts';

/** Loader options from parsed flags; `--no-X` flags are passed as `X: false` for the settings that declare flag `X`. */
export function configLayersFromArgs(values: Readonly<Record<string, unknown>>): LoadOptions {
  const flags: Record<string, string | boolean | readonly string[] | undefined> = {};
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    if (k.startsWith('no-') && v === true) flags[k.slice(3)] = false;
    else flags[k] = v as string | boolean | readonly string[];
  }
  return { file: typeof values.config === 'string' ? values.config : undefined, flags: flags };
}
