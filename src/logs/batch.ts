// LogBatch: what a log source hands over at a time — parsed packets, errors, loss notices and the offset after them.
//
// The consumer commits the batch's counts and `offset` in one transaction; a restart resumes after the offset, so a
// crash between batches neither loses nor double-counts a line.
import type { LossNotice, PacketEvent } from '../domain/events.ts';
import type { LogOffset } from '../domain/log-offset.ts';
import type { ErrorReason, ParseResult } from './parse-types.ts';

/** A firewall line that could not be read, with enough to report it. */
export interface BatchError {
  /** Why. */
  reason: ErrorReason;
  /** Parser detail (field name or value), when any. */
  detail?: string;
  /** 1-based line number in its source. */
  line: number;
  /** The line, cut to a few hundred characters (attacker-controlled text). */
  text: string;
}

/** One batch from one source. */
export interface LogBatch {
  /** Source name: file path, 'journal' or 'syslog:<url>'. */
  source: string;
  /** Complete packets, in line order. */
  packets: PacketEvent[];
  /** The line of each packet (same index): psad matches FW_MSG_SEARCH against the whole line, not only the prefix. */
  texts: string[];
  /** Rate-limit notices. */
  losses: LossNotice[];
  /** Firewall lines that could not be read. */
  errors: BatchError[];
  /** Lines in the batch (packets + errors + losses + skipped). */
  lines: number;
  /** Non-firewall lines. */
  skipped: number;
  /** Position after the batch (files, journal); absent for streams that cannot be replayed (remote syslog). */
  offset?: LogOffset;
}

/** Accumulates parse results into batches. */
export class BatchBuilder {
  readonly source: string;
  readonly #chars: number;
  #packets: PacketEvent[] = [];
  #texts: string[] = [];
  #losses: LossNotice[] = [];
  #errors: BatchError[] = [];
  #lines = 0;
  #skipped = 0;

  /** `errorChars`: how much of an erroneous line to keep. */
  constructor(source: string, errorChars = 300) {
    this.source = source;
    this.#chars = errorChars;
  }

  /** Lines added since the last take(). */
  get size(): number {
    return this.#lines;
  }

  /** Adds one line's result (`text` is kept for packets, for the FW_MSG_SEARCH filter, and cut for errors). */
  add(r: ParseResult, text: string, line: number): void {
    this.#lines++;
    switch (r.kind) {
      case 'packet': this.#packets.push(r.event); this.#texts.push(text); break;
      case 'skip': this.#skipped++; break;
      case 'loss': this.#losses.push(r.notice); break;
      case 'error': {
        const e: BatchError = { reason: r.reason, line, text: text.length > this.#chars ? `${text.slice(0, this.#chars)}…` : text };
        if (r.detail !== undefined) e.detail = r.detail;
        this.#errors.push(e);
        break;
      }
    }
  }

  /** The batch so far (with the offset after it) and a fresh start. */
  take(offset?: LogOffset): LogBatch {
    const b: LogBatch = {
      source: this.source, packets: this.#packets, texts: this.#texts, losses: this.#losses, errors: this.#errors, lines: this.#lines,
      skipped: this.#skipped,
    };
    if (offset) b.offset = offset;
    this.#packets = [];
    this.#texts = [];
    this.#losses = [];
    this.#errors = [];
    this.#lines = 0;
    this.#skipped = 0;
    return b;
  }
}
