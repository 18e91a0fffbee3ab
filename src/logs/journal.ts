// JournalFollower: kernel messages from journald via `journalctl -f -o json _TRANSPORT=kernel`, resumed by cursor.
//
// Public interface (stable):
//   const j = new JournalFollower({ parser, start?, fromEnd?, follow?, journalctl?, extraArgs?, batchSize?,
//                                   flushIntervalMs?, restartDelayMs?, onBatch, onNotice? });
//   await j.start(); j.ready; await j.idle(); await j.stop(); await j.done;
// Batches carry offset {source:'journal', identity:'journal', position: <__CURSOR of the last entry>, line}; store it
// with the batch and pass it back as `start` to resume after the last committed entry (journalctl --after-cursor).
//
// The kernel transport is matched directly rather than with -k, which would limit reading to the current boot and
// lose entries logged after the stored cursor but before a reboot. journalctl runs with an argv array (no shell).
// When it exits unexpectedly it is restarted from the last cursor after restartDelayMs.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { LogOffset } from '../domain/log-offset.ts';
import { BatchBuilder } from './batch.ts';
import type { LogBatch } from './batch.ts';
import { LineSplitter } from './line-splitter.ts';
import type { FirewallLineParser } from './parse-line.ts';

/** What the journal follower reports besides batches. */
export type JournalNotice =
  | { kind: 'started'; argv: readonly string[] }
  | { kind: 'exited'; code: number | null; signal: string | null; stderr: string }
  | { kind: 'error'; message: string };

/** Options of a JournalFollower. */
export interface JournalOptions {
  /** Parser (its parseJournalEntry reads MESSAGE, __REALTIME_TIMESTAMP and _HOSTNAME). */
  parser: FirewallLineParser;
  /** Stored offset (cursor) to resume after. */
  start?: LogOffset | undefined;
  /** Without a stored cursor, start at the end of the journal instead of its start. */
  fromEnd?: boolean;
  /** Keep following (default true); false reads what is there and ends. */
  follow?: boolean;
  /** journalctl binary (default "journalctl", looked up in PATH). */
  journalctl?: string;
  /** Extra journalctl arguments, e.g. ["--directory", dir] or ["--file", f] for a journal elsewhere. */
  extraArgs?: readonly string[];
  /** Entries per batch (default 2000). */
  batchSize?: number;
  /** A partial batch is delivered after this long (ms, default 1000). */
  flushIntervalMs?: number;
  /** Wait before restarting an exited journalctl (ms, default 5000). */
  restartDelayMs?: number;
  /** Longest line accepted from journalctl (bytes, default 4× the parser's maxLineLength: JSON escaping grows it). */
  maxLineLength?: number;
  /** Receives batches; awaited (journalctl's output is paused meanwhile). */
  onBatch: (batch: LogBatch) => void | Promise<void>;
  /** Receives notices. */
  onNotice?: (n: JournalNotice) => void;
}

/** The cursor text of a JSON line, without parsing all of it (used for entries that are skipped cheaply). */
function cursorOf(line: string): string | null {
  const k = line.indexOf('"__CURSOR":"');
  if (k < 0) return null;
  const e = line.indexOf('"', k + 12);
  return e < 0 ? null : line.slice(k + 12, e);
}

/** Follows journald's kernel messages. */
export class JournalFollower {
  readonly #o: JournalOptions;
  readonly #builder = new BatchBuilder('journal');
  readonly #splitter: LineSplitter;
  #child: ChildProcess | null = null;
  #cursor: string | null;
  #delivered: string | null;
  #line: number;
  #stopped = false;
  #ready = false;
  #timer: NodeJS.Timeout | null = null;
  #chain: Promise<void> = Promise.resolve();
  #idle: (() => void)[] = [];
  #doneResolve!: () => void;
  /** Resolves when following has ended. */
  readonly done: Promise<void>;

  constructor(opts: JournalOptions) {
    this.#o = opts;
    this.#cursor = opts.start?.position ?? null;
    this.#delivered = this.#cursor;
    this.#line = opts.start?.line ?? 0;
    this.#splitter = new LineSplitter(opts.maxLineLength ?? opts.parser.options.maxLineLength * 4);
    this.done = new Promise((r) => { this.#doneResolve = r; });
  }

  /** True while journalctl runs. */
  get ready(): boolean {
    return this.#ready;
  }

  /** The argv journalctl gets for the current position. */
  argv(): string[] {
    const a = ['-o', 'json', '--no-pager', '--output-fields=MESSAGE,_HOSTNAME', ...(this.#o.extraArgs ?? [])];
    if (this.#o.follow ?? true) a.push('-f');
    if (this.#cursor !== null) a.push(`--after-cursor=${this.#cursor}`, '--no-tail');
    else if (this.#o.fromEnd) a.push('-n', '0');
    else a.push('--no-tail');
    a.push('_TRANSPORT=kernel');
    return a;
  }

  /** Starts journalctl. */
  start(): Promise<void> {
    this.#spawn();
    return Promise.resolve();
  }

  /** Resolves once everything journalctl has printed so far has been delivered. */
  async idle(): Promise<void> {
    await new Promise<void>((r) => { this.#idle.push(r); setTimeout(() => { this.#scheduleFlush(0); }, 50); });
  }

  /** Stops journalctl after delivering what was read. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#child) this.#child.kill('SIGTERM');
    else this.#doneResolve();
    await this.done;
  }

  #spawn(): void {
    const argv = this.argv();
    const child = spawn(this.#o.journalctl ?? 'journalctl', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#splitter.reset();
    let stderr = '';
    child.on('spawn', () => {
      this.#ready = true;
      this.#o.onNotice?.({ kind: 'started', argv });
    });
    child.on('error', (e) => {
      this.#o.onNotice?.({ kind: 'error', message: e.message });
    });
    child.stderr.on('data', (d: Buffer) => { if (stderr.length < 4096) stderr += d.toString(); });
    child.stdout.on('data', (chunk: Buffer) => {
      child.stdout.pause();
      this.#chain = this.#chain.then(() => this.#consume(chunk)).then(() => { child.stdout.resume(); }, (e: unknown) => {
        this.#o.onNotice?.({ kind: 'error', message: (e as Error).message });
        child.kill('SIGTERM');
      });
    });
    child.on('close', (code, signal) => {
      this.#ready = false;
      this.#child = null;
      this.#chain = this.#chain.then(() => this.#flush()).then(() => {
        const expected = this.#stopped || (this.#o.follow === false && code === 0);
        if (!expected) this.#o.onNotice?.({ kind: 'exited', code, signal, stderr: stderr.trim() });
        if (this.#stopped || this.#o.follow === false) {
          this.#wakeIdle();
          this.#doneResolve();
          return;
        }
        setTimeout(() => { if (!this.#stopped) this.#spawn(); else this.#doneResolve(); }, this.#o.restartDelayMs ?? 5000);
      });
    });
  }

  async #consume(chunk: Buffer): Promise<void> {
    const sp = this.#splitter;
    sp.feed(chunk, 0);
    const parser = this.#o.parser;
    const b = this.#builder;
    const size = this.#o.batchSize ?? 2000;
    while (sp.next()) {
      const text = sp.text;
      const n = ++this.#line;
      if (sp.overlong) {
        b.add(parser.overlong(text, n), text, n);
        continue;
      }
      let entry: unknown = null;
      try {
        entry = JSON.parse(text);
      } catch {
        // a line journalctl printed that is not JSON: parse() classifies it (bad-json when it looks like a firewall line)
        b.add(parser.parse(text, n), text, n);
        continue;
      }
      const cursor = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>).__CURSOR : undefined;
      if (typeof cursor === 'string') this.#cursor = cursor;
      else {
        const c = cursorOf(text);
        if (c !== null) this.#cursor = c;
      }
      // the kernel message, not the JSON around it, is the line FW_MSG_SEARCH is matched against
      const message = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>).MESSAGE : undefined;
      b.add(parser.parseJournalEntry(entry, n), typeof message === 'string' ? message : text, n);
      if (b.size >= size) await this.#flush();
    }
    this.#scheduleFlush(this.#o.flushIntervalMs ?? 1000);
  }

  #scheduleFlush(ms: number): void {
    if (this.#timer) {
      if (ms > 0) return;
      clearTimeout(this.#timer);
    }
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#chain = this.#chain.then(() => this.#flush()).then(() => { this.#wakeIdle(); });
    }, ms);
  }

  #wakeIdle(): void {
    for (const w of this.#idle.splice(0)) w();
  }

  async #flush(): Promise<void> {
    if (this.#builder.size === 0 || this.#cursor === null) {
      if (this.#builder.size > 0) await this.#o.onBatch(this.#builder.take());
      return;
    }
    const offset: LogOffset = { source: 'journal', identity: 'journal', position: this.#cursor, line: this.#line };
    this.#delivered = this.#cursor;
    await this.#o.onBatch(this.#builder.take(offset));
  }

  /** Cursor of the last delivered entry. */
  get cursor(): string | null {
    return this.#delivered;
  }
}
