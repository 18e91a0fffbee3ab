// Shared paging helpers: the limit check, next-page links, and the cursor headers of streamed formats.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { pwError } from '../domain/errors.ts';
import type { ApiSettings } from './deps.ts';

/** The page size to use: the default when absent, 400 above api.maxLimit. */
export function pageLimit(limit: number | undefined, s: ApiSettings): number {
  if (limit === undefined) return Math.min(s.defaultLimit, s.maxLimit);
  if (limit > s.maxLimit) throw pwError('PW_ERR_VALIDATION', [`limit must be at most ${s.maxLimit} (api.maxLimit)`]);
  return limit;
}

/** The request's own path and query with `cursor` replaced (and `startup` dropped), for Link: rel="next". */
export function nextLink(req: FastifyRequest, cursor: string): string {
  const u = new URL(req.url, 'http://localhost');
  u.searchParams.set('cursor', cursor);
  u.searchParams.delete('startup');
  u.searchParams.delete('since');
  u.searchParams.delete('window');
  return `<${u.pathname}${u.search}>; rel="next"`;
}

/** Sets the cursor headers every feed-like answer carries. */
export function cursorHeaders(req: FastifyRequest, reply: FastifyReply, resume: string | null, next: string | null): void {
  if (resume !== null) reply.header('x-resume-cursor', resume);
  if (next !== null) {
    reply.header('x-next-page-cursor', next);
    reply.header('link', nextLink(req, next));
  }
}
