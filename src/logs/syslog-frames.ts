// Splits a TCP syslog stream into messages: RFC 6587 octet counting ("LEN SP MSG") or newline framing, per frame.
//
// Each frame is told apart by its first byte: digits followed by a blank are an octet count, anything else runs to
// the next LF (a message that itself starts with digits, such as an ISO stamp without PRI, is newline-framed since
// its digits are not followed by a blank). Frames longer than `max` bytes are not buffered: their head is kept and
// the rest skipped, and they are reported as overlong. Memory per connection is bounded by `max`.

/** Incremental frame reader for one TCP connection. */
export class SyslogFrameReader {
  readonly #max: number;
  #parts: Buffer[] = [];
  #len = 0; // bytes held in #parts
  #mode: 'start' | 'count' | 'octets' | 'line' = 'start';
  #want = 0; // octets still to read (octets mode)
  #digits = '';
  #overlong = false;

  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  #keep(b: Buffer): void {
    if (b.length === 0) return;
    const room = this.#max - this.#len;
    if (b.length > room) {
      if (room > 0) {
        this.#parts.push(Buffer.from(b.subarray(0, room)));
        this.#len += room;
      }
      this.#overlong = true;
      return;
    }
    this.#parts.push(Buffer.from(b));
    this.#len += b.length;
  }

  #emit(onFrame: (text: string, overlong: boolean) => void): void {
    let text = Buffer.concat(this.#parts, this.#len).toString('utf8');
    // a CRLF split across reads leaves the CR in the text
    if (this.#mode === 'line' && text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
    const over = this.#overlong;
    this.#parts = [];
    this.#len = 0;
    this.#overlong = false;
    this.#mode = 'start';
    this.#digits = '';
    onFrame(text, over);
  }

  /** Feeds bytes; calls onFrame for every complete message. */
  push(chunk: Buffer, onFrame: (text: string, overlong: boolean) => void): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.#mode) {
        case 'start': {
          const c = chunk[i]!;
          if (c === 10 || c === 13 || c === 0) { i++; continue; } // stray separators between frames
          this.#mode = c >= 48 && c <= 57 ? 'count' : 'line';
          continue;
        }
        case 'count': {
          const c = chunk[i]!;
          if (c >= 48 && c <= 57 && this.#digits.length < 10) {
            this.#digits += String.fromCharCode(c);
            i++;
            continue;
          }
          if (c === 32 && this.#digits.length > 0) {
            this.#want = Number(this.#digits);
            this.#digits = '';
            this.#mode = 'octets';
            i++;
            if (this.#want === 0) this.#emit(onFrame);
            continue;
          }
          // not an octet count after all: the digits start a newline-framed message
          this.#keep(Buffer.from(this.#digits, 'latin1'));
          this.#digits = '';
          this.#mode = 'line';
          continue;
        }
        case 'octets': {
          const take = Math.min(this.#want, n - i);
          this.#keep(chunk.subarray(i, i + take));
          this.#want -= take;
          i += take;
          if (this.#want === 0) this.#emit(onFrame);
          continue;
        }
        case 'line': {
          const nl = chunk.indexOf(10, i);
          if (nl < 0) {
            this.#keep(chunk.subarray(i));
            i = n;
            continue;
          }
          this.#keep(chunk.subarray(i, nl));
          i = nl + 1;
          this.#emit(onFrame);
          continue;
        }
      }
    }
  }

  /** At connection end: a newline-framed message without its final LF is still a message. */
  end(onFrame: (text: string, overlong: boolean) => void): void {
    if (this.#mode === 'line' && (this.#len > 0 || this.#overlong)) this.#emit(onFrame);
  }
}
