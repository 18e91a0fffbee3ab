// Turns a command's parsed flags into loader options: --config, --psad-conf (with -O-style --psad-override files) and
// the setting flags.
import type { LoadOptions } from '../config/load.ts';
import { importPsadConf } from '../config/psad-conf.ts';
import type { PsadConfImport } from '../config/psad-conf.ts';

/** Loader options from parsed flags; `--no-X` flags are passed as `X: false` for the settings that declare flag `X`. */
export function configLayersFromArgs(values: Readonly<Record<string, unknown>>): LoadOptions & { psad?: PsadConfImport } {
  const flags: Record<string, string | boolean | readonly string[] | undefined> = {};
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    if (k.startsWith('no-') && v === true) flags[k.slice(3)] = false;
    else flags[k] = v as string | boolean | readonly string[];
  }
  const opts: LoadOptions & { psad?: PsadConfImport } = { file: typeof values.config === 'string' ? values.config : undefined, flags };
  if (typeof values['psad-conf'] === 'string') {
    const raw = values['psad-override'];
    const overrides = (Array.isArray(raw) ? raw as string[] : typeof raw === 'string' ? [raw] : [])
      .flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
    const psad = importPsadConf(values['psad-conf'], overrides);
    opts.before = psad.layers;
    opts.psad = psad;
  }
  return opts;
}
