// buildApp(deps): the fastify instance (not listening) with routes and validation from openapi.yaml, auth, limits, errors.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import openapiGlue from 'fastify-openapi-glue';
import { Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { parseIp } from '../domain/address.ts';
import { ProbewatchError } from '../domain/errors.ts';
import type { ApiContext, ApiDeps } from './deps.ts';
import { blockingHandlers } from './handlers/blocking.ts';
import { feedHandlers } from './handlers/feed.ts';
import { opsHandlers } from './handlers/ops.ts';
import { sourceHandlers } from './handlers/sources.ts';
import { uiHandlers } from './handlers-ui.ts';
import { ProfileJsonCache } from './profile-cache.ts';
import { profileSerializer } from './profile-body.ts';
import { CSRF_HEADER, SESSION_COOKIE, SessionStore, cookieValue } from './sessions.ts';
import { registerUiStatic } from './ui-static.ts';
import { apiMetrics } from './metrics.ts';
import { problem, toProblem } from './problem.ts';
import { routeScopes } from './security.ts';
import { SseHub } from './sse.ts';
import { scopeAllows } from './tokens.ts';

/** The repository's openapi.yaml (two levels up from src/api or dist/api). */
export const DEFAULT_SPEC = fileURLToPath(new URL('../../openapi.yaml', import.meta.url));

/** Headers every answer carries unless the route set its own (the docs page sets a wider CSP). */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};
const SECURITY_HEADER_LIST = Object.entries(SECURITY_HEADERS);

/** CSP of the documentation page: its own scripts and styles only (Swagger UI sets inline styles). */
const DOCS_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'none'";

function isLoopback(ip: string): boolean {
  const p = parseIp(ip);
  if (!p) return false;
  return p.family === 4 ? p.bytes[0] === 127 : p.text === '::1';
}

/** The handlers by operationId (a test checks they match openapi.yaml's operations one to one). */
export function apiHandlers(ctx: ApiContext, registry: Registry) {
  return {
    ...sourceHandlers(ctx),
    ...feedHandlers(ctx),
    ...blockingHandlers(ctx),
    ...opsHandlers(ctx, registry),
    ...uiHandlers(ctx),
  };
}

/** Builds the API. The instance is ready (`await app.ready()` done) but not listening; `app.close()` ends SSE streams. */
export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const settings = deps.settings;
  const specPath = deps.specPath ?? DEFAULT_SPEC;
  const spec = readFileSync(specPath, 'utf8');
  const scopes = routeScopes(parseYaml(spec) as unknown);
  const trust = settings.trustProxy.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: settings.bodyLimit,
    requestTimeout: settings.requestTimeout * 1000,
    trustProxy: trust.length > 0 ? trust : false,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 1024 },
    // validation errors must be 400s, not silent fixes: no removal of unknown fields, and every failure reported
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true } },
  });
  const registry = deps.registry ?? new Registry();
  const epoch = deps.feed.position().epoch;
  const sse = new SseHub(deps.feed, deps.sources, settings, epoch, deps.clock);
  const sessions = new SessionStore(deps.tokens, deps.clock, deps.sessions ?? { lifetime: 8 * 3600, max: 1000 });
  const profiles = new ProfileJsonCache(settings.profileCacheMb * 1_048_576);
  const metrics = apiMetrics(registry, deps.feed, deps.stats, () => sse.size, profiles);
  const serializeProfile = deps.serializeProfile ?? profileSerializer(spec);
  const ctx: ApiContext = { deps, settings, epoch, version: deps.version ?? '0.1.0', spec, sse, metrics, sessions, profiles, serializeProfile };

  app.setErrorHandler((err, req, reply) => {
    const p = toProblem(err);
    if (p.internal) req.log.error({ err }, 'request failed');
    void reply.code(p.status).headers(p.headers).type('application/problem+json; charset=utf-8')
      .send({ ...p.body, instance: req.url.split('?')[0] ?? '', requestId: req.id });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).type('application/problem+json; charset=utf-8')
      .send({ ...problem('PW_ERR_ROUTE_NOT_FOUND', `no such endpoint: ${req.method} ${(req.url.split('?')[0] ?? '').slice(0, 200)}`), requestId: req.id });
  });

  app.addHook('onSend', (_req, reply, payload, done) => {
    for (const [k, v] of SECURITY_HEADER_LIST) if (!reply.hasHeader(k)) reply.header(k, v);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });
  app.addHook('onResponse', (req, reply, done) => {
    const schema: { operationId?: unknown } | undefined = req.routeOptions.schema;
    const op = typeof schema?.operationId === 'string' ? schema.operationId : req.routeOptions.url?.startsWith('/docs') ? 'getDocs' : 'none';
    const status = `${Math.floor(reply.statusCode / 100)}xx`;
    metrics.requests.inc({ operation: op, status });
    metrics.duration.observe({ operation: op }, reply.elapsedTime / 1000);
    done();
  });

  // authentication runs first (onRequest), before validation, so a client without a token learns nothing of the API
  app.addHook('onRequest', (req, _reply, done) => {
    const url = req.routeOptions.url;
    const required = url === undefined ? null : scopes.get(`${req.method === 'HEAD' ? 'GET' : req.method} ${url}`);
    if (required === undefined || required === null) { done(); return; }
    // a bearer header wins; without one, the dashboard's session cookie (issue 7) stands in for the token
    const viaCookie = req.headers.authorization === undefined && cookieValue(req.headers.cookie, SESSION_COOKIE) !== null;
    const r = viaCookie ? sessions.check(req.headers.cookie) : deps.tokens.check(req.headers.authorization);
    if (r.ok && viaCookie && req.method !== 'GET' && req.method !== 'HEAD' && req.headers[CSRF_HEADER] !== '1') {
      done(new ProbewatchError('PW_ERR_UNAUTHORIZED', [`a session cookie needs the ${CSRF_HEADER}: 1 header on ${req.method}`]));
      return;
    }
    if (!r.ok) {
      done(new ProbewatchError('PW_ERR_UNAUTHORIZED', [r.reason === 'missing' ? 'send Authorization: Bearer TOKEN' : 'unknown or malformed token'], { invalid: r.reason !== 'missing' }));
      return;
    }
    done(scopeAllows(r.scope, required) ? undefined : new ProbewatchError('PW_ERR_FORBIDDEN', [required]));
  });

  if (settings.rateLimit > 0) {
    await app.register(rateLimit, {
      global: true,
      max: settings.rateLimit,
      timeWindow: settings.rateLimitWindow * 1000,
      hook: 'onRequest',
      keyGenerator: (req) => req.ip,
      allowList: (req) => settings.rateLimitExemptLoopback && isLoopback(req.ip),
      errorResponseBuilder: (_req, c) => {
        const secs = Math.max(1, Math.ceil(c.ttl / 1000));
        return new ProbewatchError('PW_ERR_RATE_LIMITED', [`${secs}s`], { retryAfter: secs });
      },
    });
  }
  if (deps.validateResponses ?? settings.validateResponses) {
    const { default: responseValidation } = await import('@fastify/response-validation');
    const { default: formats } = await import('ajv-formats');
    await app.register(responseValidation, {
      ajv: { plugins: [formats], coerceTypes: false, useDefaults: false, removeAdditional: false, allErrors: true },
    });
  }

  await app.register(swagger, { mode: 'static', specification: { path: specPath, baseDir: dirname(specPath) } });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: DOCS_CSP,
    uiConfig: { validatorUrl: null, deepLinking: true },
  });

  // glue builds query schemas without additionalProperties: an unknown (mistyped) filter must be a 400, not ignored
  app.addHook('onRoute', (route) => {
    const q = (route.schema as { querystring?: Record<string, unknown> } | undefined)?.querystring;
    if (q && q.type === 'object' && !('additionalProperties' in q)) q.additionalProperties = false;
  });

  // media types the spec only answers with: a request body in one of them is refused (and glue finds a parser for each)
  app.addContentTypeParser(['application/problem+json', 'application/x-ndjson', 'text/event-stream', 'application/yaml', 'text/html'], (_req, _body, done) => {
    done(new ProbewatchError('PW_ERR_UNSUPPORTED_MEDIA_TYPE', ['expected application/json']), undefined);
  });
  await app.register(openapiGlue, { specification: specPath, serviceHandlers: apiHandlers(ctx, registry) });
  if (deps.uiDir !== false) registerUiStatic(app, deps.uiDir);

  app.addHook('onReady', (done) => { sse.start(); done(); });
  app.addHook('preClose', (done) => { sse.close(); done(); });
  await app.ready();
  return app;
}
