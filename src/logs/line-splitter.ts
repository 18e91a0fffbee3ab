// Splits a byte stream into lines (LF, CR stripped by the parser), holding a partial last line, bounding line length.
//
// Each complete line is decoded as UTF-8 on its own (invalid bytes become U+FFFD, which the parser counts as
// 'invalid-utf8'), so one bad line never spoils its neighbours. A line longer than `maxBytes` is not buffered: its
// head is kept and the rest discarded up to the next newline, and it is reported as overlong.

/** Streaming splitter: feed() a chunk, then call next() until it returns false. */
export class LineSplitter {
  /** The line next() produced. */
  text = '';
  /** Whether that line was cut at maxBytes (text holds its head). */
  overlong = false;
  /** Absolute byte position just after that line's newline. */
  endPos = 0;

  readonly #max: number;
  #chunk: Buffer = Buffer.alloc(0);
  #chunkPos = 0; // absolute position of #chunk[0]
  #at = 0; // next unread index in #chunk
  #carry: Buffer[] = []; // a partial line from earlier chunks
  #carryLen = 0;
  #discarding = false; // inside an overlong line, after its head

  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  /** Bytes of the partial line held back (not yet a complete line). */
  get pending(): number {
    return this.#carryLen + (this.#chunk.length - this.#at);
  }

  /** Whether an overlong line is being skipped. */
  get discarding(): boolean {
    return this.#discarding;
  }

  /** Starts reading `chunk`, whose first byte is at absolute position `pos`. The previous chunk must be used up. */
  feed(chunk: Buffer, pos: number): void {
    // whatever is left of the previous chunk is a partial line: keep it
    if (this.#at < this.#chunk.length) this.#hold(this.#chunk.subarray(this.#at));
    this.#chunk = chunk;
    this.#chunkPos = pos;
    this.#at = 0;
  }

  #hold(part: Buffer): void {
    if (this.#discarding) return;
    const room = this.#max - this.#carryLen;
    if (part.length > room) {
      if (room > 0) {
        this.#carry.push(Buffer.from(part.subarray(0, room)));
        this.#carryLen += room;
      }
      this.#discarding = true;
      return;
    }
    this.#carry.push(Buffer.from(part)); // copy: the reader reuses its buffer
    this.#carryLen += part.length;
  }

  /** Produces the next complete line of the current chunk into text/overlong/endPos; false when none is left. */
  next(): boolean {
    const c = this.#chunk;
    if (this.#at >= c.length) return false;
    const nl = c.indexOf(10, this.#at);
    if (nl < 0) {
      this.#hold(c.subarray(this.#at));
      this.#at = c.length;
      return false;
    }
    if (this.#carryLen === 0 && !this.#discarding) {
      const len = nl - this.#at;
      if (len > this.#max) {
        this.text = c.toString('utf8', this.#at, this.#at + this.#max);
        this.overlong = true;
      } else {
        this.text = c.toString('utf8', this.#at, nl);
        this.overlong = false;
      }
    } else {
      this.#hold(c.subarray(this.#at, nl));
      this.text = Buffer.concat(this.#carry, this.#carryLen).toString('utf8');
      this.overlong = this.#discarding;
      this.#carry = [];
      this.#carryLen = 0;
      this.#discarding = false;
    }
    this.#at = nl + 1;
    this.endPos = this.#chunkPos + nl + 1;
    return true;
  }

  /**
   * Takes the held partial line as a final line (the file was rotated away or the stream ended: it will not grow).
   * Returns false when nothing is held. endPos is then the position after the held bytes.
   */
  flushPartial(): boolean {
    if (this.#at < this.#chunk.length) {
      this.#hold(this.#chunk.subarray(this.#at));
      this.#at = this.#chunk.length;
    }
    if (this.#carryLen === 0 && !this.#discarding) return false;
    this.text = Buffer.concat(this.#carry, this.#carryLen).toString('utf8');
    this.overlong = this.#discarding;
    this.endPos = this.#chunkPos + this.#chunk.length;
    this.#carry = [];
    this.#carryLen = 0;
    this.#discarding = false;
    return true;
  }

  /** Drops everything held (after a truncation). */
  reset(): void {
    this.#chunk = Buffer.alloc(0);
    this.#at = 0;
    this.#chunkPos = 0;
    this.#carry = [];
    this.#carryLen = 0;
    this.#discarding = false;
  }
}
