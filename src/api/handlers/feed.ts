// GET /feed (cursor/since/window pages in JSON, NDJSON, ECS, CEF) and GET /feed/stream (server-sent events).
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseDuration } from '../../config/define.ts';
import { pwError } from '../../domain/errors.ts';
import type { FeedEntry } from '../../domain/queries.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import type { ApiContext } from '../deps.ts';
import { cefLine } from '../encoders/cef.ts';
import { ecsDocument } from '../encoders/ecs.ts';
import { feedEvent, feedEventLine } from '../encoders/event.ts';
import type { ResolvedEntry } from '../encoders/event.ts';
import { cursorHeaders, pageLimit } from '../paging.ts';
import { parseTime } from '../query.ts';

type FeedFormat = 'json' | 'ndjson' | 'ecs' | 'ecs-ndjson' | 'cef';

interface FeedQuery {
  cursor?: string;
  limit?: number;
  format?: FeedFormat;
  since?: string;
  window?: string;
  startup?: boolean;
}

interface StreamQuery {
  cursor?: string;
  view?: 'summary' | 'full';
  minDangerLevel?: number;
}

/** The feed handlers. */
export function feedHandlers(ctx: ApiContext) {
  const { deps, epoch } = ctx;
  const observer = { version: ctx.version, ...(deps.hostname ? { hostname: deps.hostname } : {}) };

  /** Checks a feed cursor against this store and its retained history; returns the sequence to read after. */
  const feedSeq = (text: string): number => {
    const c = decodeCursor(text, 'f');
    const pos = deps.feed.position();
    if (c.e !== pos.epoch) throw pwError('PW_ERR_CURSOR_EXPIRED', ['it was issued by another store']);
    if (c.s < pos.expiredBelow) throw pwError('PW_ERR_CURSOR_EXPIRED', ['deletions after it were forgotten (api.feedTombstoneRetention)']);
    if (c.s > pos.latestSeq) throw pwError('PW_ERR_CURSOR_EXPIRED', ['it is ahead of this store (restored from a backup?)']);
    return c.s;
  };

  const resolve = (e: FeedEntry): ResolvedEntry => {
    if (e.deleted) return { entry: e, profile: null, version: 0 };
    const vp = deps.sources.get(e.ip);
    return vp ? { entry: e, profile: vp.profile, version: vp.version } : { entry: { ...e, deleted: true }, profile: null, version: 0 };
  };

  /** A feed event as an NDJSON line: the profile is the body the indexer stored when it is current, else serialised now. */
  const ndjsonLine = (e: FeedEntry): string => {
    if (!e.deleted) {
      const stored = deps.sources.doc?.(e.ip);
      if (stored && deps.sources.version(e.ip)?.version === stored.version) return feedEventLine(e, stored.version, Buffer.from(stored.body.buffer, stored.body.byteOffset, stored.body.byteLength).toString('utf8'));
    }
    const r = resolve(e);
    return feedEventLine(r.entry, r.version, r.profile ? ctx.serializeProfile(r.profile) : null);
  };

  return {
    getFeed(req: FastifyRequest<{ Querystring: FeedQuery }>, reply: FastifyReply): unknown {
      const q = req.query;
      const limit = pageLimit(q.limit, ctx.settings);
      const modes = [q.cursor !== undefined && q.startup !== true, q.since !== undefined, q.window !== undefined].filter(Boolean).length;
      if (modes > 1) throw pwError('PW_ERR_VALIDATION', ['use one of cursor, since and window']);
      let after = 0;
      if (q.startup === true) after = 0;
      else if (q.cursor !== undefined) after = feedSeq(q.cursor);
      else if (q.since !== undefined) after = deps.feed.seqBefore(parseTime(q.since, 'since'));
      else if (q.window !== undefined) {
        const secs = parseDuration(q.window);
        if (secs === null) throw pwError('PW_ERR_VALIDATION', ['window must be a duration such as 120s or 5m']);
        after = deps.feed.seqBefore(deps.clock.now() - secs * 1000);
      }
      const page = deps.feed.read(after, limit);
      const resume = encodeCursor({ k: 'f', e: epoch, s: page.lastSeq });
      const next = page.hasMore ? resume : null;
      const format = q.format ?? 'json';
      if (format === 'json' || format === 'ecs') {
        if (next !== null) cursorHeaders(req, reply, resume, next);
        else reply.header('x-resume-cursor', resume);
        const data = page.entries.map((e) => (format === 'json' ? feedEvent(resolve(e)) : ecsDocument(resolve(e), observer)));
        return { data, resume_cursor: resume, ...(next !== null ? { next_page_cursor: next } : {}), has_more: page.hasMore };
      }
      cursorHeaders(req, reply, resume, next);
      const line = format === 'cef'
        ? (e: FeedEntry) => `${cefLine(resolve(e), { version: ctx.version })}\n`
        : format === 'ecs-ndjson'
          ? (e: FeedEntry) => `${JSON.stringify(ecsDocument(resolve(e), observer))}\n`
          : ndjsonLine;
      reply.type(format === 'cef' ? 'text/plain; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
      // profiles are read as the socket drains, so a 10,000-event export never holds every profile in memory at once
      const entries = page.entries;
      return Readable.from((function* lines() {
        let buf = '';
        for (const e of entries) {
          buf += line(e);
          if (buf.length >= 65536) { yield buf; buf = ''; }
        }
        if (buf.length > 0) yield buf;
      })());
    },

    streamFeed(req: FastifyRequest<{ Querystring: StreamQuery }>, reply: FastifyReply): FastifyReply | undefined {
      const q = req.query;
      const lastId = req.headers['last-event-id'];
      let seq: number;
      if (typeof lastId === 'string' && lastId.length > 0) seq = feedSeq(lastId);
      else if (q.cursor !== undefined) seq = feedSeq(q.cursor);
      else seq = deps.feed.position().latestSeq;
      if (!ctx.sse.hasRoom()) throw pwError('PW_ERR_UNAVAILABLE', [`too many event streams (api.sseMaxClients = ${ctx.settings.sseMaxClients})`]);
      const headers: Record<string, string> = {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      };
      if (req.method === 'HEAD') return reply.headers(headers).send();
      ctx.metrics.requests.inc({ operation: 'streamFeed', status: '2xx' });
      reply.hijack();
      reply.raw.writeHead(200, headers);
      ctx.sse.add(reply.raw, seq, { full: q.view === 'full', minLevel: q.minDangerLevel ?? 0 });
      return undefined;
    },
  };
}
