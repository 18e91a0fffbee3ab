// Source state held entirely in memory (analyze without a store, tests): a scan table plus the sources touched per interval.
import { exportSource } from '../domain/scan-table-io.ts';
import { S_INTERVAL, SW, ScanTable } from '../domain/scan-table.ts';
import type { SourceDirectory, SourceState } from '../domain/scan-state.ts';
import { TouchedSources } from '../domain/touched.ts';

/** An unbounded in-memory SourceDirectory. */
export class MemoryDirectory implements SourceDirectory {
  readonly tracksChanges = false;
  readonly allHot = true;
  /** Bumped by a subclass that replaces sources (the table never drops any by itself). */
  generation = 0;
  readonly table = new ScanTable();
  readonly #touched = new TouchedSources();

  find(ip: string, v4: number): number {
    return this.table.findSource(ip, v4);
  }

  added(_id: number): void {
    // nothing to bound
  }

  touch(id: number): void {
    this.#touched.add(this.table, id);
  }

  forEachTouched(id: number, fn: (s: number) => void): void {
    const t = this.table;
    this.#touched.drain(t, (s) => {
      if (t.si[s * SW + S_INTERVAL] === id) fn(s);
    });
  }

  expirePairs(cutoff: number, by: 'start' | 'last', all: boolean): number {
    return all ? this.table.expireAll(cutoff, by) : 0;
  }

  /** A snapshot of the source's state, or undefined when never seen. */
  get(ip: string): SourceState | undefined {
    const id = this.table.findSource(ip, -1);
    return id < 0 ? undefined : exportSource(this.table, id);
  }

  /** Snapshots of every source, by address. */
  get sources(): Map<string, SourceState> {
    const out = new Map<string, SourceState>();
    for (const id of this.table.sourceIds()) out.set(this.table.ip[id]!, exportSource(this.table, id));
    return out;
  }
}
