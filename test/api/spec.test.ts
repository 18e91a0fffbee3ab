// openapi.yaml is the source of truth: every operation has a handler and a route, responses are validated, error codes agree.
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHandlers, DEFAULT_SPEC } from '../../src/api/app.ts';
import type { ApiContext } from '../../src/api/deps.ts';
import { API_ERROR_CODES } from '../../src/api/problem.ts';
import { ERROR_CODES } from '../../src/domain/errors.ts';
import { SOURCE_SORTS } from '../../src/domain/queries.ts';
import { ADMIN_TOKEN, auth, fixture } from './helpers.ts';
import type { Fixture } from './helpers.ts';

interface Operation { operationId: string; security?: unknown[]; responses: Record<string, unknown>; 'x-no-fastify-config'?: boolean; 'x-fastify-config'?: { rateLimit?: boolean } }
const spec = parse(readFileSync(DEFAULT_SPEC, 'utf8')) as {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  'x-error-codes': Record<string, { status: number }>;
  components: { parameters: Record<string, { schema: { enum?: string[] } }>; schemas: Record<string, unknown> };
};
const ops = Object.entries(spec.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method: method.toUpperCase(), op })));

let f: Fixture;
let app: FastifyInstance;
beforeAll(async () => {
  f = fixture();
  f.put('192.0.2.10', { dl: 3 });
  f.store.indexer.catchUp();
  app = await f.app();
});
afterAll(async () => {
  await app.close();
  f.close();
});

describe('openapi.yaml', () => {
  it('is OpenAPI 3.1 and lists the operations of the issue', () => {
    expect(spec.openapi).toBe('3.1.0');
    // the dashboard block (tag dashboard) is checked by test/ui/api.test.ts
    expect(ops.filter((o) => !(o.op as { tags?: string[] }).tags?.includes('dashboard')).map((o) => `${o.method} ${o.path}`).sort()).toEqual([
      'DELETE /blocks/{ip}', 'GET /blocklist', 'GET /blocks', 'GET /docs', 'GET /feed', 'GET /feed/stream', 'GET /healthz', 'GET /metrics',
      'GET /openapi.yaml', 'GET /readyz', 'GET /sources', 'GET /sources/{ip}', 'GET /stats', 'POST /blocks',
    ]);
  });

  it('has exactly one handler per operation id', () => {
    const names = Object.keys(apiHandlers({ deps: f.deps(), settings: f.settings, epoch: 'ab', version: 'x', spec: '', sse: undefined, metrics: undefined } as unknown as ApiContext, new Registry()));
    const ids = ops.filter((o) => !o.op['x-no-fastify-config']).map((o) => o.op.operationId);
    expect(names.sort()).toEqual(ids.sort());
  });

  it('registers a route for every operation, and every operation answers (never "not implemented")', async () => {
    for (const { path, method, op } of ops) {
      const url = path.replace('{ip}', '192.0.2.10');
      expect(app.hasRoute({ method: method, url: path.replace(/{(\w+)}/g, ':$1') }), `${method} ${path}`).toBe(true);
      if (path === '/feed/stream') continue; // a stream never ends; tested over a real socket
      const r = await app.inject({ method: method as 'GET', url, headers: auth(ADMIN_TOKEN), ...(method === 'POST' ? { payload: { ip: '192.0.2.11' } } : {}) });
      expect(r.statusCode, `${op.operationId}: ${r.body.slice(0, 200)}`).toBeLessThan(500);
      expect(Object.keys(op.responses), op.operationId).toContain(String(r.statusCode));
    }
  });

  it('declares 401/403/429 for every protected operation', () => {
    for (const { op } of ops) {
      if (op.security?.length === 0) continue;
      for (const code of ['401', '403', '429']) expect(Object.keys(op.responses), `${op.operationId} ${code}`).toContain(code);
    }
  });

  it('documents the error codes the API raises, with the registry status', () => {
    const documented = spec['x-error-codes'];
    for (const [code, { status }] of Object.entries(documented)) {
      expect(ERROR_CODES, code).toHaveProperty(code);
      expect(ERROR_CODES[code as keyof typeof ERROR_CODES].status, code).toBe(status);
    }
    for (const code of API_ERROR_CODES) expect(Object.keys(documented), code).toContain(code);
  });

  it('lists the same sort orders as the code', () => {
    const listSources = spec.paths['/sources']!.get!;
    const sort = (listSources as unknown as { parameters: { name?: string; schema?: { enum?: string[] } }[] }).parameters.find((p) => p.name === 'sort')!;
    expect(sort.schema!.enum).toEqual([...SOURCE_SORTS]);
  });
});

describe('response validation', () => {
  it('turns a response outside its schema into a 500 (the schema alone would let it through)', async () => {
    f.put('192.0.2.20', { dl: 1, extra: { geo: { country: 'NL', city: null, surprise: 'not in the spec' } as never } });
    const r = await app.inject({ url: '/sources/192.0.2.20', headers: auth() });
    expect(r.statusCode, r.body).toBe(500);
    expect(r.json<{ code: string }>().code).toBe('PW_ERR_INTERNAL');
    // a wrong type: fast-json-stringify quietly coerces it, only validation refuses it
    f.put('192.0.2.22', { dl: 1, extra: { tags: [42 as unknown as string] } });
    expect((await app.inject({ url: '/sources/192.0.2.22', headers: auth() })).statusCode).toBe(500);
    const lax = await f.app({ validateResponses: false });
    try {
      expect((await lax.inject({ url: '/sources/192.0.2.22', headers: auth() })).json<{ tags: unknown[] }>().tags).toEqual(['42']);
    } finally {
      await lax.close();
    }
  });
});
