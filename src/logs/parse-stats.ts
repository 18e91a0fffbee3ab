// ParseStats: counts of what a stream of lines gave (packets, skips, errors by reason with samples, loss notices).
import type { LossNotice } from '../domain/events.ts';
import type { LogBatch } from './batch.ts';
import { ERROR_REASONS } from './parse-types.ts';
import type { ErrorReason, ParseResult } from './parse-types.ts';

/** One kept example of an error. */
export interface ErrorSample {
  /** 1-based line number in its source. */
  line: number;
  /** The line's text, cut to `sampleChars` (attacker-controlled: escape before display). */
  text: string;
  /** The parser's detail (field name, value). */
  detail?: string;
  /** Source name (file path, 'journal', 'syslog:…') when the collector was told. */
  source?: string;
}

/** Plain-data summary, the shape reports and `analyze --json` "errors" use. */
export interface ParseStatsSummary {
  /** Lines read (every result counted once). */
  lines: number;
  /** Complete packets. */
  packets: number;
  /** Lines that were not firewall lines. */
  skipped: number;
  /** Firewall lines that could not be read, in total. */
  errors: number;
  /** Errors per reason (only reasons that occurred). */
  byReason: Partial<Record<ErrorReason, number>>;
  /** A few examples per reason, earliest first. */
  samples: Partial<Record<ErrorReason, ErrorSample[]>>;
  /** Rate-limit notices seen. */
  lossNotices: number;
  /** Sum of the messages the notices say were dropped or folded, per kind. */
  possiblyLost: Partial<Record<LossNotice['kind'], number>>;
}

/** Collects results; merge() combines per-file collectors. */
export class ParseStats {
  lines = 0;
  packets = 0;
  skipped = 0;
  errors = 0;
  lossNotices = 0;
  readonly byReason = new Map<ErrorReason, number>();
  readonly samples = new Map<ErrorReason, ErrorSample[]>();
  readonly possiblyLost = new Map<LossNotice['kind'], number>();
  readonly #perReason: number;
  readonly #chars: number;

  /** `samplesPerReason` examples are kept per reason (0 keeps none); each cut to `sampleChars`. */
  constructor(samplesPerReason = 3, sampleChars = 300) {
    this.#perReason = samplesPerReason;
    this.#chars = sampleChars;
  }

  /** Counts one result; `text` and `lineNo` are only used for error samples. */
  add(r: ParseResult, text = '', lineNo = 0, source?: string): void {
    this.lines++;
    switch (r.kind) {
      case 'packet': this.packets++; return;
      case 'skip': this.skipped++; return;
      case 'loss':
        this.lossNotices++;
        this.possiblyLost.set(r.notice.kind, (this.possiblyLost.get(r.notice.kind) ?? 0) + r.notice.count);
        return;
      case 'error': {
        this.errors++;
        this.byReason.set(r.reason, (this.byReason.get(r.reason) ?? 0) + 1);
        if (this.#perReason === 0) return;
        let list = this.samples.get(r.reason);
        if (!list) { list = []; this.samples.set(r.reason, list); }
        if (list.length < this.#perReason) {
          const sample: ErrorSample = { line: lineNo, text: text.length > this.#chars ? `${text.slice(0, this.#chars)}…` : text };
          if (r.detail !== undefined) sample.detail = r.detail;
          if (source !== undefined) sample.source = source;
          list.push(sample);
        }
        return;
      }
    }
  }

  /** Counts a whole batch (its errors become samples with the batch's source). */
  addBatch(b: LogBatch): void {
    this.lines += b.lines;
    this.packets += b.packets.length;
    this.skipped += b.skipped;
    for (const n of b.losses) this.add({ kind: 'loss', notice: n });
    this.lines -= b.losses.length;
    for (const e of b.errors) {
      const r = e.detail === undefined ? { kind: 'error' as const, reason: e.reason } : { kind: 'error' as const, reason: e.reason, detail: e.detail };
      this.add(r, e.text, e.line, b.source);
    }
    this.lines -= b.errors.length;
  }

  /** Adds another collector's counts (samples up to the per-reason limit). */
  merge(o: ParseStats): void {
    this.lines += o.lines;
    this.packets += o.packets;
    this.skipped += o.skipped;
    this.errors += o.errors;
    this.lossNotices += o.lossNotices;
    for (const [k, v] of o.byReason) this.byReason.set(k, (this.byReason.get(k) ?? 0) + v);
    for (const [k, v] of o.possiblyLost) this.possiblyLost.set(k, (this.possiblyLost.get(k) ?? 0) + v);
    for (const [k, list] of o.samples) {
      let mine = this.samples.get(k);
      if (!mine) { mine = []; this.samples.set(k, mine); }
      for (const s of list) if (mine.length < this.#perReason) mine.push(s);
    }
  }

  /** Plain data, reasons in report order. */
  summary(): ParseStatsSummary {
    const byReason: Partial<Record<ErrorReason, number>> = {};
    const samples: Partial<Record<ErrorReason, ErrorSample[]>> = {};
    for (const r of ERROR_REASONS) {
      const n = this.byReason.get(r);
      if (n) byReason[r] = n;
      const s = this.samples.get(r);
      if (s && s.length) samples[r] = s.map((x) => ({ ...x }));
    }
    const possiblyLost: Partial<Record<LossNotice['kind'], number>> = {};
    for (const [k, v] of this.possiblyLost) possiblyLost[k] = v;
    return {
      lines: this.lines, packets: this.packets, skipped: this.skipped, errors: this.errors, byReason, samples,
      lossNotices: this.lossNotices, possiblyLost,
    };
  }

  /** JSON form = summary(). */
  toJSON(): ParseStatsSummary {
    return this.summary();
  }
}
