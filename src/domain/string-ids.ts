// Small integer ids for strings that repeat across many records (destinations, chains, log prefixes, sensors, labels),
// so records in typed arrays can refer to them.

/** A string ↔ id dictionary (ids from 0, never reused). */
export class StringIds {
  readonly #ids = new Map<string, number>();
  /** Text by id. */
  readonly text: string[] = [];

  /** The last two strings asked for and their ids: callers alternate between a few (a signature hit asks for its
   * protocol slot and its chain on every packet), and a Map lookup by string costs more than two comparisons. */
  #k0: string | null = null;
  #v0 = -1;
  #k1: string | null = null;
  #v1 = -1;

  /** The id of `s`, adding it when new. */
  id(s: string): number {
    if (s === this.#k0) return this.#v0;
    if (s === this.#k1) return this.#v1;
    let id = this.#ids.get(s);
    if (id === undefined) {
      id = this.text.length;
      this.#ids.set(s, id);
      this.text.push(s);
    }
    this.#k1 = this.#k0;
    this.#v1 = this.#v0;
    this.#k0 = s;
    this.#v0 = id;
    return id;
  }

  /** The id of `s`, or -1 when it has none. */
  peek(s: string): number {
    return this.#ids.get(s) ?? -1;
  }

  /** Ids handed out. */
  get size(): number {
    return this.text.length;
  }
}
