// One whois query over TCP with whoiser as the transport, bounded by a whole-query deadline and a byte cap.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { query as WhoiserQuery } from 'whoiser';

let whoiserQuery: typeof WhoiserQuery | null = null;

/**
 * whoiser's query, loaded at the first query: a process that never asks whois (serve or analyze with whois off, every
 * other command) does not pay for loading it (~0.11 CPU-s and ~17 MB with bottleneck, in a fresh process).
 * Synchronous, as the socket is caught on the diagnostics channel while the call that opens it runs.
 */
function whoiser(): typeof WhoiserQuery {
  whoiserQuery ??= (createRequire(import.meta.url)('whoiser') as { query: typeof WhoiserQuery }).query;
  return whoiserQuery;
}

/** One query. */
export interface QueryRequest {
  /** Server host. */
  host: string;
  /** Server port. */
  port: number;
  /** The query line (without CRLF). */
  query: string;
  /** Whole-query deadline, ms (connect, send, read everything). */
  deadlineMs: number;
  /** Idle timeout, ms (whoiser's own timeout). */
  idleMs: number;
  /** Bytes read at most; the connection is closed past it. */
  maxBytes: number;
}

/** What came back. */
export type QueryOutcome =
  | { kind: 'answer'; text: string; bytes: number; truncated: boolean; ms: number }
  | { kind: 'timeout'; reason: string; bytes: number; ms: number }
  | { kind: 'network'; reason: string; code: string | null; ms: number };

/** A whois transport (the worker and commands take one, so tests and the offline analyser share the real code path). */
export type WhoisTransport = (req: QueryRequest) => Promise<QueryOutcome>;

const SOCKET_CHANNEL = 'net.client.socket';

/**
 * whoiser.query opens its socket synchronously inside its promise executor; the `net.client.socket` diagnostics channel
 * hands us that socket so we can count bytes, cut it at the cap and destroy it at the deadline — whoiser itself only has
 * an idle timeout and keeps reading forever (a drip of one byte a second never times out).
 */
function withSocket<T>(fn: () => T): { value: T; socket: Socket | null } {
  let socket: Socket | null = null;
  const grab = (m: unknown): void => {
    const s = (m as { socket?: Socket } | null)?.socket;
    if (s && !socket) socket = s;
  };
  subscribe(SOCKET_CHANNEL, grab);
  try {
    return { value: fn(), socket };
  } finally {
    unsubscribe(SOCKET_CHANNEL, grab);
  }
}

/** The transport over whoiser.query. */
export const whoiserTransport: WhoisTransport = (req) => {
  const t0 = performance.now();
  const ms = (): number => Math.round(performance.now() - t0);
  let started: { value: Promise<string>; socket: Socket | null };
  try {
    const query = whoiser();
    started = withSocket(() => query({ host: req.host, port: req.port, query: req.query, timeout: req.idleMs }));
  } catch (e) {
    return Promise.resolve({ kind: 'network', reason: (e as Error).message, code: null, ms: ms() });
  }
  const { socket } = started;
  const chunks: Buffer[] = [];
  let bytes = 0;
  let truncated = false;
  let deadlineHit = false;
  return new Promise<QueryOutcome>((resolve) => {
    const timer = setTimeout(() => {
      deadlineHit = true;
      if (socket) socket.destroy(new Error('deadline exceeded'));
      else resolve({ kind: 'timeout', reason: `deadline of ${req.deadlineMs} ms exceeded`, bytes, ms: ms() });
    }, req.deadlineMs);
    if (socket) {
      socket.on('data', (chunk: Buffer) => {
        if (truncated) return;
        const room = req.maxBytes - bytes;
        if (chunk.length > room) {
          chunks.push(chunk.subarray(0, room));
          bytes += room;
          truncated = true;
          // closing without an error makes whoiser resolve with what it has; our copy is the bounded one
          socket.destroy();
          return;
        }
        chunks.push(chunk);
        bytes += chunk.length;
      });
    }
    started.value.then(
      (text) => {
        clearTimeout(timer);
        if (deadlineHit) return; // already resolved by the timer (no socket to destroy)
        // decode once: whoiser decodes chunk by chunk and breaks UTF-8 sequences split across reads
        const body = socket ? Buffer.concat(chunks).toString('utf8') : text.slice(0, req.maxBytes);
        resolve({ kind: 'answer', text: body, bytes: socket ? bytes : Buffer.byteLength(body), truncated: socket ? truncated : text.length > req.maxBytes, ms: ms() });
      },
      (e: unknown) => {
        clearTimeout(timer);
        const err = e as NodeJS.ErrnoException;
        if (deadlineHit) resolve({ kind: 'timeout', reason: `deadline of ${req.deadlineMs} ms exceeded`, bytes, ms: ms() });
        else if (err.message === 'Timeout') resolve({ kind: 'timeout', reason: `idle for ${req.idleMs} ms`, bytes, ms: ms() });
        else resolve({ kind: 'network', reason: err.message, code: err.code ?? null, ms: ms() });
      },
    );
  });
};
