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

const DAY_MS = 86_400_000;
const TWO = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const THREE = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
let dayKey = Number.NaN;
let dayText = '';

/**
 * ISO 8601 UTC text of an epoch-ms time: Date#toISOString()'s text. Profiles carry several times per destination, and
 * they nearly all fall on a few days: the date part is kept for the last day seen, the time of day built from numbers
 * (no Date per call). Years outside 0000–9999, and invalid times (RangeError), go through Date as before.
 */
export function isoTime(ms: number): string {
  if (!Number.isFinite(ms)) return new Date(ms).toISOString();
  const t = Math.trunc(ms);
  const day = Math.floor(t / DAY_MS);
  if (day !== dayKey) {
    const iso = new Date(day * DAY_MS).toISOString();
    if (iso.length !== 24) return new Date(t).toISOString();
    dayKey = day;
    dayText = iso.slice(0, 11);
  }
  let r = t - day * DAY_MS;
  const h = Math.floor(r / 3_600_000);
  r -= h * 3_600_000;
  const m = Math.floor(r / 60_000);
  r -= m * 60_000;
  const sec = Math.floor(r / 1000);
  return `${dayText}${TWO[h]!}:${TWO[m]!}:${TWO[sec]!}.${THREE[r - sec * 1000]!}Z`;
}
