// FileFollower: reads a log file to its end and follows it across rotation (rename-and-create and copytruncate),
// resuming from a stored offset, and hands over parsed batches with the offset after each.
//
// Public interface (stable):
//   const f = new FileFollower({ path, parser, start?, fromEnd?, follow?, batchSize?, pollIntervalMs?, readChunk?,
//                                maxLineLength?, onBatch, onNotice? });
//   await f.start();      // opens (or waits for) the file and starts reading in the background
//   f.ready               // true while the file is open and being read (/readyz)
//   await f.idle();       // resolves the next time everything written so far has been delivered
//   await f.done;         // resolves when reading ends (follow: false at EOF, or after stop())
//   await f.stop();       // stops after the batch in flight has been delivered
// onBatch(batch) is awaited before more is read (backpressure); commit batch counts and batch.offset together.
//
// Guarantees: every complete line is delivered exactly once across restarts when the caller stores batch.offset
// with the batch's effects; a partial last line is held until its newline arrives (or, when the file is rotated
// away, taken as final). A file seen for the first time is read from its start unless fromEnd. On restart with a
// stored offset whose file was rotated meanwhile, the rotated file (found by device and inode beside it) is read to
// its end first. On copytruncate, lines written between our last read and the truncation are recovered from the
// copy when it can be found (same directory, same last line at our offset).
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { LogOffset } from '../domain/log-offset.ts';
import { BatchBuilder } from './batch.ts';
import type { LogBatch } from './batch.ts';
import { LineSplitter } from './line-splitter.ts';
import type { FirewallLineParser } from './parse-line.ts';

/** Something the follower wants the operator to know; none of these stop it. */
export type FollowNotice =
  | { kind: 'opened'; path: string; identity: string; position: number; resumed: boolean }
  | { kind: 'missing'; path: string }
  | { kind: 'rotated'; path: string; from: string; to: string }
  | { kind: 'truncated'; path: string; at: number; recoveredFrom?: string }
  | { kind: 'recovered'; path: string; from: string; bytes: number }
  | { kind: 'error'; path: string; message: string };

/** Options of a FileFollower. */
export interface FollowFileOptions {
  /** The file to read. */
  path: string;
  /** Parser (one per source: it keeps the previous line's time). */
  parser: FirewallLineParser;
  /** Stored offset of this path, if any. */
  start?: LogOffset | undefined;
  /** A file without a stored offset is read from its end (skip history). Default false. */
  fromEnd?: boolean;
  /** Keep following after EOF (default true); false reads to the end once (analyze, ingest). */
  follow?: boolean;
  /** Lines per batch (default 2000). */
  batchSize?: number;
  /** How often to check for growth and rotation besides fs.watch events (ms, default 1000). */
  pollIntervalMs?: number;
  /** Bytes per read (default 1 MiB). */
  readChunk?: number;
  /** Longest line in bytes (default the parser's maxLineLength). */
  maxLineLength?: number;
  /** Receives each batch; awaited before reading on. */
  onBatch: (batch: LogBatch) => void | Promise<void>;
  /** Receives notices (rotation, truncation, errors). */
  onNotice?: (n: FollowNotice) => void;
}

function identityOf(st: { dev: number | bigint; ino: number | bigint }): string {
  return `${String(st.dev)}:${String(st.ino)}`;
}

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Follows one file. */
export class FileFollower {
  readonly path: string;
  readonly #o: Required<Omit<FollowFileOptions, 'start' | 'onNotice'>> & Pick<FollowFileOptions, 'start' | 'onNotice'>;
  readonly #splitter: LineSplitter;
  readonly #builder: BatchBuilder;
  readonly #buf: Buffer;
  #fh: FileHandle | null = null;
  #identity = '';
  #pos = 0; // bytes read from the current file (the splitter may hold a partial line of them)
  #line = 0; // complete lines consumed from the current identity
  #lastLine = ''; // text of the last complete line (copytruncate recovery compares it)
  #stopped = false;
  #ready = false;
  #started = false;
  #missingSaid = false;
  #wake: (() => void) | null = null;
  #watcher: FSWatcher | null = null;
  #idleWaiters: (() => void)[] = [];
  #doneResolve!: () => void;
  /** Resolves when reading has ended (follow: false at EOF, or stop()). */
  readonly done: Promise<void>;

  constructor(opts: FollowFileOptions) {
    this.path = opts.path;
    this.#o = {
      path: opts.path,
      parser: opts.parser,
      start: opts.start,
      fromEnd: opts.fromEnd ?? false,
      follow: opts.follow ?? true,
      batchSize: opts.batchSize ?? 2000,
      pollIntervalMs: opts.pollIntervalMs ?? 1000,
      readChunk: opts.readChunk ?? 1 << 20,
      maxLineLength: opts.maxLineLength ?? opts.parser.options.maxLineLength,
      onBatch: opts.onBatch,
      onNotice: opts.onNotice,
    };
    this.#splitter = new LineSplitter(this.#o.maxLineLength);
    this.#builder = new BatchBuilder(opts.path);
    this.#buf = Buffer.allocUnsafe(this.#o.readChunk);
    this.done = new Promise((r) => { this.#doneResolve = r; });
  }

  /** True while the file is open and being read. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Current offset (after the last delivered line). */
  get offset(): LogOffset {
    return { source: this.path, identity: this.#identity, position: String(this.#pos - this.#splitter.pending), line: this.#line };
  }

  /** Starts reading in the background; resolves once the first open attempt is over. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.#openFirst();
    if (this.#o.follow) this.#watch();
    void this.#loop().catch((e: unknown) => {
      this.#notice({ kind: 'error', path: this.path, message: (e as Error).message });
    }).finally(() => {
      this.#ready = false;
      this.#watcher?.close();
      void this.#fh?.close().catch(() => undefined);
      this.#fh = null;
      for (const w of this.#idleWaiters.splice(0)) w();
      this.#doneResolve();
    });
  }

  /** Resolves the next time the follower has delivered everything written so far (or has stopped). */
  idle(): Promise<void> {
    return new Promise((r) => {
      this.#idleWaiters.push(r);
      this.#wake?.();
    });
  }

  /** Stops after the batch in flight; resolves when reading has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    if (!this.#started) this.#doneResolve();
    await this.done;
  }

  #notice(n: FollowNotice): void {
    this.#o.onNotice?.(n);
  }

  #watch(): void {
    try {
      // the directory, not the file: a rename-and-create replaces the file the watcher would be bound to
      this.#watcher = watch(dirname(this.path), { persistent: false }, (_ev, name) => {
        if (name === null || name === basename(this.path)) this.#wake?.();
      });
      this.#watcher.on('error', () => { this.#watcher?.close(); this.#watcher = null; });
    } catch {
      this.#watcher = null; // polling alone still works
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.#wake = null;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  /** Opens the file for the first time: resume from the stored offset, recover a rotation missed while down. */
  async #openFirst(): Promise<void> {
    let fh: FileHandle;
    try {
      fh = await open(this.path, 'r');
    } catch (e) {
      if (!isMissing(e)) this.#notice({ kind: 'error', path: this.path, message: (e as Error).message });
      else this.#sayMissing();
      // rotated away and not yet recreated while we were down: the old file still holds the unread lines
      if (this.#o.start) await this.#recoverRotated(this.#o.start);
      return;
    }
    const st = await fh.stat();
    const id = identityOf(st);
    const start = this.#o.start;
    let pos = 0;
    let line = 0;
    let resumed = false;
    if (start && start.identity === id) {
      const p = Number(start.position);
      if (Number.isSafeInteger(p) && p >= 0 && p <= st.size) {
        pos = p;
        line = start.line;
        resumed = true;
      } else {
        this.#notice({ kind: 'truncated', path: this.path, at: p });
      }
    } else if (start) {
      // rotated while we were down: finish the old file first, if it is still beside the new one
      await this.#recoverRotated(start);
    } else if (this.#o.fromEnd) {
      pos = await this.#afterLastNewline(fh, st.size);
    }
    this.#fh = fh;
    this.#identity = id;
    this.#pos = pos;
    this.#line = line;
    this.#ready = true;
    this.#missingSaid = false;
    this.#notice({ kind: 'opened', path: this.path, identity: id, position: pos, resumed });
  }

  /** Position after the last newline before `size` (fromEnd must not start inside a line). */
  async #afterLastNewline(fh: FileHandle, size: number): Promise<number> {
    const n = Math.min(size, this.#o.maxLineLength + 1);
    if (n === 0) return 0;
    const b = Buffer.alloc(n);
    await fh.read(b, 0, n, size - n);
    const k = b.lastIndexOf(10);
    return k < 0 ? size : size - n + k + 1;
  }

  #sayMissing(): void {
    if (!this.#missingSaid) this.#notice({ kind: 'missing', path: this.path });
    this.#missingSaid = true;
  }

  /** Candidate rotated copies: same directory, name = basename + suffix, not compressed. */
  async #siblings(): Promise<string[]> {
    const dir = dirname(this.path);
    const base = basename(this.path);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return [];
    }
    return names
      .filter((n) => n !== base && n.startsWith(base) && !/\.(gz|bz2|xz|zst|lz4|Z)$/.test(n))
      .map((n) => join(dir, n));
  }

  async #recoverRotated(start: LogOffset): Promise<void> {
    for (const p of await this.#siblings()) {
      let st;
      try { st = await stat(p); } catch { continue; }
      if (identityOf(st) !== start.identity) continue;
      const from = Number(start.position);
      if (!Number.isSafeInteger(from) || from < 0 || from > st.size) return;
      const bytes = await this.#drainOther(p, from, start.line, start.identity);
      this.#notice({ kind: 'recovered', path: this.path, from: p, bytes });
      return;
    }
  }

  /** Reads another file (a rotated copy) from `from` to its end as part of this source; returns bytes read. */
  async #drainOther(p: string, from: number, line: number, identity: string): Promise<number> {
    const fh = await open(p, 'r');
    try {
      this.#identity = identity;
      this.#line = line;
      this.#pos = from;
      this.#splitter.reset();
      let pos = from;
      for (;;) {
        const { bytesRead } = await fh.read(this.#buf, 0, this.#buf.length, pos);
        if (bytesRead === 0) break;
        this.#pos = pos + bytesRead;
        await this.#consume(this.#buf.subarray(0, bytesRead), pos);
        pos += bytesRead;
      }
      this.#finalPartial();
      await this.#flush();
      return pos - from;
    } finally {
      await fh.close();
    }
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      if (!this.#fh) {
        if (!this.#o.follow) return;
        await this.#sleep(this.#o.pollIntervalMs);
        if (this.#halted()) return;
        await this.#reopen(true);
        continue;
      }
      const { bytesRead } = await this.#fh.read(this.#buf, 0, this.#buf.length, this.#pos);
      if (bytesRead > 0) {
        const at = this.#pos;
        this.#pos += bytesRead;
        await this.#consume(this.#buf.subarray(0, bytesRead), at);
        continue;
      }
      // at the end of what is written: deliver, then look for rotation or truncation
      if (!this.#o.follow) this.#finalPartial(); // reading once: an unterminated last line is still a line
      await this.#flush();
      if (!this.#o.follow) {
        this.#signalIdle();
        return;
      }
      if (await this.#checkRotation()) continue;
      this.#signalIdle();
      await this.#sleep(this.#o.pollIntervalMs);
    }
    await this.#flush();
  }

  /** stop() may have been called during an await (a method call, so the compiler does not narrow it away). */
  #halted(): boolean {
    return this.#stopped;
  }

  #signalIdle(): void {
    for (const w of this.#idleWaiters.splice(0)) w();
  }

  /** True when the file changed identity or size under us and reading should go on at once. */
  async #checkRotation(): Promise<boolean> {
    const fh = this.#fh!;
    let cur;
    try {
      cur = await stat(this.path);
    } catch (e) {
      if (isMissing(e)) return false; // renamed away, not yet recreated: keep the old file open for late writes
      throw e;
    }
    const id = identityOf(cur);
    if (id !== this.#identity) {
      // rename-and-create: the old file may still have received writes after our last read
      const mine = await fh.stat();
      if (mine.size > this.#pos) return true;
      this.#finalPartial();
      await this.#flush();
      const from = this.#identity;
      await fh.close();
      this.#fh = null;
      await this.#reopen(false);
      this.#notice({ kind: 'rotated', path: this.path, from, to: this.#identity });
      return true;
    }
    const mine = await fh.stat();
    if (mine.size < this.#pos) {
      // copytruncate: recover what was written between our last read and the truncation from the copy
      const at = this.#pos - this.#splitter.pending;
      const copy = await this.#findCopy(at);
      let recoveredFrom: string | undefined;
      if (copy) {
        await this.#drainOther(copy, at, this.#line, this.#identity);
        recoveredFrom = copy;
      }
      this.#splitter.reset();
      this.#pos = 0;
      this.#line = 0;
      this.#lastLine = '';
      // store "start of the truncated file" at once, so a crash now does not resume past its new end later
      await this.#o.onBatch(this.#builder.take(this.offset));
      const n: FollowNotice = { kind: 'truncated', path: this.path, at };
      if (recoveredFrom) n.recoveredFrom = recoveredFrom;
      this.#notice(n);
      return true;
    }
    return false;
  }

  /** A copy of this file (copytruncate) that holds our last line right before byte `at` and more after it. */
  async #findCopy(at: number): Promise<string | null> {
    if (this.#lastLine === '' || at === 0) return null;
    const tail = Buffer.from(`${this.#lastLine}\n`, 'utf8');
    if (tail.length > at) return null;
    for (const p of await this.#siblings()) {
      let st;
      try { st = await stat(p); } catch { continue; }
      if (st.size <= at || identityOf(st) === this.#identity) continue;
      const fh = await open(p, 'r');
      try {
        const b = Buffer.alloc(tail.length);
        await fh.read(b, 0, tail.length, at - tail.length);
        if (b.equals(tail)) return p;
      } finally {
        await fh.close();
      }
    }
    return null;
  }

  async #reopen(first: boolean): Promise<void> {
    try {
      this.#fh = await open(this.path, 'r');
    } catch (e) {
      if (isMissing(e)) { this.#sayMissing(); this.#ready = false; return; }
      throw e;
    }
    const st = await this.#fh.stat();
    const id = identityOf(st);
    // a file that appears after start-up is new: read it from its start (fromEnd applies only to history at start)
    this.#identity = id;
    this.#pos = 0;
    this.#line = 0;
    this.#lastLine = '';
    this.#splitter.reset();
    this.#ready = true;
    if (first) this.#notice({ kind: 'opened', path: this.path, identity: id, position: 0, resumed: false });
    this.#missingSaid = false;
  }

  /** Parses the complete lines of `chunk` (at absolute `at`), delivering a batch every batchSize lines. */
  async #consume(chunk: Buffer, at: number): Promise<void> {
    const sp = this.#splitter;
    const parser = this.#o.parser;
    const b = this.#builder;
    const size = this.#o.batchSize;
    sp.feed(chunk, at);
    while (sp.next()) {
      const n = ++this.#line;
      const text = sp.text;
      b.add(sp.overlong ? parser.overlong(text, n) : parser.parse(text, n), text, n);
      this.#lastLine = text;
      if (b.size >= size) await this.#deliver(sp.endPos);
    }
  }

  /** The held partial line as a last line (the file will not grow any more). */
  #finalPartial(): void {
    const sp = this.#splitter;
    if (!sp.flushPartial()) return;
    const n = ++this.#line;
    const b = this.#builder;
    const parser = this.#o.parser;
    b.add(sp.overlong ? parser.overlong(sp.text, n) : parser.parse(sp.text, n), sp.text, n);
    this.#lastLine = sp.text;
  }

  async #deliver(endPos: number): Promise<void> {
    const batch = this.#builder.take({ source: this.path, identity: this.#identity, position: String(endPos), line: this.#line });
    await this.#o.onBatch(batch);
  }

  async #flush(): Promise<void> {
    if (this.#builder.size === 0) return;
    const batch = this.#builder.take(this.offset);
    await this.#o.onBatch(batch);
  }
}
