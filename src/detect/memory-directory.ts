// Source state held entirely in memory (analyze without a store, tests): a map plus the sources touched per interval.
import { expireCandidates } from '../domain/scan-state.ts';
import type { SourceDirectory, SourceState } from '../domain/scan-state.ts';

/** An unbounded in-memory SourceDirectory. */
export class MemoryDirectory implements SourceDirectory {
  readonly tracksChanges = false;
  readonly sources = new Map<string, SourceState>();
  #touched = new Set<SourceState>();

  get(ip: string): SourceState | undefined {
    return this.sources.get(ip);
  }

  add(state: SourceState): void {
    this.sources.set(state.ip, state);
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
