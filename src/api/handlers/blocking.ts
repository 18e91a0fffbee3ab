// GET /blocklist (text list or JSON deltas at index snapshots) and the admin block operations (GET/POST /blocks, DELETE /blocks/{ip}).
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseDuration } from '../../config/define.ts';
import { pwError } from '../../domain/errors.ts';
import { toDangerLevel } from '../../domain/profile.ts';
import type { BlockAdmin, BlockRecord, BlockResult } from '../../domain/response.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import type { ApiContext } from '../deps.ts';
import { pathIp } from './sources.ts';

interface BlocklistQuery {
  minDangerLevel?: number;
  format?: 'text' | 'json';
  cursor?: string;
  startup?: boolean;
}

interface BlockBody {
  ip: string;
  duration?: string;
  reason?: string;
}

/** A block as the API shows it (openapi.yaml Block). */
export interface BlockView {
  ip: string;
  family: 4 | 6;
  until: string;
  createdAt: string;
  level: number;
  origin: string;
  reason: string;
}

/** The API view of a stored block. */
export function blockView(r: BlockRecord): BlockView {
  return {
    ip: r.ip, family: r.family, until: r.expiresAt === null ? 'permanent' : new Date(r.expiresAt).toISOString(),
    createdAt: new Date(r.createdAt).toISOString(), level: r.level, origin: r.origin, reason: r.reason,
  };
}

/** Addresses read per query when listing the whole blocklist. */
const CHUNK = 5000;

/** The blocking handlers. */
export function blockingHandlers(ctx: ApiContext) {
  const { deps, epoch } = ctx;
  const admin = (): BlockAdmin => {
    if (!deps.blocks) throw pwError('PW_ERR_UNAVAILABLE', ['blocking is not configured in this probewatch (respond section)']);
    return deps.blocks;
  };
  const all = (min: number, seq: number): string[] => {
    const out: string[] = [];
    let after = '';
    for (;;) {
      const page = deps.blocklist.page(toDangerLevel(min), seq, CHUNK, after);
      out.push(...page);
      if (page.length < CHUNK) return out;
      after = page[page.length - 1]!;
    }
  };

  return {
    getBlocklist(req: FastifyRequest<{ Querystring: BlocklistQuery }>, reply: FastifyReply): unknown {
      const q = req.query;
      const min = q.minDangerLevel ?? ctx.settings.blocklistMinDangerLevel;
      const seq = deps.blocklist.snapshot();
      const cursor = encodeCursor({ k: 'b', e: epoch, s: seq, m: min });
      if ((q.format ?? 'text') === 'text') {
        if (q.cursor !== undefined) throw pwError('PW_ERR_VALIDATION', ['cursor applies to format=json only']);
        reply.type('text/plain; charset=utf-8').header('x-resume-cursor', cursor);
        // whole list, read in keyset chunks at one snapshot so a long list is consistent and never one huge query
        return Readable.from((function* text() {
          let after = '';
          for (;;) {
            const page = deps.blocklist.page(toDangerLevel(min), seq, CHUNK, after);
            if (page.length > 0) yield `${page.join('\n')}\n`;
            if (page.length < CHUNK) return;
            after = page[page.length - 1]!;
          }
        })());
      }
      if (q.cursor === undefined || q.startup === true) return { new: all(min, seq), deleted: [], cursor };
      const c = decodeCursor(q.cursor, 'b');
      if (c.e !== epoch) throw pwError('PW_ERR_CURSOR_EXPIRED', ['it was issued by another store']);
      if (c.m !== min) throw pwError('PW_ERR_CURSOR_MISMATCH', [`it was made for minDangerLevel=${c.m}`]);
      if (c.s < deps.blocklist.horizon() || c.s > seq) throw pwError('PW_ERR_CURSOR_EXPIRED', ['the history it needs is gone (api.cursorTtl); refetch with startup=true']);
      const d = deps.blocklist.delta(toDangerLevel(min), c.s, seq);
      return { new: d.added, deleted: d.removed, cursor };
    },

    listBlocks(): { blocks: BlockView[] } {
      return { blocks: admin().blocks().map(blockView) };
    },

    async createBlock(req: FastifyRequest<{ Body: BlockBody }>, reply: FastifyReply): Promise<BlockView & { applied: boolean; backend: string }> {
      const b = req.body;
      const ip = pathIp(b.ip);
      const seconds = b.duration === undefined ? deps.blockDefaultSeconds ?? 3600 : parseDuration(b.duration);
      if (seconds === null) throw pwError('PW_ERR_VALIDATION', ['duration must be like 90s, 10m, 2h, 1d or 0']);
      const r: BlockResult = await admin().block(ip, seconds, b.reason ?? 'blocked through the API', 'api');
      if (!r.block) throw pwError('PW_ERR_INTERNAL');
      reply.code(201);
      return { ...blockView(r.block), applied: r.applied, backend: r.backend };
    },

    async deleteBlock(req: FastifyRequest<{ Params: { ip: string } }>, reply: FastifyReply): Promise<FastifyReply> {
      const ip = pathIp(req.params.ip);
      await admin().unblock(ip, 'api');
      return reply.code(204).send();
    },
  };
}
