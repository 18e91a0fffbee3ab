// Time, injected: pure stages get time from events; adapters that need "now" get a Clock so tests can control it.

/** A source of the current time in milliseconds since the epoch. */
export interface Clock {
  now(): number;
}

/** The system clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  #t: number;
  constructor(start = 0) {
    this.#t = start;
  }
  now(): number {
    return this.#t;
  }
  set(t: number): void {
    this.#t = t;
  }
  advance(ms: number): void {
    this.#t += ms;
  }
}

/** ISO 8601 UTC text of an epoch-ms time. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
