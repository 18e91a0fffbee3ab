// Serves the dashboard's built files (dist/ui) at /ui/ with a strict CSP, and redirects / there; files are public, data is not.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { problem } from './problem.ts';

/** CSP of the dashboard: its own script, styles and data only; uPlot's CSSOM style writes are allowed by style-src 'self'. */
export const UI_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
  + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Longest file served (the map data is the largest, about 110 kB). */
const MAX_FILE = 4 * 1024 * 1024;
const NAME = /^[a-z0-9][a-z0-9.-]{0,63}$/;

interface Asset {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  etag: string;
}

/**
 * The built dashboard next to the code: dist/ui beside dist/api, or the repository's dist/ui when running from src
 * (src/ui beside src/api holds the sources, index.html included, but no bundle: app.js tells a build apart).
 */
export function defaultUiDir(): string {
  const beside = fileURLToPath(new URL('../ui/', import.meta.url));
  if (existsSync(join(beside, 'app.js'))) return beside;
  return fileURLToPath(new URL('../../dist/ui/', import.meta.url));
}

/** Reads every servable file of `dir` into memory (a few hundred kB), precompressed. */
export function loadAssets(dir: string): Map<string, Asset> {
  const out = new Map<string, Asset>();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (!type || !NAME.test(name)) continue;
    const path = join(dir, name);
    const st = statSync(path);
    if (!st.isFile() || st.size > MAX_FILE) continue;
    const body = readFileSync(path);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    const gzip = /^text\/|json|svg/.test(type) && body.length > 512 ? gzipSync(body, { level: 9 }) : null;
    out.set(name, { body, gzip, type, etag });
  }
  return out;
}

/** Registers GET /, /ui, /ui/ and /ui/:asset. `dir` is where `npm run build:ui` wrote the page. */
export function registerUiStatic(app: FastifyInstance, dir: string = defaultUiDir()): void {
  const assets = loadAssets(dir);
  const send = (req: FastifyRequest, reply: FastifyReply, name: string): FastifyReply => {
    const a = assets.get(name);
    if (!a) {
      if (name === 'index.html') {
        return reply.code(503).type('application/problem+json; charset=utf-8')
          .send(problem('PW_ERR_UNAVAILABLE', `the dashboard is not built (no ${join(dir, 'index.html')}): run npm run build:ui`));
      }
      return reply.code(404).type('application/problem+json; charset=utf-8').send(problem('PW_ERR_NOT_FOUND', `/ui/${name} not found`));
    }
    reply.header('content-security-policy', UI_CSP);
    reply.header('etag', a.etag);
    // file names are stable across versions: revalidate every time, a 304 costs one round trip
    reply.header('cache-control', 'no-cache');
    reply.header('vary', 'accept-encoding');
    const inm = req.headers['if-none-match'];
    if (inm !== undefined && inm.split(',').some((t) => t.trim() === a.etag)) return reply.code(304).send();
    reply.type(a.type);
    const accept = req.headers['accept-encoding'];
    if (a.gzip && typeof accept === 'string' && /\bgzip\b/.test(accept)) {
      reply.header('content-encoding', 'gzip');
      return reply.send(a.gzip);
    }
    return reply.send(a.body);
  };
  app.get('/', (_req, reply) => reply.redirect('/ui/', 302));
  app.get('/ui', (_req, reply) => reply.redirect('/ui/', 302));
  app.get('/ui/', (req, reply) => send(req, reply, 'index.html'));
  app.get<{ Params: { asset: string } }>('/ui/:asset', (req, reply) => {
    const name = req.params.asset;
    if (!NAME.test(name)) return reply.code(404).type('application/problem+json; charset=utf-8').send(problem('PW_ERR_NOT_FOUND', '/ui/ file not found'));
    return send(req, reply, name);
  });
}
