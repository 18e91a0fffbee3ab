// The page's only way to the server: fetch with the session cookie (HttpOnly: the page never sees it or the token),
// problem+json errors, and an SSE reader over fetch (to send Last-Event-ID and notice a 401 the way EventSource cannot).

/** Sent on every request: the server wants it on a cookie-authenticated POST/DELETE (CSRF defence). */
const CSRF = { 'x-probewatch-csrf': '1' } as const;

/** An API error: the problem document's code and detail. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, detail: string) {
    super(detail);
    this.status = status;
    this.code = code;
  }
}

/** Called when the server refuses the token (401): the page goes back to sign-in. */
let onUnauthorized: () => void = () => undefined;
export function whenUnauthorized(f: () => void): void {
  onUnauthorized = f;
}

/** Query parameters; arrays repeat the key, empty values are left out. */
export type Params = Record<string, string | number | boolean | readonly string[] | null | undefined>;

/** Builds `path?query`. */
export function url(path: string, params: Params = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '') continue;
    if (Array.isArray(v)) for (const x of v as readonly string[]) q.append(k, x);
    else q.append(k, String(v));
  }
  const qs = q.toString();
  return qs ? `${path}?${qs}` : path;
}

async function request<T>(method: string, path: string, params?: Params, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...CSRF };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url(path, params), { method, headers, body: body === undefined ? null : JSON.stringify(body), cache: 'no-store', credentials: 'same-origin' });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const p = (data ?? {}) as { code?: string; detail?: string };
    if (res.status === 401) onUnauthorized();
    throw new ApiError(res.status, p.code ?? `HTTP_${res.status}`, p.detail ?? res.statusText);
  }
  return data as T;
}

/** GET a JSON document. */
export function get<T>(path: string, params?: Params): Promise<T> {
  return request<T>('GET', path, params);
}

/** POST JSON. */
export function post<T>(path: string, body: unknown): Promise<T> {
  return request<T>('POST', path, undefined, body);
}

/** DELETE. */
export function del(path: string): Promise<void> {
  return request<undefined>('DELETE', path);
}

/** One server-sent event. */
export interface SseEvent {
  event: string;
  id: string;
  data: string;
}

/**
 * Reads a text/event-stream with the session cookie, calling `onEvent` per event; reconnects after `retryMs` with Last-Event-ID
 * until `signal` aborts. Resolves when aborted.
 */
export async function stream(path: string, onEvent: (e: SseEvent) => void, signal: AbortSignal, onState?: (up: boolean) => void): Promise<void> {
  let lastId = '';
  let retryMs = 3000;
  // read through a function: the compiler would otherwise narrow `aborted` to false inside the loop
  const stopped = (): boolean => signal.aborted;
  while (!stopped()) {
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream', ...CSRF };
      if (lastId) headers['last-event-id'] = lastId;
      const res = await fetch(path, { headers, signal, cache: 'no-store', credentials: 'same-origin' });
      if (res.status === 401) {
        onUnauthorized();
        return;
      }
      if (!res.ok || !res.body) throw new Error(`stream: HTTP ${res.status}`);
      onState?.(true);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let cut: number;
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          const ev: SseEvent = { event: 'message', id: '', data: '' };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') ev.event = val;
            else if (field === 'id') ev.id = val;
            else if (field === 'data') ev.data = ev.data ? `${ev.data}\n${val}` : val;
            else if (field === 'retry' && /^\d+$/.test(val)) retryMs = Number(val);
          }
          if (ev.id) lastId = ev.id;
          if (ev.data) onEvent(ev);
        }
      }
    } catch {
      if (stopped()) return;
    }
    onState?.(false);
    if (stopped()) return;
    await new Promise((r) => setTimeout(r, retryMs));
  }
}
