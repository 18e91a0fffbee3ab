// Dashboard cookie sessions: sign-in trades a token for an HttpOnly SameSite=Strict cookie, the cookie authenticates like
// the token, unsafe methods need the CSRF header, sign-out, expiry, token withdrawal and the cap end sessions.
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { parseTokenSpecs } from '../../src/api/tokens.ts';
import { ADMIN_TOKEN, READ_TOKEN, fixture } from '../api/helpers.ts';
import type { Fixture } from '../api/helpers.ts';

let f: Fixture;
let app: FastifyInstance;
afterEach(async () => {
  await app.close();
  f.close();
});

async function signIn(token: string): Promise<{ status: number; cookie: string; setCookie: string; body: unknown }> {
  const r = await app.inject({ method: 'POST', url: '/dashboard/session', payload: { token } });
  const setCookie = String(r.headers['set-cookie'] ?? '');
  return { status: r.statusCode, cookie: setCookie.split(';')[0] ?? '', setCookie, body: r.json() };
}

// each case builds an app with response validation: seconds on a loaded 2-core CI box
describe('dashboard cookie sessions', { timeout: 90_000 }, () => {
  it('sign-in sets an HttpOnly SameSite=Strict cookie with the token scope; the cookie reads data; sign-out ends it', async () => {
    f = fixture();
    app = await f.app();
    const bad = await signIn('not-a-token-of-this-server');
    expect(bad.status).toBe(401);
    expect(bad.setCookie).toBe('');
    const s = await signIn(READ_TOKEN);
    expect(s.status).toBe(201);
    expect(s.body).toMatchObject({ scope: 'read' });
    expect(s.setCookie).toMatch(/^pw_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800$/);
    expect(s.setCookie).not.toContain(READ_TOKEN);
    const me = await app.inject({ url: '/dashboard/session', headers: { cookie: `theme=dark; ${s.cookie}` } });
    expect(me.json()).toMatchObject({ scope: 'read' });
    expect((await app.inject({ url: '/sources', headers: { cookie: s.cookie } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/sources', headers: { cookie: 'pw_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } })).statusCode).toBe(401);
    expect((await app.inject({ url: '/sources', headers: { cookie: 'pw_session=<script>' } })).statusCode).toBe(401);
    // a read session may not block, with or without the CSRF header
    const block = (h: Record<string, string>) => app.inject({ method: 'POST', url: '/blocks', headers: { cookie: s.cookie, ...h }, payload: { ip: '192.0.2.9' } });
    expect((await block({ 'x-probewatch-csrf': '1' })).statusCode).toBe(403);
    const out = await app.inject({ method: 'DELETE', url: '/dashboard/session', headers: { cookie: s.cookie } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await app.inject({ url: '/sources', headers: { cookie: s.cookie } })).statusCode).toBe(401);
  });

  it('unsafe methods need the CSRF header with a cookie, never with a bearer token', async () => {
    f = fixture();
    app = await f.app();
    const s = await signIn(ADMIN_TOKEN);
    const block = (h: Record<string, string>) => app.inject({ method: 'POST', url: '/blocks', headers: h, payload: { ip: '192.0.2.9' } });
    const forged = await block({ cookie: s.cookie });
    expect(forged.statusCode).toBe(401);
    expect(f.blocks.records.has('192.0.2.9')).toBe(false);
    expect((await block({ cookie: s.cookie, 'x-probewatch-csrf': '1' })).statusCode).toBe(201);
    expect(f.blocks.records.has('192.0.2.9')).toBe(true);
    expect((await app.inject({ method: 'DELETE', url: '/blocks/192.0.2.9', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).statusCode).toBe(204);
    // sign-in takes JSON only: a cross-site HTML form cannot send it
    const form = await app.inject({ method: 'POST', url: '/dashboard/session', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${ADMIN_TOKEN}` });
    expect(form.statusCode).toBe(415);
  });

  it('sessions end at their lifetime, when their token is withdrawn, and past the cap (oldest first)', async () => {
    f = fixture();
    const deps = f.deps({ sessions: { lifetime: 60, max: 2 } });
    app = await f.app(deps);
    const read = (c: string) => app.inject({ url: '/dashboard/session', headers: { cookie: c } }).then((r) => r.statusCode);
    const a = await signIn(READ_TOKEN);
    f.clock.advance(30_000);
    expect(await read(a.cookie)).toBe(200);
    f.clock.advance(31_000);
    expect(await read(a.cookie)).toBe(401);
    const b = await signIn(ADMIN_TOKEN);
    deps.tokens.replace(parseTokenSpecs([`read:${READ_TOKEN}`]));
    expect(await read(b.cookie)).toBe(401);
    const [c1, c2, c3] = [await signIn(READ_TOKEN), await signIn(READ_TOKEN), await signIn(READ_TOKEN)];
    expect([await read(c1.cookie), await read(c2.cookie), await read(c3.cookie)]).toEqual([401, 200, 200]);
  });
});
