// Source state held entirely in memory (analyze without a store, tests): a map plus the sources touched per interval.
import { IntMap, ipv4Key } from '../domain/int-table.ts';
import { expireCandidates } from '../domain/scan-state.ts';
import type { SourceDirectory, SourceState } from '../domain/scan-state.ts';

/** An unbounded in-memory SourceDirectory. */
export class MemoryDirectory implements SourceDirectory {
  readonly tracksChanges = false;
  /** Bumped by a subclass that replaces state objects (sources are never dropped here). */
  generation = 0;
  readonly sources = new Map<string, SourceState>();
  /** IPv4 sources by number (the per-packet lookup). */
  readonly #byKey = new IntMap<SourceState>();
  #touched = new Set<SourceState>();

  get(ip: string, key = -1): SourceState | undefined {
    return key >= 0 ? this.#byKey.get(key) : this.sources.get(ip);
  }

  add(state: SourceState): void {
    this.sources.set(state.ip, state);
    const key = ipv4Key(state.ip);
    if (key >= 0) this.#byKey.set(key, state);
  }

  /** Replaces a source's state object (subclasses; bump `generation` too). */
  protected replace(state: SourceState): void {
    this.add(state);
  }

  touch(state: SourceState): void {
    this.#touched.add(state);
  }

  forEachTouched(id: number, fn: (s: SourceState) => void): void {
    const touched = this.#touched;
    this.#touched = new Set();
    for (const s of touched) if (s.interval === id) fn(s);
  }

  expirePairs(cutoff: number, by: 'start' | 'last', candidates: readonly string[]): number {
    return expireCandidates(this.sources, cutoff, by, candidates);
  }
}
