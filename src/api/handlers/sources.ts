// GET /sources/{ip} (one profile, ETag) and GET /sources (filtered, sorted, snapshot-paged list; JSON or NDJSON).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseIp } from '../../domain/address.ts';
import { pwError } from '../../domain/errors.ts';
import type { SourceProfile } from '../../domain/profile.ts';
import type { ListPosition } from '../../domain/queries.ts';
import { decodeCursor, encodeCursor, queryHash } from '../cursor.ts';
import type { ApiContext } from '../deps.ts';
import { ownedUtf8 } from '../profile-cache.ts';
import type { CachedProfile } from '../profile-cache.ts';
import { cursorHeaders, nextLink, pageLimit } from '../paging.ts';
import { sourceFilter } from '../query.ts';
import type { SourcesQuery } from '../query.ts';

const JSON_TYPE = 'application/json; charset=utf-8';

/** Parses a path address; 400 PW_ERR_INVALID_ADDRESS otherwise. */
export function pathIp(raw: string): string {
  const ip = parseIp(raw);
  if (!ip) throw pwError('PW_ERR_INVALID_ADDRESS', [JSON.stringify(raw.slice(0, 64))]);
  return ip.text;
}

/** Whether an If-None-Match header matches `etag` (weak comparison, lists and `*` allowed). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/** Sends a serialised profile with its validators (a Buffer body: its length is known without a scan of the text). */
function sendCached(reply: FastifyReply, e: CachedProfile): FastifyReply {
  return reply.header('etag', e.etag).header('last-modified', e.lastModified).header('cache-control', 'private, no-cache')
    .type(JSON_TYPE).send(e.body);
}

/** The sources handlers. */
export function sourceHandlers(ctx: ApiContext) {
  const { deps, epoch, profiles } = ctx;
  const validating = deps.validateResponses ?? ctx.settings.validateResponses;
  /** The stored body of `ip` when it was written for `version` (a source whose cached body is of an older version). */
  const storedBody = (ip: string, version: number): Uint8Array | null => {
    if (validating) return null;
    const stored = deps.sources.doc?.(ip);
    return stored?.version === version ? stored.body : null;
  };
  return {
    getSource(req: FastifyRequest<{ Params: { ip: string } }>, reply: FastifyReply): SourceProfile | FastifyReply {
      const ip = pathIp(req.params.ip);
      // a profile not in the cache: its version and its stored body in one read (the usual case for scattered lookups);
      // one in the cache: only the version, which decides whether the cached body is current
      const cur = !validating && deps.sources.current !== undefined && !profiles.has(ip) ? deps.sources.current(ip) : undefined;
      const v = cur === undefined ? deps.sources.version(ip) : cur;
      if (!v) throw pwError('PW_ERR_NOT_FOUND', [ip]);
      const etag = `"${epoch}-${v.version}"`;
      const inm = req.headers['if-none-match'];
      if (inm !== undefined && etagMatches(inm, etag)) {
        return reply.code(304).header('etag', etag).header('cache-control', 'private, no-cache').send();
      }
      if (cur === undefined && !validating) {
        const hit = profiles.get(ip, v.version);
        if (hit !== undefined) return sendCached(reply, hit);
      }
      // the body the search indexer stored for this very version: no profile to compose
      const body = cur ? cur.body : storedBody(ip, v.version);
      if (body) {
        const entry = { version: v.version, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength), etag, lastModified: new Date(v.updatedAt).toUTCString() };
        // a stored body is one read away: it earns a place in the cache on its second request (ProfileJsonCache.seenBefore)
        if (cur === undefined || profiles.seenBefore(ip)) profiles.set(ip, entry);
        return sendCached(reply, entry);
      }
      const vp = deps.sources.get(ip);
      if (!vp) throw pwError('PW_ERR_NOT_FOUND', [ip]);
      const vEtag = `"${epoch}-${vp.version}"`;
      const lastModified = new Date(vp.updatedAt).toUTCString();
      // response validation checks objects (preSerialization), so a validating server sends the object itself
      if (validating) {
        reply.header('etag', vEtag).header('last-modified', lastModified).header('cache-control', 'private, no-cache');
        return vp.profile;
      }
      // the serializer the stored bodies come from (openapi.yaml's schema), so a fresh answer and a stored one agree byte for byte
      const entry = { version: vp.version, body: ownedUtf8(ctx.serializeProfile(vp.profile)), etag: vEtag, lastModified };
      profiles.set(ip, entry);
      return sendCached(reply, entry);
    },

    listSources(req: FastifyRequest<{ Querystring: SourcesQuery }>, reply: FastifyReply): unknown {
      const q = req.query;
      const filter = sourceFilter(q);
      const sort = q.sort ?? '-lastSeen';
      const limit = pageLimit(q.limit, ctx.settings);
      const h = queryHash({ filter, sort });
      let position: ListPosition | undefined;
      if (q.cursor !== undefined) {
        const c = decodeCursor(q.cursor, 'l');
        if (c.e !== epoch) throw pwError('PW_ERR_CURSOR_EXPIRED', ['it was issued by another store']);
        if (c.h !== h) throw pwError('PW_ERR_CURSOR_MISMATCH', ['filters or sort differ']);
        if (!deps.sources.snapshotAlive(c.t)) throw pwError('PW_ERR_CURSOR_EXPIRED', ['the list snapshot is older than api.cursorTtl']);
        position = { snapshotSeq: c.s, snapshotTime: c.t, after: c.a };
      }
      let page;
      try {
        page = deps.sources.list(filter, sort, limit, position);
      } catch (e) {
        if (e instanceof RangeError) throw pwError('PW_ERR_CURSOR_INVALID', ['damaged cursor']);
        throw e;
      }
      const next = page.next?.after
        ? encodeCursor({ k: 'l', e: epoch, s: page.next.snapshotSeq, t: page.next.snapshotTime, h, a: page.next.after })
        : null;
      if (q.format === 'ndjson') {
        cursorHeaders(req, reply, null, next);
        reply.type('application/x-ndjson; charset=utf-8');
        return page.items.map((s) => `${JSON.stringify(s)}\n`).join('');
      }
      if (next !== null) reply.header('link', nextLink(req, next));
      return {
        items: page.items,
        next_page_cursor: next,
        snapshot: { sequence: page.snapshotSeq, time: new Date(page.snapshotTime).toISOString() },
      };
    },
  };
}
