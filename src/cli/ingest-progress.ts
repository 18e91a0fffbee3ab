// The progress bar of `probewatch ingest` on stderr: bytes read, then the hand-over to a running serve (on a terminal).

/** A one-line progress bar on stderr, redrawn at most five times a second (only on a terminal). */
export class Progress {
  readonly #tty: boolean;
  readonly #total: number;
  readonly #start = Date.now();
  #last = 0;
  #done = 0;
  #phase = '';
  /** Lines read so far (for the rate). */
  lines = 0;

  constructor(total: number, tty = process.stderr.isTTY) {
    this.#total = Math.max(1, total);
    this.#tty = tty && total > 0;
  }

  /** Bytes read so far. */
  set(bytes: number): void {
    this.#done = bytes;
    this.#tick();
  }

  /** The hand-over phase: `counted` of `total` handed-over lines counted by serve so far. */
  handover(counted: number, total: number, who: string): void {
    this.#phase = `${who} counted ${counted}/${total} handed-over lines`;
    this.#done = this.#total;
    this.#tick();
  }

  #tick(): void {
    const now = Date.now();
    if (!this.#tty || now - this.#last < 200) return;
    this.#last = now;
    this.#draw();
  }

  #draw(): void {
    const f = Math.min(1, this.#done / this.#total);
    const secs = Math.max(0.001, (Date.now() - this.#start) / 1000);
    const bar = '#'.repeat(Math.round(f * 30)).padEnd(30, ' ');
    const tail = this.#phase || `${Math.round(this.lines / secs)} lines/s  ${(this.#done / 1048576 / secs).toFixed(1)} MB/s`;
    process.stderr.write(`\r\x1b[K[${bar}] ${(f * 100).toFixed(0).padStart(3)}%  ${tail} `);
  }

  end(): void {
    if (this.#tty) {
      this.#done = this.#total;
      this.#draw();
      process.stderr.write('\n');
    }
  }
}
