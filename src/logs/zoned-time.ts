// Wall-clock fields → epoch ms in a configured zone, and year inference for syslog stamps that carry no year.

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Month abbreviations as syslog writes them, indexed by a 3-letter key (case-sensitive first letter upper). */
const MONTHS: Readonly<Record<string, number>> = {
  Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12,
};

/** Month number 1–12 of the three letters at s[i..i+3), or 0. Accepts any letter case ("NOV" from some relays). */
export function monthAt(s: string, i: number): number {
  if (i + 3 > s.length) return 0;
  const a = s.charCodeAt(i) & 0xdf;
  const b = s.charCodeAt(i + 1) | 0x20;
  const c = s.charCodeAt(i + 2) | 0x20;
  return MONTHS[String.fromCharCode(a, b, c)] ?? 0;
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/**
 * Converts wall-clock fields in one zone to epoch ms. `undefined` zone = the machine's (process TZ), "UTC" = UTC,
 * anything else an IANA name resolved with Intl (offsets cached per hour, so a log in time order costs one lookup an hour).
 */
export class ZonedTime {
  readonly zone: string | undefined;
  readonly #fmt: Intl.DateTimeFormat | null;
  readonly #offsetCache = new Map<number, number>();

  /** Throws RangeError for an unknown zone name. */
  constructor(zone: string | undefined) {
    this.zone = zone;
    if (zone === undefined || zone === 'UTC' || zone === 'Etc/UTC') {
      this.#fmt = null;
    } else {
      this.#fmt = new Intl.DateTimeFormat('en-US', {
        timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
        hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
    }
  }

  /** Whether stamps are read as UTC. */
  get isUtc(): boolean {
    return this.zone !== undefined && this.#fmt === null;
  }

  /** Offset (ms, local − UTC) of the zone at the UTC instant `t` (IANA zones only). */
  #offsetAt(t: number): number {
    const bucket = Math.floor(t / HOUR_MS);
    const hit = this.#offsetCache.get(bucket);
    if (hit !== undefined) return hit;
    const parts = this.#fmt!.formatToParts(new Date(bucket * HOUR_MS));
    const f: Record<string, number> = {};
    for (const p of parts) if (p.type !== 'literal') f[p.type] = Number(p.value);
    const asUtc = Date.UTC(f.year!, f.month! - 1, f.day, f.hour, f.minute, f.second);
    const off = asUtc - bucket * HOUR_MS;
    if (this.#offsetCache.size > 4096) this.#offsetCache.clear();
    this.#offsetCache.set(bucket, off);
    return off;
  }

  /** Epoch ms of the wall-clock time (month 1–12). In a DST gap or overlap the earlier reading wins. */
  toEpoch(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
    if (this.zone === undefined) {
      const dt = new Date(y, mo - 1, d, h, mi, s, ms);
      if (y < 100) dt.setFullYear(y);
      return dt.getTime();
    }
    const guess = Date.UTC(y, mo - 1, d, h, mi, s, ms);
    if (this.#fmt === null) return guess;
    const o1 = this.#offsetAt(guess);
    let t = guess - o1;
    const o2 = this.#offsetAt(t);
    if (o2 !== o1) t = guess - o2;
    return t;
  }
}

/**
 * Picks the year of a yearless stamp: the latest of last, this and next year that puts the stamp no later than
 * now + tolerance — the stamp nearest before "now", so a December line read in January lands in the previous year
 * and a writer whose clock runs slightly ahead is not thrown back a year. Feb 29 only matches leap years.
 * Caches the hour base so a log in time order costs one conversion per hour.
 */
export class YearInference {
  readonly #zone: ZonedTime;
  readonly #now: () => number;
  readonly #tolerance: number;
  readonly #psad: boolean;
  #key = -1;
  #nowBucket = -1;
  #calls = 0;
  #nowCache = 0;
  #base = 0;

  /** `psad` = psad 2.4.6: the current (UTC) year, minus 356 days when that lies in the future. */
  constructor(zone: ZonedTime, now: () => number, toleranceMs: number, psad: boolean) {
    this.#zone = zone;
    this.#now = now;
    this.#tolerance = toleranceMs;
    this.#psad = psad;
  }

  /** Epoch ms of "month day hh:mm:ss.ms" (month 1–12), or NaN when the day does not exist in any candidate year. */
  resolve(mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
    // "now" moves slowly against the day of tolerance: read the clock every 256 lines, not on every one
    if ((++this.#calls & 255) === 1 || this.#psad) this.#nowCache = this.#now();
    const now = this.#nowCache;
    if (this.#psad) return this.#psadTime(now, mo, d, h, mi, s);
    const nowBucket = Math.floor(now / HOUR_MS);
    const key = ((mo * 32 + d) * 24 + h);
    if (key !== this.#key || nowBucket !== this.#nowBucket) {
      this.#base = this.#nearestBase(now + this.#tolerance, mo, d, h);
      this.#key = key;
      this.#nowBucket = nowBucket;
    }
    const t = this.#base + mi * 60_000 + s * 1000 + ms;
    // the year was chosen at the hour's start; in the one hour that straddles the limit, decide for this exact time
    if (t > now + this.#tolerance) return this.#nearestBase(now + this.#tolerance - (t - this.#base), mo, d, h) + (t - this.#base);
    return t;
  }

  #nearestBase(limit: number, mo: number, d: number, h: number): number {
    const year = new Date(limit).getUTCFullYear();
    for (let y = year + 1; y >= year - 4; y--) {
      if (d > daysInMonth(y, mo)) continue;
      const t = this.#zone.toEpoch(y, mo, d, h, 0, 0, 0);
      if (t <= limit) return t;
    }
    return NaN;
  }

  #psadNowHour = -1;
  #psadYear = 0;
  #psadKey = -1;
  #psadBase = NaN;

  #psadTime(now: number, mo: number, d: number, h: number, mi: number, s: number): number {
    // psad date_time(): Date_to_Time(This_Year(), …) reads the stamp as UTC; a future result loses 356 (sic) days.
    // The year of "now" can only change at a UTC hour boundary, and lines of one hour share their base: both cached.
    const nowHour = Math.floor(now / HOUR_MS);
    if (nowHour !== this.#psadNowHour) {
      this.#psadNowHour = nowHour;
      this.#psadYear = new Date(now).getUTCFullYear();
      this.#psadKey = -1;
    }
    const key = (mo * 32 + d) * 24 + h;
    if (key !== this.#psadKey) {
      this.#psadKey = key;
      const year = this.#psadYear;
      // Date::Calc rejects Feb 29 in a common year
      this.#psadBase = d > daysInMonth(year, mo) ? NaN : Date.UTC(year, mo - 1, d, h, 0, 0);
    }
    if (Number.isNaN(this.#psadBase)) return NaN;
    const t = this.#psadBase + mi * 60_000 + s * 1000;
    return t > now ? t - 356 * DAY_MS : t;
  }
}
