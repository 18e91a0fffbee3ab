// Operations endpoints: /stats (cached), /metrics, /healthz, /readyz and /openapi.yaml.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { StoreStats } from '../../domain/queries.ts';
import type { ApiContext } from '../deps.ts';

type StatsBody = StoreStats & { generatedAt: string; runtime: Record<string, number> };

/** The operations handlers. */
export function opsHandlers(ctx: ApiContext, registry: Registry) {
  const { deps } = ctx;
  const cache = new Map<number, { at: number; body: StatsBody }>();
  return {
    getStats(req: FastifyRequest<{ Querystring: { top?: number } }>): StatsBody {
      const top = req.query.top ?? 10;
      const now = deps.clock.now();
      const hit = cache.get(top);
      if (hit && now - hit.at < ctx.settings.statsCacheTtl * 1000) return hit.body;
      const runtime: Record<string, number> = {};
      for (const [k, v] of Object.entries(deps.runtime?.rates() ?? {})) if (Number.isFinite(v)) runtime[k] = v;
      const body: StatsBody = { generatedAt: new Date(now).toISOString(), ...deps.stats.stats(top), runtime };
      if (cache.size > 16) cache.clear();
      cache.set(top, { at: now, body });
      return body;
    },

    async getMetrics(_req: FastifyRequest, reply: FastifyReply): Promise<string> {
      reply.type(registry.contentType);
      return registry.metrics();
    },

    getHealth(): { status: 'ok' } {
      return { status: 'ok' };
    },

    getReady(_req: FastifyRequest, reply: FastifyReply): { ready: boolean; checks: ReturnType<typeof deps.readiness.checks> } {
      const checks = deps.readiness.checks();
      const ready = checks.every((c) => c.ready);
      reply.code(ready ? 200 : 503);
      return { ready, checks };
    },

    getOpenapi(_req: FastifyRequest, reply: FastifyReply): string {
      reply.type('application/yaml; charset=utf-8');
      reply.header('cache-control', 'public, max-age=300');
      return ctx.spec;
    },
  };
}
