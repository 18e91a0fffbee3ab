// A fake whois server on 127.0.0.1 for tests: answers per query with canned text, a slow drip, megabytes, or a reset.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

/** How the fake answers one query. */
export type Behaviour =
  | { text: string }
  | { drip: string; everyMs: number }
  | { megabytes: number }
  | { reset: string }
  | { silent: true };

/** A running fake server and what it saw. */
export interface FakeWhois {
  host: string;
  port: number;
  /** Every query line received, with its arrival time (performance.now() ms). */
  queries: { query: string; at: number }[];
  close(): Promise<void>;
}

/** Reads a whois fixture. */
export function fixture(name: string): string {
  return readFileSync(new URL(`../../fixtures/enrich/whois/${name}`, import.meta.url), 'latin1');
}

/** Starts a fake server; `answer` decides per query line (CRLF stripped). */
export async function startFakeWhois(answer: (query: string) => Behaviour): Promise<FakeWhois> {
  const queries: { query: string; at: number }[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      const nl = buf.indexOf('\n');
      if (nl === -1) return;
      const q = buf.slice(0, nl).replace(/\r$/, '');
      queries.push({ query: q, at: performance.now() });
      const b = answer(q);
      if ('text' in b) {
        s.end(Buffer.from(b.text, 'latin1'));
      } else if ('drip' in b) {
        let i = 0;
        const t = setInterval(() => {
          if (s.destroyed || i >= b.drip.length) { clearInterval(t); timers.delete(t); if (!s.destroyed) s.end(); return; }
          s.write(b.drip[i++]!);
        }, b.everyMs);
        timers.add(t);
      } else if ('megabytes' in b) {
        const line = Buffer.from('remarks:        ' + 'x'.repeat(63) + '\n');
        const chunk = Buffer.concat(new Array<Buffer>(1024).fill(line));
        let left = Math.ceil((b.megabytes * 1024 * 1024) / chunk.length);
        const pump = (): void => {
          while (left > 0 && !s.destroyed) {
            left--;
            if (!s.write(chunk)) { s.once('drain', pump); return; }
          }
          if (!s.destroyed) s.end();
        };
        s.write('inetnum:        203.0.113.0 - 203.0.113.255\nnetname:        HUGE\n');
        pump();
      } else if ('reset' in b) {
        s.write(b.reset);
        const t = setTimeout(() => { timers.delete(t); s.resetAndDestroy(); }, 30);
        timers.add(t);
      }
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return {
    host: '127.0.0.1',
    port: addr.port,
    queries,
    close: () => new Promise<void>((res) => {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      server.close(() => { res(); });
    }),
  };
}
