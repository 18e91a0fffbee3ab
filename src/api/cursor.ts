// Opaque cursors: base64url JSON naming the store epoch and a position; decoded strictly, anything else is a clear 400.
import { createHash } from 'node:crypto';
import { pwError } from '../domain/errors.ts';

/** A change-feed position (GET /feed, SSE ids). */
export interface FeedCursor {
  k: 'f';
  /** Store epoch. */
  e: string;
  /** Outbox sequence consumed up to. */
  s: number;
}

/** A source-list position. */
export interface ListCursor {
  k: 'l';
  e: string;
  /** Snapshot sequence. */
  s: number;
  /** Snapshot wall time (ms). */
  t: number;
  /** Hash of the filters and sort the list was made for. */
  h: string;
  /** Sort key of the last row returned. */
  a: (number | string)[];
}

/** A blocklist delta position. */
export interface BlocklistCursor {
  k: 'b';
  e: string;
  /** Index snapshot sequence of the list the client holds. */
  s: number;
  /** Minimum danger level of that list. */
  m: number;
}

/** Any cursor. */
export type Cursor = FeedCursor | ListCursor | BlocklistCursor;

/** Encodes a cursor. */
export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isKeyPart = (v: unknown): v is number | string => (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= 64);

function invalid(why: string): never {
  throw pwError('PW_ERR_CURSOR_INVALID', [why]);
}

/** Decodes a cursor of kind `kind`; throws PW_ERR_CURSOR_INVALID for anything this server did not issue. */
export function decodeCursor<K extends Cursor['k']>(text: string, kind: K): Extract<Cursor, { k: K }> {
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(text)) invalid('not a cursor (expected the opaque text from a previous answer)');
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    invalid('not a cursor (expected the opaque text from a previous answer)');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) invalid('not a cursor');
  const o = v as Record<string, unknown>;
  if (o.k !== kind) invalid(`this cursor belongs to another endpoint`);
  if (typeof o.e !== 'string' || !/^[0-9a-f]{1,32}$/.test(o.e) || !isSeq(o.s)) invalid('damaged cursor');
  switch (kind) {
    case 'f':
      if (Object.keys(o).length !== 3) invalid('damaged cursor');
      break;
    case 'l':
      if (!isSeq(o.t) || typeof o.h !== 'string' || !/^[0-9a-f]{1,64}$/.test(o.h) || !Array.isArray(o.a)
        || o.a.length === 0 || o.a.length > 4 || !o.a.every(isKeyPart) || Object.keys(o).length !== 6) invalid('damaged cursor');
      break;
    case 'b':
      if (typeof o.m !== 'number' || !Number.isInteger(o.m) || o.m < 1 || o.m > 5 || Object.keys(o).length !== 4) invalid('damaged cursor');
      break;
  }
  return o as unknown as Extract<Cursor, { k: K }>;
}

/** A short stable hash of a query's filters and sort, so a cursor is only used with the query it came from. */
export function queryHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}
