// LogSources: every configured log source (files, journald, syslog listeners) opened from the `logs` settings and the
// stored offsets, delivering batches to one callback — what `follow`, `serve` and `ingest` wire up.
//
// Public interface (stable):
//   parserOptionsFromSettings(config.logs): ParserOptions
//   const s = new LogSources({ settings: config.logs, offsets, onBatch, onNotice?, follow? });
//   await s.start(); s.ready; s.status(); s.listening(); await s.done(); await s.stop();
// Each source awaits onBatch before reading on; different sources may call it concurrently (commit each batch —
// counts and batch.offset — in one synchronous transaction and this is safe).
import type { Config } from '../config/schema.ts';
import type { LogOffset } from '../domain/log-offset.ts';
import type { LogBatch } from './batch.ts';
import { FileFollower } from './follow-file.ts';
import type { FollowNotice } from './follow-file.ts';
import { JournalFollower } from './journal.ts';
import type { JournalNotice } from './journal.ts';
import { FirewallLineParser } from './parse-line.ts';
import type { ParserOptions } from './parse-types.ts';
import { SyslogReceiver } from './syslog-receiver.ts';
import type { ReceiverNotice } from './syslog-receiver.ts';

/** The `logs` settings section. */
export type LogSettings = Config['logs'];

/** Parser options from the settings (the time zone '' means the machine's). */
export function parserOptionsFromSettings(s: LogSettings, psadCompat = false): ParserOptions {
  const o: ParserOptions = { maxLineLength: s.maxLineLength, futureToleranceMs: s.futureTolerance * 1000, sidTag: s.sidTag, psadCompat };
  if (s.timezone !== '') o.timezone = s.timezone;
  return o;
}

/** A notice from any source, with the source's name. */
export interface SourceNotice {
  /** File path, 'journal' or 'syslog:<url>'. */
  source: string;
  /** What happened. */
  notice: FollowNotice | JournalNotice | ReceiverNotice;
}

/** Options of LogSources. */
export interface LogSourcesOptions {
  /** The logs settings (files, journal, syslogListen, limits). */
  settings: LogSettings;
  /** Stored offsets by source name. */
  offsets: ReadonlyMap<string, LogOffset>;
  /** psad compatibility for the parsers. */
  psadCompat?: boolean;
  /** Keep following (default true); false reads files and the journal once (ingest). Syslog listeners need true. */
  follow?: boolean;
  /** Receives every batch. */
  onBatch: (batch: LogBatch) => void | Promise<void>;
  /** Receives notices. */
  onNotice?: (n: SourceNotice) => void;
}

/** One running source. */
interface Running {
  name: string;
  bound?: { address: string; port: number };
  ready: () => boolean;
  stop: () => Promise<void>;
  done: Promise<void>;
}

/** All configured sources. */
export class LogSources {
  readonly #o: LogSourcesOptions;
  readonly #running: Running[] = [];

  constructor(o: LogSourcesOptions) {
    this.#o = o;
  }

  /** Opens every source; rejects (after stopping the ones opened) when a syslog listener cannot bind. */
  async start(): Promise<void> {
    const s = this.#o.settings;
    const popts = parserOptionsFromSettings(s, this.#o.psadCompat);
    const follow = this.#o.follow ?? true;
    const notice = (source: string) => (n: FollowNotice | JournalNotice | ReceiverNotice) => { this.#o.onNotice?.({ source, notice: n }); };
    try {
      for (const path of s.files) {
        const f = new FileFollower({
          path, parser: new FirewallLineParser(popts), start: this.#o.offsets.get(path), fromEnd: s.fromEnd, follow,
          batchSize: s.batchSize, pollIntervalMs: s.pollInterval * 1000, readChunk: s.readChunk, onBatch: this.#o.onBatch,
          onNotice: notice(path),
        });
        await f.start();
        this.#running.push({ name: path, ready: () => f.ready, stop: () => f.stop(), done: f.done });
      }
      if (s.journal) {
        const j = new JournalFollower({
          parser: new FirewallLineParser(popts), start: this.#o.offsets.get('journal'), fromEnd: s.fromEnd, follow,
          journalctl: s.journalctl, batchSize: s.batchSize, flushIntervalMs: s.flushInterval * 1000, onBatch: this.#o.onBatch,
          onNotice: notice('journal'),
        });
        await j.start();
        this.#running.push({ name: 'journal', ready: () => j.ready, stop: () => j.stop(), done: j.done });
      }
      for (const url of follow ? s.syslogListen : []) {
        const r = new SyslogReceiver({
          listen: url, parserOptions: popts, hostFrom: s.syslogHost === 'message' ? 'message' : 'peer',
          maxConnections: s.syslogMaxConnections, maxMessage: s.maxLineLength, queueLimit: s.syslogQueue, batchSize: s.batchSize,
          flushIntervalMs: s.flushInterval * 1000, onBatch: this.#o.onBatch, onNotice: notice(`syslog:${url}`),
        });
        const bound = await r.start();
        let resolveDone!: () => void;
        const done = new Promise<void>((res) => { resolveDone = res; });
        this.#running.push({ name: r.source, bound, ready: () => r.ready, stop: async () => { await r.stop(); resolveDone(); }, done });
      }
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** True when every source is open and being read (/readyz). */
  get ready(): boolean {
    return this.#running.length > 0 && this.#running.every((r) => r.ready());
  }

  /** Each source and whether it is ready. */
  status(): { source: string; ready: boolean }[] {
    return this.#running.map((r) => ({ source: r.name, ready: r.ready() }));
  }

  /** Bound address and port of each syslog listener (port 0 in the URL picks a free one). */
  listening(): { source: string; address: string; port: number }[] {
    return this.#running.filter((r) => r.bound).map((r) => ({ source: r.name, ...r.bound! }));
  }

  /** Resolves when every source has ended (follow: false reads to the end; otherwise after stop()). */
  async done(): Promise<void> {
    await Promise.all(this.#running.map((r) => r.done));
  }

  /** Stops every source after its batch in flight. */
  async stop(): Promise<void> {
    await Promise.all(this.#running.map((r) => r.stop()));
  }
}
