// Syslog sinks: the local daemon's datagram socket (glibc syslog(3) format, as psad's Unix::Syslog wrote) and
// RFC 5424 over TCP with RFC 6587 octet counting, both with a bounded queue and reconnection.
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { pwError } from '../domain/errors.ts';

const FACILITY: Record<string, number> = {
  LOG_USER: 1, LOG_DAEMON: 3, LOG_AUTH: 4,
  LOG_LOCAL0: 16, LOG_LOCAL1: 17, LOG_LOCAL2: 18, LOG_LOCAL3: 19, LOG_LOCAL4: 20, LOG_LOCAL5: 21, LOG_LOCAL6: 22, LOG_LOCAL7: 23,
};
const SEVERITY: Record<string, number> = {
  LOG_EMERG: 0, LOG_ALERT: 1, LOG_CRIT: 2, LOG_ERR: 3, LOG_WARNING: 4, LOG_NOTICE: 5, LOG_INFO: 6, LOG_DEBUG: 7,
};

/** PRI value of a psad facility/priority pair (LOG_LOCAL7 + LOG_INFO = 190). */
export function syslogPri(facility: string, priority: string): number {
  return (FACILITY[facility] ?? 23) * 8 + (SEVERITY[priority] ?? 6);
}

/** Where lines go. */
export interface SyslogSink {
  /** Queues lines; never throws, never blocks. */
  send(lines: readonly string[]): void;
  /** Lines dropped because the queue was full or the daemon unreachable. */
  readonly dropped: number;
  /** Flushes what it can within `deadlineMs`, then closes. */
  close(deadlineMs?: number): Promise<void>;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A line as glibc's syslog(3) sends it to /dev/log: `<PRI>Mmm dd hh:mm:ss IDENT: MSG` (psad set no LOG_PID). */
export function bsdLine(pri: number, ident: string, msg: string, ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `<${pri}>${MONTHS[d.getMonth()]!} ${String(d.getDate()).padStart(2, ' ')} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${ident}: ${msg}`;
}

/** RFC 5424 SD-free message framed with RFC 6587 octet counting: `LEN <PRI>1 TS HOST APP PID MSGID - MSG`. */
export function rfc5424Frame(pri: number, o: { host: string; app: string; procId: string; msgId: string }, msg: string, ms: number): Buffer {
  const field = (s: string, max: number): string => {
    const t = s.replace(/[^\x21-\x7e]/g, '').slice(0, max);
    return t === '' ? '-' : t;
  };
  const body = Buffer.from(`<${pri}>1 ${new Date(ms).toISOString()} ${field(o.host, 255)} ${field(o.app, 48)} ${field(o.procId, 128)} ${field(o.msgId, 32)} - ${msg}`, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

/** The message id probewatch puts in RFC 5424 frames, from the line's kind. */
function msgIdOf(line: string): string {
  if (line.startsWith('scan detected')) return 'scan';
  if (line.includes(' signature match: ')) return 'signature';
  if (/auto-block|block against/.test(line)) return 'block';
  return 'status';
}

interface UnixDgramSocket {
  on(ev: 'error', fn: (e: Error) => void): void;
  on(ev: 'connect' | 'writable', fn: () => void): void;
  on(ev: 'congestion', fn: (buf: Buffer) => void): void;
  connect(path: string): void;
  send(buf: Buffer, cb?: (err?: Error) => void): void;
  close(): void;
}
interface UnixDgramModule {
  createSocket(type: 'unix_dgram', listener?: (msg: Buffer) => void): UnixDgramSocket & { bind(path: string): void };
}

/** The unix-dgram addon (Node has no AF_UNIX datagram sockets, which is what /dev/log is). */
export function unixDgram(): UnixDgramModule {
  const require = createRequire(import.meta.url);
  return require('unix-dgram') as UnixDgramModule;
}

/** Sends to the local syslog daemon's datagram socket; reconnects after the daemon restarts. */
export class UnixSyslogSink implements SyslogSink {
  readonly #path: string;
  readonly #pri: number;
  readonly #ident: string;
  readonly #now: () => number;
  #sock: UnixDgramSocket | null = null;
  #retryAt = 0;
  #dropped = 0;

  constructor(path: string, pri: number, ident: string, now: () => number = Date.now) {
    this.#path = path;
    this.#pri = pri;
    this.#ident = ident;
    this.#now = now;
  }

  get dropped(): number {
    return this.#dropped;
  }

  #open(): UnixDgramSocket | null {
    if (this.#sock) return this.#sock;
    if (Date.now() < this.#retryAt) return null;
    try {
      const s = unixDgram().createSocket('unix_dgram');
      let failed = false;
      s.on('error', () => {
        failed = true;
        this.#drop(s);
      });
      s.on('congestion', () => { this.#dropped++; });
      s.connect(this.#path);
      // 'error' is emitted synchronously inside connect() when the daemon is not there
      if ((failed as boolean)) return null;
      this.#sock = s;
      return s;
    } catch {
      this.#retryAt = Date.now() + 1000;
      return null;
    }
  }

  #drop(s: UnixDgramSocket): void {
    if (this.#sock === s) this.#sock = null;
    this.#retryAt = Date.now() + 1000;
    try {
      s.close();
    } catch { /* already closed */ }
  }

  send(lines: readonly string[]): void {
    for (const line of lines) {
      const s = this.#open();
      if (!s) {
        this.#dropped++;
        continue;
      }
      // glibc truncates nothing but syslogd limits datagrams; 8 KiB keeps us under every daemon's limit
      const buf = Buffer.from(bsdLine(this.#pri, this.#ident, line, this.#now()), 'utf8').subarray(0, 8192);
      s.send(buf, (err) => {
        if (err) {
          this.#dropped++;
          this.#drop(s);
        }
      });
    }
  }

  close(): Promise<void> {
    if (this.#sock) this.#drop(this.#sock);
    return Promise.resolve();
  }
}

/** RFC 5424 over TCP with octet counting, bounded queue, reconnect with backoff (1 s doubling to 60 s). */
export class TcpSyslogSink implements SyslogSink {
  readonly #host: string;
  readonly #port: number;
  readonly #pri: number;
  readonly #app: string;
  readonly #hostname: string;
  readonly #max: number;
  readonly #now: () => number;
  readonly #queue: Buffer[] = [];
  #sock: Socket | null = null;
  #connected = false;
  #backoff = 1000;
  #timer: NodeJS.Timeout | null = null;
  #dropped = 0;
  #closed = false;

  constructor(o: { host: string; port: number; pri: number; app: string; hostname?: string; maxQueue: number; now?: () => number }) {
    this.#host = o.host;
    this.#port = o.port;
    this.#pri = o.pri;
    this.#app = o.app;
    this.#hostname = o.hostname || osHostname();
    this.#max = o.maxQueue;
    this.#now = o.now ?? Date.now;
  }

  get dropped(): number {
    return this.#dropped;
  }

  send(lines: readonly string[]): void {
    if (this.#closed) return;
    for (const line of lines) {
      if (this.#queue.length >= this.#max) {
        this.#queue.shift();
        this.#dropped++;
      }
      this.#queue.push(rfc5424Frame(this.#pri, { host: this.#hostname, app: this.#app, procId: String(process.pid), msgId: msgIdOf(line) }, line, this.#now()));
    }
    this.#pump();
  }

  #connect(): void {
    if (this.#sock || this.#timer || this.#closed) return;
    const s = connect({ host: this.#host, port: this.#port });
    s.setNoDelay(true);
    s.setKeepAlive(true, 30_000);
    this.#sock = s;
    s.on('connect', () => {
      this.#connected = true;
      this.#backoff = 1000;
      this.#pump();
    });
    s.on('error', () => { /* 'close' follows and schedules the retry */ });
    s.on('close', () => {
      this.#sock = null;
      this.#connected = false;
      if (this.#closed) return;
      this.#timer = setTimeout(() => {
        this.#timer = null;
        if (this.#queue.length > 0) this.#connect();
      }, this.#backoff);
      this.#timer.unref();
      this.#backoff = Math.min(this.#backoff * 2, 60_000);
    });
    s.on('drain', () => { this.#pump(); });
  }

  #pump(): void {
    if (!this.#connected || !this.#sock) {
      this.#connect();
      return;
    }
    while (this.#queue.length > 0) {
      const frame = this.#queue.shift()!;
      if (!this.#sock.write(frame)) return; // wait for 'drain'
    }
  }

  async close(deadlineMs = 2000): Promise<void> {
    const end = Date.now() + deadlineMs;
    while (this.#queue.length > 0 && this.#connected && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    const s = this.#sock;
    if (s) await new Promise<void>((r) => { s.end(() => { r(); }); setTimeout(r, 500).unref(); });
    s?.destroy();
  }
}

/** Builds the sink for respond.syslogTarget ("unix:/path", "tcp://host:port", "" → null). */
export function syslogSinkFor(target: string, o: { facility: string; priority: string; identity: string; hostname: string; maxQueue: number }): SyslogSink | null {
  const pri = syslogPri(o.facility, o.priority);
  if (target === '') return null;
  if (target.startsWith('unix:')) return new UnixSyslogSink(target.slice(5), pri, o.identity);
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(target);
  if (m) return new TcpSyslogSink({ host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]), pri, app: o.identity, hostname: o.hostname, maxQueue: o.maxQueue });
  throw pwError('PW_ERR_CONFIG_VALUE', ['respond.syslogTarget', `expected unix:/path or tcp://host:port, got ${JSON.stringify(target)}`]);
}
