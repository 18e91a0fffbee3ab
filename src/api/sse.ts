// Server-sent events fan-out: one poller reads the change feed for every stream; ids are feed cursors, so Last-Event-ID resumes.
import type { ServerResponse } from 'node:http';
import type { Clock } from '../domain/clock.ts';
import type { ChangeFeed, FeedEntry, SourceQueries } from '../domain/queries.ts';
import { summarize } from '../domain/summary.ts';
import { encodeCursor } from './cursor.ts';
import { eventHeader } from './encoders/event.ts';
import type { ResolvedEntry } from './encoders/event.ts';

/** SSE settings (seconds, from the api config section). */
export interface SseSettings {
  sseHeartbeat: number;
  ssePollInterval: number;
  sseMaxClients: number;
}

/** One connected stream. */
interface Client {
  res: ServerResponse;
  /** Feed sequence delivered up to. */
  seq: number;
  full: boolean;
  minLevel: number;
}

/** Events read per client per tick; a client further behind catches up over the next ticks. */
const PAGE = 200;
/** A client whose socket buffer holds more than this is too slow and is closed (it resumes with Last-Event-ID). */
const MAX_BUFFERED = 4 * 1024 * 1024;

/** The hub; `start()` runs its timers, `close()` ends every stream (server shutdown). */
export class SseHub {
  readonly #feed: ChangeFeed;
  readonly #sources: SourceQueries;
  readonly #settings: SseSettings;
  readonly #epoch: string;
  readonly #clients = new Set<Client>();
  #poll: NodeJS.Timeout | undefined;
  #beat: NodeJS.Timeout | undefined;
  #sent = 0;

  constructor(feed: ChangeFeed, sources: SourceQueries, settings: SseSettings, epoch: string, _clock: Clock) {
    this.#feed = feed;
    this.#sources = sources;
    this.#settings = settings;
    this.#epoch = epoch;
  }

  /** Streams connected now. */
  get size(): number {
    return this.#clients.size;
  }

  /** Events written since start. */
  get sent(): number {
    return this.#sent;
  }

  /** Whether another stream may connect. */
  hasRoom(): boolean {
    return this.#clients.size < this.#settings.sseMaxClients;
  }

  /** Starts polling and heartbeats. */
  start(): void {
    if (this.#poll) return;
    this.#poll = setInterval(() => { this.tick(); }, Math.max(50, this.#settings.ssePollInterval * 1000));
    this.#beat = setInterval(() => { this.#heartbeat(); }, this.#settings.sseHeartbeat * 1000);
    this.#poll.unref();
    this.#beat.unref();
  }

  /** Attaches a response whose headers were already written; events after `seq` follow. */
  add(res: ServerResponse, seq: number, opts: { full: boolean; minLevel: number }): void {
    const c: Client = { res, seq, full: opts.full, minLevel: opts.minLevel };
    this.#clients.add(c);
    res.on('close', () => { this.#clients.delete(c); });
    // a first comment flushes the headers through proxies; retry tells browsers how soon to reconnect
    this.#write(c, `retry: 3000\n: connected at sequence ${seq}\n\n`);
    this.tick();
  }

  /** Delivers pending changes to every client (the poll timer calls it; tests may too). */
  tick(): void {
    if (this.#clients.size === 0) return;
    const latest = this.#feed.position().latestSeq;
    const cache = new Map<string, ResolvedEntry>();
    for (const c of this.#clients) {
      if (c.seq >= latest) continue;
      const page = this.#feed.read(c.seq, PAGE);
      let out = '';
      for (const e of page.entries) {
        const r = this.#resolve(e, cache);
        if (r.profile && r.profile.dangerLevel < c.minLevel) continue;
        out += this.#frame(r, c.full);
        this.#sent++;
      }
      c.seq = page.lastSeq;
      // a cursor-only comment keeps the client's position when every event was filtered out
      out += out.length === 0 ? `: skipped to ${c.seq}\n\n` : '';
      this.#write(c, out);
    }
  }

  /** Ends every stream. */
  close(): void {
    if (this.#poll) clearInterval(this.#poll);
    if (this.#beat) clearInterval(this.#beat);
    this.#poll = undefined;
    this.#beat = undefined;
    for (const c of this.#clients) c.res.end();
    this.#clients.clear();
  }

  #resolve(e: FeedEntry, cache: Map<string, ResolvedEntry>): ResolvedEntry {
    const key = `${e.ip}\u0000${e.seq}`;
    let r = cache.get(key);
    if (!r) {
      const vp = e.deleted ? null : this.#sources.get(e.ip);
      r = { entry: e, profile: vp?.profile ?? null, version: vp?.version ?? 0 };
      cache.set(key, r);
    }
    return r;
  }

  #frame(r: ResolvedEntry, full: boolean): string {
    const event = eventHeader(r);
    const data: Record<string, unknown> = { event, ip: r.entry.ip, version: r.version };
    if (full) data.profile = r.profile;
    else data.summary = r.profile ? summarize(r.profile, r.version) : null;
    const id = encodeCursor({ k: 'f', e: this.#epoch, s: r.entry.seq });
    // JSON.stringify never emits raw line breaks, so one data: line carries the whole event
    return `id: ${id}\nevent: ${r.profile ? 'profile' : 'deleted'}\ndata: ${JSON.stringify(data)}\n\n`;
  }

  #heartbeat(): void {
    for (const c of this.#clients) this.#write(c, `: heartbeat ${new Date().toISOString()}\n\n`);
  }

  #write(c: Client, text: string): void {
    if (text.length === 0 || c.res.writableEnded) return;
    if (c.res.writableLength > MAX_BUFFERED) {
      c.res.end();
      this.#clients.delete(c);
      return;
    }
    c.res.write(text);
  }
}
