// Auth (401/403, scopes, hashed tokens, token files), rate limits, body limits, security headers, no leaks on errors.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceQueries } from '../../src/domain/queries.ts';
import { parseTokenSpecs, readTokenFile, TokenStore, tokenDigest } from '../../src/api/tokens.ts';
import { ADMIN_TOKEN, auth, fixture, READ_TOKEN, T0 } from './helpers.ts';
import type { Fixture } from './helpers.ts';

let f: Fixture;
let app: FastifyInstance;
beforeAll(async () => {
  f = fixture({ rateLimit: 5, rateLimitWindow: 60, bodyLimit: 512 });
  f.put('203.0.113.9', { dl: 2 });
  f.store.indexer.catchUp();
  app = await f.app();
});
afterAll(async () => {
  await app.close();
  f.close();
});

describe('authentication and scopes', () => {
  it('opens only health, readiness and documentation; everything else needs a token', async () => {
    for (const url of ['/healthz', '/readyz', '/openapi.yaml', '/docs', '/docs/static/index.html']) {
      const r = await app.inject({ url });
      expect(r.statusCode, url).toBeLessThan(400);
    }
    for (const [method, url] of [['GET', '/sources/203.0.113.9'], ['GET', '/sources'], ['GET', '/feed'], ['GET', '/feed/stream'], ['GET', '/blocklist'],
      ['GET', '/stats'], ['GET', '/metrics'], ['GET', '/blocks'], ['POST', '/blocks'], ['DELETE', '/blocks/203.0.113.9']] as const) {
      const r = await app.inject({ method, url });
      expect(r.statusCode, url).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer realm="probewatch"');
      expect(r.json<{ code: string }>().code).toBe('PW_ERR_UNAUTHORIZED');
      const bad = await app.inject({ method, url, headers: { authorization: 'Bearer not-a-real-token-at-all' } });
      expect(bad.statusCode, url).toBe(401);
      expect(bad.headers['www-authenticate']).toContain('error="invalid_token"');
    }
  });

  it('checks auth before validating, so an anonymous client learns nothing about parameters', async () => {
    const r = await app.inject({ url: '/sources?limit=abc&bogus=1' });
    expect(r.statusCode).toBe(401);
  });

  it('lets read tokens read and refuses them admin operations with 403; admin tokens do both', async () => {
    expect((await app.inject({ url: '/stats', headers: auth(READ_TOKEN) })).statusCode).toBe(200);
    expect((await app.inject({ url: '/stats', headers: auth(ADMIN_TOKEN) })).statusCode).toBe(200);
    const post = { method: 'POST' as const, url: '/blocks', payload: { ip: '203.0.113.9', duration: '1h', reason: 'test' } };
    const denied = await app.inject({ ...post, headers: auth(READ_TOKEN) });
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({ code: 'PW_ERR_FORBIDDEN', detail: 'this token lacks the admin scope' });
    const ok = await app.inject({ ...post, headers: auth(ADMIN_TOKEN) });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json()).toMatchObject({ ip: '203.0.113.9', reason: 'test', origin: 'api', applied: false, backend: 'dry-run', until: new Date(T0 + 3600_000).toISOString() });
    expect((await app.inject({ url: '/blocks', headers: auth(READ_TOKEN) })).json<{ blocks: unknown[] }>().blocks).toHaveLength(1);
    expect((await app.inject({ method: 'DELETE', url: '/blocks/203.0.113.9', headers: auth(READ_TOKEN) })).statusCode).toBe(403);
    expect((await app.inject({ method: 'DELETE', url: '/blocks/203.0.113.9', headers: auth(ADMIN_TOKEN) })).statusCode).toBe(204);
    const again = await app.inject({ method: 'DELETE', url: '/blocks/203.0.113.9', headers: auth(ADMIN_TOKEN) });
    expect(again.statusCode).toBe(404);
    const refused = await app.inject({ method: 'POST', url: '/blocks', payload: { ip: '127.0.0.1' }, headers: auth(ADMIN_TOKEN) });
    expect(refused.statusCode).toBe(409);
    expect(refused.json<{ code: string }>().code).toBe('PW_ERR_BLOCK_REFUSED');
    const badIp = await app.inject({ method: 'POST', url: '/blocks', payload: { ip: '999.1.1.1' }, headers: auth(ADMIN_TOKEN) });
    expect(badIp.json<{ code: string }>().code).toBe('PW_ERR_INVALID_ADDRESS');
    const badDur = await app.inject({ method: 'POST', url: '/blocks', payload: { ip: '192.0.2.1', duration: 'forever' }, headers: auth(ADMIN_TOKEN) });
    expect(badDur.json<{ code: string }>().code).toBe('PW_ERR_VALIDATION');
    const extra = await app.inject({ method: 'POST', url: '/blocks', payload: { ip: '192.0.2.1', cmd: 'rm -rf /' }, headers: auth(ADMIN_TOKEN) });
    expect(extra.statusCode).toBe(400);
  });

  it('accepts hashed tokens and compares every token', () => {
    const store = new TokenStore(parseTokenSpecs([`read:${tokenDigest('a-long-enough-read-token')}`, 'admin:another-admin-token-xyz']));
    expect(store.check('Bearer a-long-enough-read-token')).toMatchObject({ ok: true, scope: 'read' });
    expect(store.check('bearer another-admin-token-xyz')).toMatchObject({ ok: true, scope: 'admin' });
    expect(store.check('Bearer a-long-enough-read-tokeN')).toEqual({ ok: false, reason: 'unknown' });
    expect(store.check('Basic dXNlcjpwYXNz')).toEqual({ ok: false, reason: 'malformed' });
    expect(store.check(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(() => parseTokenSpecs(['write:abcdefghijklmnopqrstu'])).toThrow(/api\.tokens\[0\]/);
    expect(() => parseTokenSpecs(['read:short'])).toThrow(/at least 16/);
    expect(() => parseTokenSpecs(['read:sha256:abc'])).toThrow(/64 hex/);
  });

  it('remembers accepted headers only until the token set changes, and never remembers a refusal', () => {
    const store = new TokenStore(parseTokenSpecs(['read:first-token-0123456789']));
    expect(store.check('Bearer first-token-0123456789')).toMatchObject({ ok: true, scope: 'read' });
    expect(store.check('Bearer first-token-0123456789')).toMatchObject({ ok: true, scope: 'read' });
    // SIGHUP with the token removed: the remembered header must not outlive it
    store.replace(parseTokenSpecs(['admin:second-token-0123456789']));
    expect(store.check('Bearer first-token-0123456789')).toEqual({ ok: false, reason: 'unknown' });
    expect(store.check('Bearer second-token-0123456789')).toMatchObject({ ok: true, scope: 'admin' });
    // a flood of distinct headers (accepted or not) keeps answering right past the memo's bound
    for (let i = 0; i < 600; i++) expect(store.check(`Bearer wrong-token-${i}-0123456789`).ok).toBe(false);
    expect(store.check('Bearer second-token-0123456789')).toMatchObject({ ok: true, scope: 'admin' });
  });

  it('reads token files and refuses ones its group or other users can access', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-tok-'));
    try {
      const file = join(dir, 'tokens');
      writeFileSync(file, '# admin tokens\n\n  token-one-0123456789abcdef  \ntoken-two-0123456789abcdef\n');
      chmodSync(file, 0o600);
      const t = readTokenFile(file);
      expect(t.entries.map((e) => [e.scope, e.origin])).toEqual([['admin', `${file}:3`], ['admin', `${file}:4`]]);
      expect(t.warnings).toEqual([]);
      expect(new TokenStore(t.entries).check('Bearer token-one-0123456789abcdef').ok).toBe(true);
      chmodSync(file, 0o400);
      expect(readTokenFile(file).entries).toHaveLength(2);
      for (const mode of [0o640, 0o644, 0o620, 0o604, 0o602, 0o610, 0o660]) {
        chmodSync(file, mode);
        expect(() => readTokenFile(file), mode.toString(8)).toThrow(`accessible by other users (mode 0${mode.toString(8)})`);
      }
      chmodSync(file, 0o600);
      writeFileSync(file, 'has a space in it 0123456789\n');
      expect(() => readTokenFile(file)).toThrow(/blanks/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('limits and headers', () => {
  it('rate-limits remote clients per address with 429 and Retry-After, never loopback or health checks', async () => {
    const remote = { remoteAddress: '198.51.100.77', headers: auth() };
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await app.inject({ url: '/stats', ...remote })).statusCode);
    expect(codes).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const r = await app.inject({ url: '/stats', ...remote });
    expect(r.json()).toMatchObject({ code: 'PW_ERR_RATE_LIMITED', status: 429 });
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    expect((await app.inject({ url: '/stats', remoteAddress: '198.51.100.78', headers: auth() })).statusCode).toBe(200);
    for (let i = 0; i < 8; i++) expect((await app.inject({ url: '/stats', headers: auth() })).statusCode).toBe(200);
    expect((await app.inject({ url: '/healthz', remoteAddress: '198.51.100.77' })).statusCode).toBe(200);
  });

  it('limits bodies (413), wants JSON (415) and reports malformed JSON as 400 without echoing it', async () => {
    const big = await app.inject({ method: 'POST', url: '/blocks', headers: { ...auth(ADMIN_TOKEN), 'content-type': 'application/json' }, payload: JSON.stringify({ ip: '192.0.2.1', reason: 'x'.repeat(2000) }) });
    expect(big.statusCode).toBe(413);
    expect(big.json<{ code: string }>().code).toBe('PW_ERR_PAYLOAD_TOO_LARGE');
    const form = await app.inject({ method: 'POST', url: '/blocks', headers: { ...auth(ADMIN_TOKEN), 'content-type': 'application/x-www-form-urlencoded' }, payload: 'ip=192.0.2.1' });
    expect(form.statusCode).toBe(415);
    const broken = await app.inject({ method: 'POST', url: '/blocks', headers: { ...auth(ADMIN_TOKEN), 'content-type': 'application/json' }, payload: '{"ip": "<script>secret' });
    expect(broken.statusCode).toBe(400);
    expect(broken.body).not.toContain('secret');
  });

  it('sets security headers everywhere, never sends a stack trace, and answers 503 for unwired blocking', async () => {
    const g = fixture();
    g.put('192.0.2.200', { dl: 1 });
    const s = g.store.sources;
    const broken: SourceQueries = {
      version: (ip) => s.version(ip),
      get: () => { throw new Error('SQLITE_CORRUPT: database disk image is malformed at /var/lib/x.ts:12'); },
      list: (...a) => s.list(...a),
      snapshotAlive: (t) => s.snapshotAlive(t),
    };
    const failing = await g.app({ sources: broken, blocks: undefined });
    try {
      // no respond service wired: the block operations say so
      const nb = await failing.inject({ url: '/blocks', headers: auth() });
      expect(nb.statusCode).toBe(503);
      expect(nb.json<{ code: string }>().code).toBe('PW_ERR_UNAVAILABLE');
      const r = await failing.inject({ url: '/sources/192.0.2.200', headers: auth() });
      expect(r.statusCode).toBe(500);
      expect(r.json()).toMatchObject({ code: 'PW_ERR_INTERNAL', detail: 'internal error', requestId: expect.any(String) as string });
      expect(r.body).not.toMatch(/SQLITE|\.ts|at /);
      for (const h of ['x-content-type-options', 'x-frame-options', 'content-security-policy', 'referrer-policy']) expect(r.headers[h], h).toBeDefined();
      const nf = await failing.inject({ url: '/nope/../../etc/passwd', headers: auth() });
      expect(nf.statusCode).toBe(404);
      expect(nf.json<{ code: string }>().code).toBe('PW_ERR_ROUTE_NOT_FOUND');
      expect(nf.headers['x-frame-options']).toBe('DENY');
      const docs = await failing.inject({ url: '/docs/static/index.html' });
      expect(docs.headers['content-security-policy']).toContain("script-src 'self'");
      expect(docs.headers['content-security-policy']).not.toContain('unsafe-eval');
    } finally {
      await failing.close();
      g.close();
    }
  });
});
