import { afterEach, describe, expect, it } from 'vitest';
import { auth, fixture } from './helpers.ts';
import type { Fixture } from './helpers.ts';

let f: Fixture | undefined;
afterEach(() => { f?.close(); f = undefined; });

describe('smoke', () => {
  it('boots and answers', async () => {
    f = fixture();
    f.put('203.0.113.7', { dl: 3, packets: 40 });
    f.store.indexer.catchUp();
    const app = await f.app();
    const r = await app.inject({ url: '/sources/203.0.113.7', headers: auth() });
    console.log(r.statusCode, r.headers, r.body);
    const l = await app.inject({ url: '/sources', headers: auth() });
    console.log(l.statusCode, l.body);
    const fe = await app.inject({ url: '/feed?format=ecs', headers: auth() });
    console.log(fe.statusCode, fe.body);
    const x = await app.inject({ url: '/sources/nope', headers: auth() });
    console.log(x.statusCode, x.body);
    const u = await app.inject({ url: '/sources/nope' });
    console.log(u.statusCode, u.headers, u.body);
    expect(r.statusCode).toBe(200);
    await app.close();
  });
});
