// Maps every error the API can meet to one RFC 9457 problem+json answer with a stable PW_ERR code; no stack ever leaves.
import { STATUS_CODES } from 'node:http';
import { ERROR_CODES, isProbewatchError, ProbewatchError } from '../domain/errors.ts';
import type { ErrorCode } from '../domain/errors.ts';

/** The codes the API itself raises; each must be listed in openapi.yaml `x-error-codes` (a test checks). */
export const API_ERROR_CODES: readonly ErrorCode[] = [
  'PW_ERR_VALIDATION', 'PW_ERR_BAD_REQUEST', 'PW_ERR_INVALID_ADDRESS', 'PW_ERR_CURSOR_INVALID', 'PW_ERR_CURSOR_MISMATCH',
  'PW_ERR_SEARCH_SYNTAX', 'PW_ERR_UNAUTHORIZED', 'PW_ERR_FORBIDDEN', 'PW_ERR_NOT_FOUND', 'PW_ERR_ROUTE_NOT_FOUND',
  'PW_ERR_BLOCK_REFUSED', 'PW_ERR_CURSOR_EXPIRED', 'PW_ERR_PAYLOAD_TOO_LARGE', 'PW_ERR_UNSUPPORTED_MEDIA_TYPE',
  'PW_ERR_RATE_LIMITED', 'PW_ERR_INTERNAL', 'PW_ERR_STORE', 'PW_ERR_UNAVAILABLE', 'PW_ERR_FIREWALL', 'PW_ERR_NO_FIREWALL',
];

/** The problem document (openapi.yaml `Problem`). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
  requestId?: string;
  errors?: { location: string; message: string }[];
}

/** What the error handler sends: status, body, and extra headers. */
export interface ProblemAnswer {
  status: number;
  body: Problem;
  headers: Record<string, string>;
  /** Whether the error is the server's fault (logged with its stack). */
  internal: boolean;
}

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  validation?: readonly { instancePath?: string; message?: string; params?: Record<string, unknown> }[];
  validationContext?: string;
  errors?: unknown;
  message?: string;
}

/** Builds a problem body for a registered code. */
export function problem(code: ErrorCode, detail: string, extra: Partial<Problem> = {}): Problem {
  const status = ERROR_CODES[code].status;
  return { type: `urn:probewatch:problem:${code}`, title: STATUS_CODES[status] ?? 'Error', status, code, detail, ...extra };
}

function fromCoded(e: ProbewatchError): ProblemAnswer {
  // codes of other areas (config, store, capture…) reaching a request are the server's problem unless they are 4xx
  const status = e.status;
  const internal = status >= 500;
  const code: ErrorCode = internal && !API_ERROR_CODES.includes(e.code) ? 'PW_ERR_INTERNAL' : e.code;
  const detail = code === 'PW_ERR_INTERNAL' ? ERROR_CODES.PW_ERR_INTERNAL.message : e.message;
  const headers: Record<string, string> = {};
  if (code === 'PW_ERR_UNAUTHORIZED') {
    headers['www-authenticate'] = e.detail.invalid === true ? 'Bearer realm="probewatch", error="invalid_token"' : 'Bearer realm="probewatch"';
  }
  if (code === 'PW_ERR_RATE_LIMITED' && typeof e.detail.retryAfter === 'number') headers['retry-after'] = String(e.detail.retryAfter);
  return { status: ERROR_CODES[code].status, body: problem(code, detail), headers, internal };
}

/** Maps any thrown value (coded errors, fastify validation/parser errors, security handler errors) to a problem answer. */
export function toProblem(err: unknown): ProblemAnswer {
  if (isProbewatchError(err)) return fromCoded(err);
  const e = (typeof err === 'object' && err !== null ? err : {}) as FastifyLikeError;
  // fastify-openapi-glue wraps security handler failures; the first inner coded error says 401 or 403
  if (Array.isArray(e.errors)) {
    const inner = (e.errors as unknown[]).find(isProbewatchError);
    if (inner) return fromCoded(inner);
    return fromCoded(new ProbewatchError('PW_ERR_UNAUTHORIZED', ['no valid token']));
  }
  // a response that broke its schema is the server's fault (and its details describe our data, not the request)
  if (typeof e.code === 'string' && e.code.startsWith('FST_RESPONSE_VALIDATION')) {
    return { status: 500, body: problem('PW_ERR_INTERNAL', ERROR_CODES.PW_ERR_INTERNAL.message), headers: {}, internal: true };
  }
  if (e.validation) {
    const where = e.validationContext ?? 'request';
    const errors = e.validation.slice(0, 20).map((v) => {
      const named = v.params?.missingProperty ?? v.params?.additionalProperty;
      const field = v.instancePath ? v.instancePath.replace(/^\//, '').replace(/\//g, '.') : typeof named === 'string' ? named : '';
      return { location: field ? `${where}.${field}` : where, message: v.message ?? 'is invalid' };
    });
    const detail = errors.map((x) => `${x.location} ${x.message}`).join('; ');
    return { status: 400, body: problem('PW_ERR_VALIDATION', `invalid request: ${detail}`, { errors }), headers: {}, internal: false };
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return fromCoded(new ProbewatchError('PW_ERR_PAYLOAD_TOO_LARGE', ['the configured']));
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return fromCoded(new ProbewatchError('PW_ERR_UNSUPPORTED_MEDIA_TYPE', ['expected application/json']));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return fromCoded(new ProbewatchError('PW_ERR_VALIDATION', ['empty or inconsistent body']));
    default:
      break;
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 429) return fromCoded(new ProbewatchError('PW_ERR_RATE_LIMITED', ['a moment']));
  if (status >= 400 && status < 500) {
    // fastify's own 4xx (bad JSON, bad URL encoding): a fixed text, the message may quote the input
    const detail = e.code === 'FST_ERR_BAD_URL' ? 'malformed URL' : typeof e.code === 'string' && e.code.startsWith('FST_ERR_CTP') ? 'malformed body' : 'malformed request';
    return { status: 400, body: problem('PW_ERR_BAD_REQUEST', detail), headers: {}, internal: false };
  }
  return { status: 500, body: problem('PW_ERR_INTERNAL', ERROR_CODES.PW_ERR_INTERNAL.message), headers: {}, internal: true };
}
