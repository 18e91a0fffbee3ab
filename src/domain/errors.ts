// The one registry of coded errors (PW_ERR_*): message template, HTTP status and CLI exit code, mapped in one place.

/** Every error code probewatch raises, with its default message template ("%s" placeholders) and HTTP status. */
export const ERROR_CODES = {
  PW_ERR_CONFIG: { status: 500, exit: 2, message: 'configuration error: %s' },
  PW_ERR_CONFIG_UNKNOWN_KEY: { status: 500, exit: 2, message: 'unknown configuration key %s' },
  PW_ERR_CONFIG_VALUE: { status: 500, exit: 2, message: 'invalid value for %s: %s' },
  PW_ERR_USAGE: { status: 400, exit: 2, message: '%s' },
  PW_ERR_INPUT_UNREADABLE: { status: 500, exit: 1, message: 'cannot read %s: %s' },
  PW_ERR_SIGNATURE_SYNTAX: { status: 500, exit: 2, message: '%s' },
  PW_ERR_STORE: { status: 500, exit: 1, message: 'store error: %s' },
  PW_ERR_STORE_SCHEMA: { status: 500, exit: 1, message: 'database schema is newer than this probewatch (%s)' },
  PW_ERR_CAPTURE_PERMISSION: { status: 500, exit: 1, message: '%s' },
  PW_ERR_CAPTURE: { status: 500, exit: 1, message: 'capture failed: %s' },
  PW_ERR_INVALID_ADDRESS: { status: 400, exit: 2, message: 'not an IP address: %s' },
  PW_ERR_NOT_FOUND: { status: 404, exit: 1, message: '%s not found' },
  PW_ERR_BAD_REQUEST: { status: 400, exit: 2, message: '%s' },
  PW_ERR_INTERNAL: { status: 500, exit: 1, message: 'internal error' },
  // --- api / serve (issue 5) ---
  PW_ERR_VALIDATION: { status: 400, exit: 2, message: 'invalid request: %s' },
  PW_ERR_CURSOR_INVALID: { status: 400, exit: 2, message: 'invalid cursor: %s' },
  PW_ERR_CURSOR_MISMATCH: { status: 400, exit: 2, message: 'the cursor was made for a different query (%s); repeat the query it came from or drop it' },
  PW_ERR_CURSOR_EXPIRED: { status: 410, exit: 1, message: 'cursor expired: %s; restart without a cursor' },
  PW_ERR_SEARCH_SYNTAX: { status: 400, exit: 2, message: 'invalid search text: %s' },
  PW_ERR_UNAUTHORIZED: { status: 401, exit: 1, message: 'authentication required: %s' },
  PW_ERR_FORBIDDEN: { status: 403, exit: 1, message: 'this token lacks the %s scope' },
  PW_ERR_ROUTE_NOT_FOUND: { status: 404, exit: 1, message: 'no such endpoint: %s' },
  PW_ERR_PAYLOAD_TOO_LARGE: { status: 413, exit: 1, message: 'request body larger than %s bytes' },
  PW_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, exit: 1, message: 'unsupported content type: %s' },
  PW_ERR_RATE_LIMITED: { status: 429, exit: 1, message: 'too many requests; retry in %s' },
  PW_ERR_UNAVAILABLE: { status: 503, exit: 1, message: 'service unavailable: %s' },
  PW_ERR_TOKEN_FILE_INSECURE: { status: 500, exit: 2, message: 'token file %s is accessible by other users (mode %s): its group and others must have no access; chmod 600 it' },
  PW_ERR_LISTEN: { status: 500, exit: 1, message: 'cannot listen on %s: %s' },
  // response (alerts, scripts, blocking)
  PW_ERR_BLOCK_REFUSED: { status: 409, exit: 3, message: 'refusing to block %s: %s' },
  PW_ERR_FIREWALL: { status: 502, exit: 1, message: 'firewall (%s): %s' },
  PW_ERR_NO_FIREWALL: { status: 503, exit: 1, message: 'no usable firewall backend: %s' },
  PW_ERR_SCRIPT_COMMAND: { status: 500, exit: 2, message: 'bad script command %s: %s' },
  // HOME_NET (detect and respond share psad's key)
  PW_ERR_HOME_NET: { status: 500, exit: 2, message: 'invalid HOME_NET entry %s in %s: %s' },
} as const satisfies Record<string, { status: number; exit: number; message: string }>;

/** A registered error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** An error carrying a registered code; `detail` holds structured context (file, line, key, …) for reports. */
export class ProbewatchError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly exitCode: number;
  readonly detail: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, args: readonly (string | number)[] = [], detail: Record<string, unknown> = {}, options?: ErrorOptions) {
    const def = ERROR_CODES[code];
    let i = 0;
    const message = def.message.replace(/%s/g, () => String(args[i++] ?? ''));
    super(message, options);
    this.name = 'ProbewatchError';
    this.code = code;
    this.status = def.status;
    this.exitCode = def.exit;
    this.detail = detail;
  }
}

/** Shorthand: `pwError('PW_ERR_CONFIG_VALUE', ['SCAN_TIMEOUT', 'must be a number'], {file, line})`. */
export function pwError(code: ErrorCode, args: readonly (string | number)[] = [], detail: Record<string, unknown> = {}): ProbewatchError {
  return new ProbewatchError(code, args, detail);
}

/** Narrowing guard. */
export function isProbewatchError(e: unknown): e is ProbewatchError {
  return e instanceof ProbewatchError;
}
