// The sources touched in the open interval: a list of ids without repeats, marked in their records (no set to hash into).
import { S_TMARK, SW } from './scan-table.ts';
import type { ScanTable } from './scan-table.ts';

/** Ids put on the list once per round; drain() hands them out and starts the next round. */
export class TouchedSources {
  #ids = new Int32Array(1024);
  /** The other list, swapped in at each drain. */
  #spare = new Int32Array(1024);
  #n = 0;
  #round = 1;

  /** Puts source `id` on the list (once per round). */
  add(t: ScanTable, id: number): void {
    const o = id * SW + S_TMARK;
    if (t.si[o] === this.#round) return;
    t.si[o] = this.#round;
    if (this.#n === this.#ids.length) {
      const grown = new Int32Array(this.#n * 2);
      grown.set(this.#ids);
      this.#ids = grown;
    }
    this.#ids[this.#n++] = id;
  }

  /**
   * Calls fn for each source on the list that is still held and still marked for this round (an id dropped and handed
   * out again is on the list twice: only its first entry counts), in the order they were put on; starts a new round.
   */
  drain(t: ScanTable, fn: (id: number) => void): void {
    const ids = this.#ids;
    const n = this.#n;
    const round = this.#round;
    this.#n = 0;
    this.#round = round === 0x7fffffff ? 1 : round + 1;
    // sources touched while draining go to the other list: this one is not written during the loop
    this.#ids = this.#spare;
    this.#spare = ids;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      const o = id * SW + S_TMARK;
      if (!t.has(id) || t.si[o] !== round) continue;
      t.si[o] = 0;
      fn(id);
    }
  }

  /** Takes a dropped source off (its entry is skipped). */
  remove(t: ScanTable, id: number): void {
    if (t.has(id)) t.si[id * SW + S_TMARK] = 0;
  }
}
