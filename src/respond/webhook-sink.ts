// Webhooks: JSON POST signed with HMAC-SHA256 over "<timestamp>.<body>", retries with exponential backoff and jitter,
// bounded queue (oldest dropped and counted), one delivery in flight so receivers see events in order.
import { createHmac, randomUUID } from 'node:crypto';

/** Webhook settings. */
export interface WebhookOptions {
  /** http(s) URL. */
  url: string;
  /** HMAC key ("" = unsigned). */
  secret: string;
  /** Retries after the first attempt. */
  retries: number;
  /** First retry delay, seconds. */
  backoff: number;
  /** Per-request deadline, seconds. */
  timeout: number;
  /** Queue bound. */
  maxQueue: number;
}

/** Delivery outcome. */
export interface WebhookResult {
  /** Delivered with a 2xx. */
  ok: boolean;
  /** Attempts made. */
  attempts: number;
  /** Last HTTP status, if any. */
  status?: number;
  /** Last error. */
  error?: string;
}

/** The signature header value for a body sent at `ts` (unix seconds): "sha256=<hex>". */
export function webhookSignature(secret: string, ts: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`;
}

const MAX_DELAY_MS = 300_000;

interface Attempt {
  ok: boolean;
  retry: boolean;
  status?: number;
  error?: string;
}

/** Posts events to one URL. */
export class WebhookSink {
  readonly #o: WebhookOptions;
  readonly #queue: { event: string; body: string; done: (r: WebhookResult) => void }[] = [];
  #busy = false;
  #dropped = 0;
  #closing = false;

  constructor(o: WebhookOptions) {
    const u = new URL(o.url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`webhook URL must be http(s): ${o.url}`);
    this.#o = o;
  }

  /** Deliveries dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Queues one event (`payload` is JSON-serialised); settles after delivery or the last retry, never rejects. */
  send(event: string, payload: unknown): Promise<WebhookResult> {
    return new Promise((done) => {
      if (this.#queue.length >= this.#o.maxQueue) {
        this.#dropped++;
        this.#queue.shift()?.done({ ok: false, attempts: 0, error: 'dropped: webhook queue full' });
      }
      this.#queue.push({ event, body: JSON.stringify(payload), done });
      void this.#pump();
    });
  }

  async #attempt(event: string, body: string, id: string): Promise<Attempt> {
    const ts = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'probewatch-webhook/1',
      'x-probewatch-event': event,
      'x-probewatch-delivery': id,
      'x-probewatch-timestamp': String(ts),
    };
    if (this.#o.secret) headers['x-probewatch-signature'] = webhookSignature(this.#o.secret, ts, body);
    try {
      const res = await fetch(this.#o.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.#o.timeout * 1000), redirect: 'manual' });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { ok: true, retry: false, status: res.status };
      // 4xx other than 408/429 will not get better by retrying
      const retry = res.status >= 500 || res.status === 429 || res.status === 408;
      return { ok: false, retry, status: res.status, error: `HTTP ${res.status}` };
    } catch (e) {
      return { ok: false, retry: true, error: (e as Error).message };
    }
  }

  async #pump(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (let job = this.#queue.shift(); job; job = this.#queue.shift()) {
        const id = randomUUID();
        let last: Attempt = { ok: false, retry: true };
        let attempts = 0;
        for (let i = 0; i <= this.#o.retries; i++) {
          attempts++;
          last = await this.#attempt(job.event, job.body, id);
          if (last.ok || !last.retry || this.#closing) break;
          if (i < this.#o.retries) {
            const base = Math.min(this.#o.backoff * 1000 * 2 ** i, MAX_DELAY_MS);
            await new Promise((r) => setTimeout(r, base / 2 + Math.random() * base / 2));
          }
        }
        job.done({ ok: last.ok, attempts, ...(last.status === undefined ? {} : { status: last.status }), ...(last.error === undefined ? {} : { error: last.error }) });
      }
    } finally {
      this.#busy = false;
    }
  }

  /** Stops retrying and waits (at most `deadlineMs`) for the queue to drain. */
  async close(deadlineMs = 5000): Promise<void> {
    this.#closing = true;
    const end = Date.now() + deadlineMs;
    while ((this.#busy || this.#queue.length > 0) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  }
}
