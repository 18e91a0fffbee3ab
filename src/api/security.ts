// Reads each operation's security requirement from openapi.yaml: the scope a route needs, or none (open).
import type { Scope } from './tokens.ts';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

type SecurityRequirement = Record<string, unknown>[];

function scopeOf(sec: SecurityRequirement | undefined): Scope | null | undefined {
  if (sec === undefined) return undefined;
  if (sec.length === 0) return null;
  // bearerAuth: [admin] needs admin; [read] or [] needs read; several alternatives: the weakest one applies
  let need: Scope = 'admin';
  for (const alt of sec) {
    const scopes = alt.bearerAuth;
    if (Array.isArray(scopes) && scopes.includes('admin')) continue;
    need = 'read';
  }
  return need;
}

/** Map of "METHOD /fastify/:path" to the scope it needs, or null when the operation is open. */
export function routeScopes(spec: unknown): Map<string, Scope | null> {
  const out = new Map<string, Scope | null>();
  const s = spec as { security?: SecurityRequirement; paths?: Record<string, Record<string, { security?: SecurityRequirement }>> };
  const global = scopeOf(s.security) ?? null;
  for (const [path, item] of Object.entries(s.paths ?? {})) {
    const url = path.replace(/{(\w+)}/g, ':$1');
    for (const m of METHODS) {
      const op = item[m];
      if (!op) continue;
      const own = scopeOf(op.security);
      out.set(`${m.toUpperCase()} ${url}`, own === undefined ? global : own);
    }
  }
  return out;
}
