// PROBEWATCH_CONFIG / PROBEWATCH_PSAD_CONF: the environment form of the two flags that name files, not settings.

/** Environment equivalents of the two flags that name files rather than settings (`--config`, `--psad-conf`). */
export const FILE_FLAG_ENV = { config: 'PROBEWATCH_CONFIG', 'psad-conf': 'PROBEWATCH_PSAD_CONF' } as const;

/** Parsed flags with `--config` / `--psad-conf` taken from PROBEWATCH_CONFIG / PROBEWATCH_PSAD_CONF when not given. */
export function withFileEnv<V extends Readonly<Record<string, unknown>>>(values: V, env: NodeJS.ProcessEnv = process.env): V {
  const out: Record<string, unknown> = { ...values };
  for (const [flag, name] of Object.entries(FILE_FLAG_ENV)) {
    const v = env[name];
    if (out[flag] === undefined && v !== undefined && v !== '') out[flag] = v;
  }
  return out as V;
}
