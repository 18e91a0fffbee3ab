// Email over SMTP (nodemailer): one delivery at a time from a bounded queue, each with a deadline; results reported.
import { createTransport } from 'nodemailer';
import type { Transporter } from 'nodemailer';

/** One message. */
export interface Mail {
  /** Subject line. */
  subject: string;
  /** Plain-text body ("" for psad's subject-only status mails). */
  text: string;
}

/** SMTP settings. */
export interface EmailOptions {
  host: string;
  port: number;
  secure: boolean;
  from: string;
  to: readonly string[];
  /** Seconds per delivery. */
  timeout: number;
  /** psad's EMAIL_APPEND_HEADER ("Name:value"), or "". */
  appendHeader: string;
  /** Queue bound; beyond it the oldest mail is dropped and counted. */
  maxQueue?: number;
}

/** Delivery outcome, for the response history. */
export type MailResult = { ok: true; id: string } | { ok: false; error: string };

/** Parses "From:you@somehost" into a header pair; null for "", NONE, or malformed text. */
export function parseHeader(text: string): [string, string] | null {
  const m = /^\s*([A-Za-z][A-Za-z0-9-]{0,75})\s*:\s*(.*?)\s*$/.exec(text);
  if (!m || text.trim() === 'NONE') return null;
  // header injection: a value with CR/LF would start new headers
  if (/[\r\n]/.test(m[2]!)) return null;
  return [m[1]!, m[2]!];
}

/** Sends mail to the configured recipients. */
export class EmailSink {
  readonly #t: Transporter;
  readonly #o: EmailOptions;
  readonly #queue: { mail: Mail; done: (r: MailResult) => void }[] = [];
  #busy = false;
  #dropped = 0;

  constructor(o: EmailOptions) {
    this.#o = o;
    this.#t = createTransport({
      host: o.host, port: o.port, secure: o.secure,
      connectionTimeout: o.timeout * 1000, greetingTimeout: o.timeout * 1000, socketTimeout: o.timeout * 1000,
      // a local relay commonly has a self-signed certificate; STARTTLS still encrypts, it just cannot authenticate
      tls: { rejectUnauthorized: false },
    });
  }

  /** Mails dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Queues a mail; the promise settles when it was delivered or failed (never rejects). */
  send(mail: Mail): Promise<MailResult> {
    return new Promise((done) => {
      if (this.#queue.length >= (this.#o.maxQueue ?? 1000)) {
        const old = this.#queue.shift();
        this.#dropped++;
        old?.done({ ok: false, error: 'dropped: email queue full' });
      }
      this.#queue.push({ mail, done });
      void this.#pump();
    });
  }

  async #pump(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      for (let job = this.#queue.shift(); job; job = this.#queue.shift()) {
        const headers: Record<string, string> = {};
        const extra = parseHeader(this.#o.appendHeader);
        let from = this.#o.from;
        if (extra) {
          if (extra[0].toLowerCase() === 'from') from = extra[1];
          else headers[extra[0]] = extra[1];
        }
        try {
          const info = await this.#t.sendMail({ from, to: [...this.#o.to], subject: job.mail.subject, text: job.mail.text, headers }) as { messageId?: string };
          job.done({ ok: true, id: info.messageId ?? '' });
        } catch (e) {
          job.done({ ok: false, error: (e as Error).message });
        }
      }
    } finally {
      this.#busy = false;
    }
  }

  /** Waits for the queue to empty (at most `deadlineMs`), then closes the transport. */
  async close(deadlineMs = 5000): Promise<void> {
    const end = Date.now() + deadlineMs;
    while ((this.#busy || this.#queue.length > 0) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    this.#t.close();
  }
}
