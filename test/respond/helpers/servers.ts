// Fake servers on 127.0.0.1 that record what probewatch sends: SMTP (enough of RFC 5321 for nodemailer), an HTTP
// webhook receiver that can fail on purpose, an RFC 6587 octet-counting syslog receiver, a unix datagram receiver.
import { createServer as createHttp } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { unixDgram } from '../../../src/respond/syslog-sink.ts';

/** One received mail. */
export interface ReceivedMail {
  from: string;
  to: string[];
  data: string;
  subject: string;
}

/** A minimal SMTP server: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT. */
export class FakeSmtp {
  readonly mails: ReceivedMail[] = [];
  #server: Server | null = null;
  port = 0;

  async start(): Promise<void> {
    this.#server = createServer((sock) => {
      sock.setEncoding('utf8');
      let buf = '';
      let inData = false;
      let cur: { from: string; to: string[]; data: string } = { from: '', to: [], data: '' };
      sock.write('220 fake ESMTP\r\n');
      sock.on('error', () => undefined);
      sock.on('data', (chunk: string) => {
        buf += chunk;
        for (;;) {
          const i = buf.indexOf('\r\n');
          if (i === -1) break;
          const line = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (inData) {
            if (line === '.') {
              inData = false;
              const subject = /^Subject: (.*(?:\r\n[ \t].*)*)/m.exec(cur.data)?.[1]?.replace(/\r\n[ \t]/g, ' ') ?? '';
              this.mails.push({ ...cur, subject });
              cur = { from: '', to: [], data: '' };
              sock.write('250 queued\r\n');
            } else {
              cur.data += `${line.startsWith('..') ? line.slice(1) : line}\r\n`;
            }
            continue;
          }
          const cmd = line.slice(0, 4).toUpperCase();
          if (cmd === 'EHLO') sock.write('250-fake\r\n250 8BITMIME\r\n');
          else if (cmd === 'HELO') sock.write('250 fake\r\n');
          else if (cmd === 'MAIL') { cur.from = /<([^>]*)>/.exec(line)?.[1] ?? ''; sock.write('250 ok\r\n'); }
          else if (cmd === 'RCPT') { cur.to.push(/<([^>]*)>/.exec(line)?.[1] ?? ''); sock.write('250 ok\r\n'); }
          else if (cmd === 'DATA') { inData = true; sock.write('354 go\r\n'); }
          else if (cmd === 'QUIT') { sock.end('221 bye\r\n'); }
          else sock.write('250 ok\r\n');
        }
      });
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => { this.#server?.close(() => { r(); }); });
  }
}

/** One received webhook request. */
export interface ReceivedHook {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  status: number;
}

/** Records POSTs; `failNext` answers 503 to that many requests first. */
export class FakeWebhook {
  readonly requests: ReceivedHook[] = [];
  failNext = 0;
  #server: HttpServer | null = null;
  url = '';

  async start(): Promise<void> {
    this.#server = createHttp((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => { body += c; });
      req.on('end', () => {
        const status = this.failNext > 0 ? 503 : 204;
        if (this.failNext > 0) this.failNext--;
        this.requests.push({ headers: req.headers, body, status });
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hook`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((r) => { this.#server?.close(() => { r(); }); });
  }
}

/** Receives RFC 6587 octet-counted frames over TCP. */
export class FakeSyslogTcp {
  readonly frames: string[] = [];
  #server: Server | null = null;
  port = 0;

  async start(port = 0): Promise<void> {
    this.#server = createServer((sock) => {
      let buf = Buffer.alloc(0);
      sock.on('error', () => undefined);
      sock.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        for (;;) {
          const sp = buf.indexOf(0x20);
          if (sp === -1) break;
          const len = Number(buf.subarray(0, sp).toString('ascii'));
          if (buf.length < sp + 1 + len) break;
          this.frames.push(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
          buf = buf.subarray(sp + 1 + len);
        }
      });
    });
    await new Promise<void>((r) => this.#server!.listen(port, '127.0.0.1', r));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => { this.#server?.close(() => { r(); }); });
  }
}

/** A unix datagram socket standing in for /dev/log. */
export class FakeDevLog {
  readonly lines: string[] = [];
  #sock: ReturnType<ReturnType<typeof unixDgram>['createSocket']> | null = null;

  start(path: string): void {
    this.#sock = unixDgram().createSocket('unix_dgram', (msg) => { this.lines.push(msg.toString('utf8')); });
    this.#sock.bind(path);
  }

  stop(): void {
    this.#sock?.close();
  }
}

/** Waits until `cond()` holds (polling), failing after `ms`. */
export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
