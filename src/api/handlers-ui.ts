// Dashboard data endpoints (openapi.yaml "dashboard" block): overview, ports, countries, level changes, source timeline.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { pwError } from '../domain/errors.ts';
import { windowRange } from '../domain/dashboard.ts';
import type { DashboardQueries, DashboardWindow, SourceTimeline } from '../domain/dashboard.ts';
import type { ApiContext } from './deps.ts';
import { pathIp } from './handlers/sources.ts';
import { parseTime } from './query.ts';
import { SESSION_COOKIE } from './sessions.ts';

/** Window and end of a dashboard query, as validated by the spec. */
interface WindowQuery {
  window?: DashboardWindow;
  end?: string;
}

/** The dashboard handlers. */
export function uiHandlers(ctx: ApiContext) {
  const { deps } = ctx;
  const dash = (): DashboardQueries => {
    if (!deps.dashboard) throw pwError('PW_ERR_UNAVAILABLE', ['the dashboard rollups are not running (dashboard.enabled is off)']);
    return deps.dashboard;
  };
  const end = (q: WindowQuery): number => (q.end === undefined ? deps.clock.now() : parseTime(q.end, 'end'));
  return {
    getDashboardSession(req: FastifyRequest): { scope: 'read' | 'admin'; version: string } {
      // the auth hook already let the request through (bearer or cookie); this only tells the page which controls to show
      const r = req.headers.authorization === undefined ? ctx.sessions.check(req.headers.cookie) : deps.tokens.check(req.headers.authorization);
      return { scope: r.ok ? r.scope : 'read', version: ctx.version };
    },

    createDashboardSession(req: FastifyRequest<{ Body: { token: string } }>, reply: FastifyReply): { scope: 'read' | 'admin'; version: string; expires: string } {
      const { id, auth } = ctx.sessions.create(req.body.token);
      if (!auth.ok) throw pwError('PW_ERR_UNAUTHORIZED', ['unknown or malformed token'], { invalid: true });
      const secure = req.protocol === 'https' ? '; Secure' : '';
      reply.header('set-cookie', `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${String(ctx.sessions.lifetime)}${secure}`);
      reply.code(201);
      return { scope: auth.scope, version: ctx.version, expires: new Date(deps.clock.now() + ctx.sessions.lifetime * 1000).toISOString() };
    },

    deleteDashboardSession(req: FastifyRequest, reply: FastifyReply): FastifyReply {
      ctx.sessions.end(req.headers.cookie);
      const secure = req.protocol === 'https' ? '; Secure' : '';
      return reply.code(204).header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure}`).send();
    },

    getDashboardOverview(req: FastifyRequest<{ Querystring: WindowQuery }>) {
      return dash().overview(req.query.window ?? '24h', end(req.query));
    },

    getDashboardPorts(req: FastifyRequest<{ Querystring: WindowQuery & { top?: number } }>) {
      return dash().ports(req.query.window ?? '24h', end(req.query), req.query.top ?? 15);
    },

    getDashboardCountries(req: FastifyRequest<{ Querystring: WindowQuery }>) {
      return dash().countries(req.query.window ?? '24h', end(req.query));
    },

    getDashboardLevelChanges(req: FastifyRequest<{ Querystring: { after?: number; limit?: number } }>) {
      return { items: dash().levelChanges(req.query.after ?? 0, req.query.limit ?? 50) };
    },

    getSourceTimeline(req: FastifyRequest<{ Params: { ip: string }; Querystring: WindowQuery }>): SourceTimeline {
      const ip = pathIp(req.params.ip);
      const d = dash();
      const window = req.query.window ?? '7d';
      const endMs = end(req.query);
      const vp = deps.sources.get(ip);
      if (!vp) throw pwError('PW_ERR_NOT_FOUND', [ip]);
      // a source the rollups have not folded in yet has an empty timeline, not a 404: its profile exists
      const t = d.sourceTimeline(ip, window, endMs) ?? emptyTimeline(ip, window, endMs);
      const history = vp.profile.dangerHistory;
      if (history.length > 0) t.levels = history.map((s) => ({ time: s.time, level: s.level }));
      return t;
    },
  };
}

function emptyTimeline(ip: string, window: DashboardWindow, endMs: number): SourceTimeline {
  const { current: c } = windowRange(window, endMs);
  return { ip, time: Array.from({ length: c.hours }, (_, i) => (c.from + i) * 3600), packets: new Array<number>(c.hours).fill(0), levels: [] };
}
