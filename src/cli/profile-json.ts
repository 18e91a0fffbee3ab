// JSON text of one profile for `analyze --json`: parts shared by many sources (frozen enrichment states) serialised once.
import type { ProviderState, SourceProfile } from '../domain/profile.ts';

/** The keys a profile ends with, in order (emptyProfile builds them last, and nothing adds keys after them). */
const TAIL = ['geo', 'as', 'whois', 'rdns', 'enrichment', 'response'] as const;
const ENRICH_KEYS = ['geo', 'asn', 'whois', 'rdns'] as const;

/**
 * Serialises profiles exactly as `JSON.stringify` does (same keys, same order, same text), but a frozen object is
 * serialised once and its text reused: the enrichment states of a report are a handful of frozen objects shared by
 * every source (one per database and outcome, one per switched-off provider), and re-serialising them made
 * `analyze --json --mmdb` spend about a third of its extra time on the same few hundred bytes per source.
 */
export class ProfileJson {
  readonly #memo = new WeakMap<object, string>();

  /** The JSON text of `p`. */
  stringify(p: SourceProfile): string {
    if (!this.#plainTail(p)) return JSON.stringify(p);
    const tail = [p.geo, p.as, p.whois, p.rdns, p.enrichment, p.response] as const;
    // undefined properties are left out by JSON.stringify: the head is the profile up to `os`, in its own order
    const o = p as unknown as Record<string, unknown>;
    for (const k of TAIL) o[k] = undefined;
    let head: string;
    try {
      head = JSON.stringify(p);
    } finally {
      TAIL.forEach((k, i) => { o[k] = tail[i]; });
    }
    return `${head === '{}' ? '{' : `${head.slice(0, -1)},`}"geo":${this.#part(tail[0])},"as":${this.#part(tail[1])},"whois":${this.#part(tail[2])},`
      + `"rdns":${this.#part(tail[3])},"enrichment":${this.#enrichment(tail[4])},"response":${JSON.stringify(tail[5])}}`;
  }

  /** Whether the profile ends with exactly TAIL (otherwise it is serialised whole, as JSON.stringify would). */
  #plainTail(p: SourceProfile): boolean {
    const keys = Object.keys(p);
    const n = keys.length;
    if (n < TAIL.length) return false;
    for (let i = 0; i < TAIL.length; i++) if (keys[n - TAIL.length + i] !== TAIL[i]) return false;
    // a key whose value is undefined is left out by JSON.stringify, so such a tail is serialised whole; a frozen
    // profile cannot have its tail set aside (keys are unique: no tail key can stand elsewhere)
    const o = p as unknown as Record<string, unknown>;
    return !Object.isFrozen(p) && typeof o.enrichment === 'object' && o.enrichment !== null && TAIL.every((k) => o[k] !== undefined);
  }

  #enrichment(e: SourceProfile['enrichment']): string {
    if (Object.isFrozen(e)) return this.#part(e);
    const keys = Object.keys(e);
    const o = e as unknown as Record<string, unknown>;
    if (keys.length !== ENRICH_KEYS.length || ENRICH_KEYS.some((k, i) => keys[i] !== k || o[k] === undefined)) return JSON.stringify(e);
    return `{"geo":${this.#part(e.geo)},"asn":${this.#part(e.asn)},"whois":${this.#part(e.whois)},"rdns":${this.#part(e.rdns)}}`;
  }

  /** One value: a frozen object's text is remembered. */
  #part(v: ProviderState | object | null): string {
    if (v === null || !Object.isFrozen(v)) return JSON.stringify(v);
    let s = this.#memo.get(v);
    if (s === undefined) {
      s = JSON.stringify(v);
      this.#memo.set(v, s);
    }
    return s;
  }
}
