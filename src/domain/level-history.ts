// The danger-level histories of the scan table's sources, kept in typed arrays: a change is 16 bytes and nothing for
// the garbage collector to trace or copy.
import type { DangerLevel } from './profile.ts';
import type { DangerChange } from './scan-state.ts';
import { StringIds } from './string-ids.ts';

/*
 * Why: a history kept as a list of { time, level, reason } objects took ~150 bytes a change (the object, its boxed
 * time, the list), all of it made at the end of a psad -A analysis, when every source's level is assigned at once:
 * 100,000 changes on the benchmark log, which the young-generation collector copied twice (there and into the old
 * generation) and the old generation then faulted in page by page.
 *
 * A history is a list of records, newest first, named by its newest record + 1 (0 = no change yet): the scan table
 * keeps that number in the source's row. Levels only rise, so a list is short (at most five changes per interval).
 */

/** Records: time (float64) and [previous record + 1, level | reason id << 3] (int32). */
const RI = 2;

export class LevelHistory {
  #time: Float64Array;
  #rec: Int32Array;
  #used = 0;
  /** Free records, chained by their previous-record field (+ 1; 0 = end). */
  #free = 0;
  /** Reason texts by id. */
  readonly #reasons = new StringIds();

  /**
   * Room for `n` changes before the arrays first grow. Size it for the input (the scan table does): growing replaces
   * the arrays, and V8 throws away optimized code that took them for constants (the level assignment at the end of
   * analyze, compiled again).
   */
  constructor(n = 256) {
    this.#time = new Float64Array(Math.max(16, n));
    this.#rec = new Int32Array(Math.max(16, n) * RI);
  }

  /** Adds a change to the list `last` (0: a new list); returns the list's new name. */
  push(last: number, time: number, level: number, reason: string): number {
    let r = this.#free - 1;
    if (r >= 0) {
      this.#free = this.#rec[r * RI]!;
    } else {
      r = this.#used++;
      if (r === this.#time.length) this.#grow();
    }
    this.#time[r] = time;
    this.#rec[r * RI] = last;
    this.#rec[r * RI + 1] = (level & 7) | (this.#reasons.id(reason) << 3);
    return r + 1;
  }

  /** A list holding `changes` (oldest first); 0 when there are none. */
  from(changes: readonly DangerChange[]): number {
    let last = 0;
    for (let i = 0; i < changes.length; i++) last = this.push(last, changes[i]!.time, changes[i]!.level, changes[i]!.reason);
    return last;
  }

  /** The changes of list `last`, oldest first (a new array each call). */
  list(last: number): DangerChange[] {
    const n = this.length(last);
    const out = new Array<DangerChange>(n);
    const rec = this.#rec;
    for (let r = last - 1, i = n - 1; r >= 0; r = rec[r * RI]! - 1, i--) {
      const v = rec[r * RI + 1]!;
      out[i] = { time: this.#time[r]!, level: (v & 7) as DangerLevel, reason: this.#reasons.text[v >>> 3]! };
    }
    return out;
  }

  /** The number of changes in list `last`. */
  length(last: number): number {
    let n = 0;
    for (let r = last - 1; r >= 0; r = this.#rec[r * RI]! - 1) n++;
    return n;
  }

  /** Frees the records of list `last`. */
  free(last: number): void {
    for (let r = last - 1; r >= 0;) {
      const prev = this.#rec[r * RI]! - 1;
      this.#rec[r * RI] = this.#free;
      this.#free = r + 1;
      r = prev;
    }
  }

  #grow(): void {
    const time = new Float64Array(this.#time.length * 2);
    time.set(this.#time);
    this.#time = time;
    const rec = new Int32Array(this.#rec.length * 2);
    rec.set(this.#rec);
    this.#rec = rec;
  }
}
