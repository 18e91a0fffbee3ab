// SyslogReceiver: accepts firewall logs from other servers over UDP or TCP (RFC 3164 and 5424; TCP newline or
// RFC 6587 octet-counted framing) and hands them over in batches; each event keeps its sending host.
//
// Public interface (stable):
//   const r = new SyslogReceiver({ listen: 'udp://0.0.0.0:514' | 'tcp://[::]:6514', parserOptions, hostFrom?,
//                                  maxConnections?, maxMessage?, queueLimit?, batchSize?, flushIntervalMs?, maxSenders?,
//                                  onBatch, onNotice? });
//   const { address, port } = await r.start();   r.ready;   r.stats;   await r.flush();   await r.stop();
// Batches have source 'syslog:<listen URL>' and no offset (a stream cannot be replayed).
//
// Bounds: a message longer than maxMessage is cut to its head and counted as 'too-long' (when it is a firewall line);
// at most maxConnections TCP connections; at most queueLimit lines wait for onBatch — beyond that UDP messages are
// dropped (counted in stats.dropped and reported) and TCP connections are paused until the backlog drains. One parser
// per sender (bounded by maxSenders) keeps "the time of the line before" per sender.
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { canonicalIp } from '../domain/address.ts';
import { BatchBuilder } from './batch.ts';
import type { LogBatch } from './batch.ts';
import { FirewallLineParser } from './parse-line.ts';
import type { ParserOptions } from './parse-types.ts';
import { SyslogFrameReader } from './syslog-frames.ts';

/** What the receiver reports besides batches. */
export type ReceiverNotice =
  | { kind: 'listening'; url: string; address: string; port: number }
  | { kind: 'dropped'; url: string; count: number }
  | { kind: 'connection-refused'; url: string; peer: string }
  | { kind: 'error'; url: string; message: string };

/** Options of a SyslogReceiver. */
export interface SyslogReceiverOptions {
  /** udp://HOST:PORT or tcp://HOST:PORT (IPv6 hosts in brackets; port 0 picks a free one). */
  listen: string;
  /** Options for the per-sender parsers. */
  parserOptions?: ParserOptions;
  /** Event host: the sender's address ('peer', default) or the message's HOSTNAME ('message', peer when absent). */
  hostFrom?: 'peer' | 'message';
  /** Concurrent TCP connections (default 64). */
  maxConnections?: number;
  /** Longest message in bytes (default the parser's maxLineLength). */
  maxMessage?: number;
  /** Lines waiting for onBatch before UDP drops / TCP pauses (default 100000). */
  queueLimit?: number;
  /** Lines per batch (default 2000). */
  batchSize?: number;
  /** A partial batch is delivered after this long (ms, default 1000). */
  flushIntervalMs?: number;
  /** Distinct senders with their own parser state (default 10000; the oldest is forgotten beyond). */
  maxSenders?: number;
  /** Receives batches; awaited. */
  onBatch: (batch: LogBatch) => void | Promise<void>;
  /** Receives notices. */
  onNotice?: (n: ReceiverNotice) => void;
}

/** Counters of one receiver. */
export interface ReceiverStats {
  /** Messages received (UDP datagrams, TCP frames). */
  received: number;
  /** Messages dropped because the queue was full (UDP only; TCP is paused instead). */
  dropped: number;
  /** Open TCP connections. */
  connections: number;
}

/** Parses a listen URL; throws on anything but udp:// or tcp:// with a host and port. */
export function parseListenUrl(url: string): { proto: 'udp' | 'tcp'; host: string; port: number } {
  const m = /^(udp|tcp):\/\/(\[[0-9a-fA-F:.]+\]|[^:/[\]]+):(\d{1,5})\/?$/.exec(url.trim());
  if (!m) throw new Error(`not a syslog listen URL (udp://HOST:PORT or tcp://HOST:PORT): ${url}`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`port out of range in ${url}`);
  const host = m[2]!.startsWith('[') ? m[2]!.slice(1, -1) : m[2]!;
  return { proto: m[1] as 'udp' | 'tcp', host, port };
}

/** One listener. */
export class SyslogReceiver {
  readonly url: string;
  readonly source: string;
  /** Counters. */
  readonly stats: ReceiverStats = { received: 0, dropped: 0, connections: 0 };
  readonly #o: SyslogReceiverOptions;
  readonly #builder: BatchBuilder;
  readonly #parsers = new Map<string, FirewallLineParser>();
  readonly #max: number;
  #udp: UdpSocket | null = null;
  #tcp: Server | null = null;
  readonly #sockets = new Set<Socket>();
  #paused = false;
  #line = 0;
  #inFlight: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #ready = false;
  #droppedUnreported = 0;

  constructor(opts: SyslogReceiverOptions) {
    this.#o = opts;
    this.url = opts.listen;
    this.source = `syslog:${opts.listen}`;
    parseListenUrl(opts.listen);
    this.#builder = new BatchBuilder(this.source);
    this.#max = opts.maxMessage ?? opts.parserOptions?.maxLineLength ?? 16_384;
  }

  /** True while listening. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Binds and listens; resolves with the bound address and port. */
  async start(): Promise<{ address: string; port: number }> {
    const { proto, host, port } = parseListenUrl(this.url);
    const bound = proto === 'udp' ? await this.#startUdp(host, port) : await this.#startTcp(host, port);
    this.#ready = true;
    this.#o.onNotice?.({ kind: 'listening', url: this.url, ...bound });
    return bound;
  }

  #startUdp(host: string, port: number): Promise<{ address: string; port: number }> {
    const sock = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 4 << 20 });
    this.#udp = sock;
    sock.on('message', (msg, rinfo) => {
      this.stats.received++;
      if (this.#builder.size >= (this.#o.queueLimit ?? 100_000)) {
        this.stats.dropped++;
        this.#droppedUnreported++;
        return;
      }
      let end = msg.length;
      while (end > 0 && (msg[end - 1] === 10 || msg[end - 1] === 13 || msg[end - 1] === 0)) end--;
      const over = end > this.#max;
      this.#message(msg.toString('utf8', 0, over ? this.#max : end), over, rinfo.address);
    });
    sock.on('error', (e) => { this.#o.onNotice?.({ kind: 'error', url: this.url, message: e.message }); });
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, host, () => {
        sock.off('error', reject);
        const a = sock.address();
        resolve({ address: a.address, port: a.port });
      });
    });
  }

  #startTcp(host: string, port: number): Promise<{ address: string; port: number }> {
    const server = createServer((sock) => { this.#accept(sock); });
    server.maxConnections = this.#o.maxConnections ?? 64;
    server.on('drop', (d) => {
      this.#o.onNotice?.({ kind: 'connection-refused', url: this.url, peer: d?.remoteAddress ?? '' });
    });
    this.#tcp = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        server.on('error', (e) => { this.#o.onNotice?.({ kind: 'error', url: this.url, message: e.message }); });
        const a = server.address();
        if (a === null || typeof a === 'string') { reject(new Error('no TCP address')); return; }
        resolve({ address: a.address, port: a.port });
      });
    });
  }

  #accept(sock: Socket): void {
    this.#sockets.add(sock);
    this.stats.connections++;
    const peer = sock.remoteAddress ?? '';
    const frames = new SyslogFrameReader(this.#max);
    const onFrame = (text: string, overlong: boolean): void => {
      this.stats.received++;
      this.#message(text, overlong, peer);
    };
    if (this.#paused) sock.pause();
    sock.setTimeout(0);
    sock.on('data', (chunk: Buffer) => { frames.push(chunk, onFrame); });
    sock.on('end', () => { frames.end(onFrame); });
    sock.on('error', () => { sock.destroy(); });
    sock.on('close', () => {
      this.#sockets.delete(sock);
      this.stats.connections--;
    });
  }

  #parserFor(peer: string): FirewallLineParser {
    let p = this.#parsers.get(peer);
    if (p) return p;
    if (this.#parsers.size >= (this.#o.maxSenders ?? 10_000)) {
      const oldest = this.#parsers.keys().next().value;
      if (oldest !== undefined) this.#parsers.delete(oldest);
    }
    p = new FirewallLineParser(this.#o.parserOptions);
    this.#parsers.set(peer, p);
    return p;
  }

  #message(text: string, overlong: boolean, peerRaw: string): void {
    const peer = canonicalIp(peerRaw) ?? peerRaw;
    const parser = this.#parserFor(peer);
    const n = ++this.#line;
    const r = overlong ? parser.overlong(text, n) : parser.parse(text, n);
    if (r.kind === 'packet') {
      const ev = r.event;
      if (this.#o.hostFrom !== 'message' || ev.host === 'unknown') ev.host = peer;
    }
    this.#builder.add(r, text, n);
    const size = this.#builder.size;
    if (size >= (this.#o.batchSize ?? 2000)) this.#kick();
    else if (!this.#timer) this.#timer = setTimeout(() => { this.#timer = null; this.#kick(); }, this.#o.flushIntervalMs ?? 1000);
    if (!this.#paused && size >= (this.#o.queueLimit ?? 100_000)) this.#pause(true);
  }

  #pause(on: boolean): void {
    this.#paused = on;
    for (const s of this.#sockets) {
      if (on) s.pause();
      else s.resume();
    }
  }

  /** Delivers what is queued, one batch at a time. */
  #kick(): void {
    if (this.#inFlight) return;
    this.#inFlight = (async () => {
      while (this.#builder.size > 0) {
        const b = this.#builder.take();
        await this.#o.onBatch(b);
        if (this.#paused && this.#builder.size < (this.#o.queueLimit ?? 100_000) / 2) this.#pause(false);
      }
      if (this.#droppedUnreported > 0) {
        this.#o.onNotice?.({ kind: 'dropped', url: this.url, count: this.#droppedUnreported });
        this.#droppedUnreported = 0;
      }
    })().catch((e: unknown) => {
      this.#o.onNotice?.({ kind: 'error', url: this.url, message: (e as Error).message });
    }).finally(() => { this.#inFlight = null; });
  }

  /** Delivers everything received so far. */
  async flush(): Promise<void> {
    if (this.#timer) { clearTimeout(this.#timer); this.#timer = null; }
    while (this.#inFlight || this.#builder.size > 0) {
      this.#kick();
      await this.#inFlight;
    }
  }

  /** Stops listening, closes connections and delivers what was received. */
  async stop(): Promise<void> {
    this.#ready = false;
    if (this.#udp) {
      const u = this.#udp;
      this.#udp = null;
      await new Promise<void>((r) => { u.close(() => { r(); }); });
    }
    if (this.#tcp) {
      const t = this.#tcp;
      this.#tcp = null;
      for (const s of this.#sockets) s.destroy();
      await new Promise<void>((r) => { t.close(() => { r(); }); });
    }
    await this.flush();
  }
}
