// The analysis run behind `probewatch analyze`: lines → parser → detector → source state, over files or stdin, with
// progress; used by the command, the golden tests and the benchmark.
import type { Config } from '../config/schema.ts';
import type { SourceDirectory } from '../domain/scan-state.ts';
import { PREFETCH_MAX } from '../domain/scan-table.ts';
import { Detector } from '../detect/engine.ts';
import { analysisCopies } from '../detect/rules.ts';
import type { DetectRules } from '../detect/rules.ts';
import { ParseStats } from '../logs/parse-stats.ts';
import { newLineParser } from './detect-setup.ts';
import type { ParseResult } from '../logs/parse-line.ts';
import { readLineBytes } from './line-source.ts';
import type { Progress } from './line-source.ts';

const NO_BYTES = Buffer.alloc(0);

/** What an analysis read and found. */
export interface AnalysisRun {
  detector: Detector;
  stats: ParseStats;
  /** Inputs that could not be read, with the reason. */
  unreadable: { input: string; error: string }[];
  /** Lines read over all inputs. */
  lines: number;
  /** Wall time spent, ms. */
  elapsedMs: number;
}

/** Options of one run. */
export interface AnalysisOptions {
  config: Config;
  rules: DetectRules;
  directory: SourceDirectory;
  inputs: readonly string[];
  /** Called with (lines so far, bytes so far) now and then. */
  progress?: (lines: number, bytes: number) => void;
  /** Called after every batch of lines (the store flushes here). */
  afterBatch?: (detector: Detector) => void;
}

/** Runs the analysis: psad compatibility treats everything as one interval (psad -A), own mode uses timed intervals. */
export async function runAnalysis(o: AnalysisOptions): Promise<AnalysisRun> {
  const started = Date.now();
  // the report reads levels and histories from the table: the intervals' change lists would only be dropped
  const detector = new Detector(o.rules, o.directory, o.config.detect.compat ? 'single' : 'timed', undefined, { changes: false });
  const stats = new ParseStats();
  const unreadable: { input: string; error: string }[] = [];
  const needLine = !o.config.detect.fwSearchAll;
  const copies = needLine && o.config.detect.compat;
  let lines = 0;
  let bytesBefore = 0;
  const aheadSrc = new Int32Array(PREFETCH_MAX);
  const aheadDst = new Int32Array(PREFETCH_MAX);
  for (const input of o.inputs) {
    const parser = newLineParser(o.config);
    const limit = parser.options.maxLineLength;
    let bytes = 0;
    const progress: Progress = (b) => {
      bytes = b;
      o.progress?.(lines, bytesBefore + b);
    };
    try {
      // the line's text is decoded only when needed: an error sample, or FW_MSG_SEARCH over whole lines
      const detect = (r: ParseResult, no: number, text: string | null, buf: Buffer, a: number, b: number): void => {
        if (r.kind !== 'packet') {
          stats.add(r, r.kind === 'error' ? text ?? buf.toString('utf8', a, b) : '', no, input);
          return;
        }
        stats.add(r, '', no, input);
        const line = needLine ? text ?? buf.toString('utf8', a, b) : undefined;
        // psad -A feeds a line once per FW_MSG_SEARCH pattern it matches (see analysisCopies)
        const n = copies ? analysisCopies(o.rules, line ?? '') : 1;
        for (let k = 0; k < n; k++) detector.ingest(r.event, line);
        if (n === 0) detector.totals.note('fw-search', no);
      };
      await readLineBytes(input, limit, {
        bytes(buf, a, b, no) {
          lines++;
          detect(parser.parseBytes(buf, a, b, no), no, null, buf, a, b);
        },
        text(text, no, cut) {
          lines++;
          detect(cut ? parser.overlong(text, no) : parser.parse(text, no), no, text, NO_BYTES, 0, 0);
        },
        chunk() {
          o.afterBatch?.(detector);
        },
        ahead(buf, from, ends, n) {
          const m = parser.peekV4(buf, from, ends, n, aheadSrc, aheadDst);
          if (m > 0) detector.prefetch(aheadSrc, aheadDst, m);
        },
      }, progress);
    } catch (e) {
      unreadable.push({ input, error: (e as Error).message });
    }
    bytesBefore += bytes;
  }
  detector.finish();
  o.afterBatch?.(detector);
  return { detector, stats, unreadable, lines, elapsedMs: Date.now() - started };
}
