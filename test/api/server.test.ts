// Through a real listening server on 127.0.0.1: auth, paging while data arrives, SSE streaming, resume and heartbeats.
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, fixture, T0 } from './helpers.ts';
import type { Fixture } from './helpers.ts';

let f: Fixture;
let app: FastifyInstance;
let base: string;
beforeAll(async () => {
  f = fixture({ sseHeartbeat: 1, ssePollInterval: 0.05, sseMaxClients: 3 });
  app = await f.app();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${addr.port}`;
});
afterAll(async () => {
  await app.close();
  f.close();
});

interface SseEvent { id?: string; event?: string; data?: string; comment?: string }

/** Opens an SSE stream and collects parsed events until `until` says stop or the timeout passes. */
function stream(path: string, headers: Record<string, string>, until: (evs: SseEvent[]) => boolean, timeoutMs = 5000): Promise<{ status: number; events: SseEvent[]; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const events: SseEvent[] = [];
      let buf = '';
      const done = (): void => { clearTimeout(timer); req.destroy(); resolve({ status: res.statusCode ?? 0, events, res }); };
      const timer = setTimeout(done, timeoutMs);
      if (res.statusCode !== 200) { res.resume(); res.on('end', done); return; }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev: SseEvent = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) ev.comment = line.slice(1).trim();
            else {
              const c = line.indexOf(':');
              const k = line.slice(0, c);
              const v = line.slice(c + 1).replace(/^ /, '');
              if (k === 'id' || k === 'event' || k === 'data') ev[k] = v;
            }
          }
          events.push(ev);
        }
        if (until(events)) done();
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('real server on 127.0.0.1', () => {
  it('serves profiles over HTTP with auth', async () => {
    f.put('192.0.2.40', { dl: 2 });
    expect((await fetch(`${base}/sources/192.0.2.40`)).status).toBe(401);
    const r = await fetch(`${base}/sources/192.0.2.40`, { headers: auth() });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { dangerLevel: number }).dangerLevel).toBe(2);
    expect((await fetch(`${base}/sources/192.0.2.41`, { headers: auth() })).status).toBe(404);
  });

  it('pages without gaps or duplicates while a writer keeps adding and changing sources', async () => {
    for (let i = 0; i < 120; i++) f.put(`198.51.100.${i}`, { dl: i % 6, packets: i, last: T0 + i * 1000 });
    f.store.indexer.catchUp();
    const expected = new Set((f.db.prepare('SELECT ip FROM sources').pluck().all() as string[]));
    let n = 0;
    let writer: NodeJS.Timeout | undefined;
    const startWriter = (): NodeJS.Timeout => setInterval(() => {
      f.put(`198.51.100.${n % 120}`, { dl: (n * 7) % 6, packets: 1000 + n, last: T0 + 500_000 + n });
      f.put(`203.0.113.${n % 250}`, { dl: 5, last: T0 + 600_000 + n });
      n++;
      f.store.indexer.catchUp();
    }, 2);
    try {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `${base}/sources?sort=-dangerLevel&limit=11${cursor ? `&cursor=${cursor}` : ''}`;
        const r = await fetch(url, { headers: auth() });
        expect(r.status).toBe(200);
        const body = (await r.json()) as { items: { ip: string }[]; next_page_cursor: string | null };
        seen.push(...body.items.map((x) => x.ip));
        cursor = body.next_page_cursor;
        // the snapshot is taken by the first page; from then on a writer changes and adds sources between pages
        writer ??= startWriter();
        await new Promise((res) => setTimeout(res, 5));
      } while (cursor);
      expect(n).toBeGreaterThan(5);
      expect(seen.length).toBe(new Set(seen).size);
      expect(new Set(seen)).toEqual(expected);
    } finally {
      clearInterval(writer);
    }
  });

  it('streams changes as server-sent events and resumes after Last-Event-ID without loss', async () => {
    const first = stream('/feed/stream', auth(), (evs) => evs.filter((e) => e.event === 'profile').length >= 3);
    await new Promise((r) => setTimeout(r, 150));
    for (let i = 1; i <= 3; i++) f.put(`192.0.2.${100 + i}`, { dl: 4 });
    const a = await first;
    expect(a.status).toBe(200);
    expect(a.res.headers['content-type']).toMatch(/^text\/event-stream/);
    const got = a.events.filter((e) => e.event === 'profile');
    expect(got.map((e) => (JSON.parse(e.data!) as { ip: string }).ip)).toEqual(['192.0.2.101', '192.0.2.102', '192.0.2.103']);
    const ev = JSON.parse(got[0]!.data!) as { event: { id: string }; summary: { dangerLevel: number } };
    expect(ev.summary.dangerLevel).toBe(4);
    expect(ev.event.id).toMatch(/^192\.0\.2\.101:\d+$/);
    // disconnected after the second event: changes made meanwhile arrive on reconnect
    const lastId = got[1]!.id!;
    f.put('192.0.2.104', { dl: 1 });
    f.prune('192.0.2.101');
    f.db.prepare("INSERT INTO profile_changes (ip, version, kind, time) VALUES ('192.0.2.101', 0, 'delete', 0)").run();
    const b = await stream('/feed/stream?view=full', { ...auth(), 'last-event-id': lastId }, (evs) => evs.filter((e) => e.event).length >= 3);
    const resumed = b.events.filter((e) => e.event);
    expect(resumed.map((e) => [e.event, (JSON.parse(e.data!) as { ip: string }).ip])).toEqual([['profile', '192.0.2.103'], ['profile', '192.0.2.104'], ['deleted', '192.0.2.101']]);
    expect((JSON.parse(resumed[1]!.data!) as { profile: { ip: string } }).profile.ip).toBe('192.0.2.104');
  });

  it('sends heartbeats, filters by level, and refuses streams beyond the limit or with a bad cursor', async () => {
    const beat = await stream('/feed/stream?minDangerLevel=5', auth(), (evs) => evs.some((e) => e.comment?.startsWith('heartbeat')), 4000);
    expect(beat.events.some((e) => e.comment?.startsWith('heartbeat'))).toBe(true);
    expect((await stream('/feed/stream?cursor=garbage', auth(), () => true)).status).toBe(400);
    expect((await stream('/feed/stream', {}, () => true)).status).toBe(401);
    const hold = [0, 1, 2].map(() => stream('/feed/stream', auth(), () => false, 1500));
    await new Promise((r) => setTimeout(r, 300));
    const over = await stream('/feed/stream', auth(), () => true);
    expect(over.status).toBe(503);
    await Promise.all(hold);
  });
});
