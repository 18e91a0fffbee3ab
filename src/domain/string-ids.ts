// Small integer ids for strings that repeat across many records (destinations, chains, log prefixes, sensors, labels),
// so records in typed arrays can refer to them.

/** A string ↔ id dictionary (ids from 0, never reused). */
export class StringIds {
  readonly #ids = new Map<string, number>();
  /** Text by id. */
  readonly text: string[] = [];

  /** The id of `s`, adding it when new. */
  id(s: string): number {
    let id = this.#ids.get(s);
    if (id === undefined) {
      id = this.text.length;
      this.#ids.set(s, id);
      this.text.push(s);
    }
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
