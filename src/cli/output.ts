// Buffered output to a file descriptor: one write per ~256 KiB of text instead of one per line (p0f flushes every line).
import { writeSync } from 'node:fs';

/** Writes lines to `fd` in large chunks; call flush() before exiting. */
export class LineWriter {
  readonly #fd: number;
  readonly #limit: number;
  #buf = '';
  #closed = false;
  readonly #nap = new Int32Array(new SharedArrayBuffer(4));

  constructor(fd = 1, limit = 256 * 1024) {
    this.#fd = fd;
    this.#limit = limit;
  }

  /** Whether the reader went away (EPIPE); callers may stop producing. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Appends one line (a newline is added). */
  line(s: string): void {
    this.#buf += `${s}\n`;
    if (this.#buf.length >= this.#limit) this.flush();
  }

  /** Appends raw text. */
  text(s: string): void {
    this.#buf += s;
    if (this.#buf.length >= this.#limit) this.flush();
  }

  /** Writes encoded bytes now (after any buffered text); the chunk is not kept. */
  bytes(chunk: Uint8Array): void {
    this.flush();
    this.#write(chunk);
  }

  /** Writes everything buffered; retries while a non-blocking pipe is full. */
  flush(): void {
    if (this.#closed) { this.#buf = ''; return; }
    if (this.#buf.length === 0) return;
    const data = Buffer.from(this.#buf, 'utf8');
    this.#buf = '';
    this.#write(data);
  }

  #write(chunk: Uint8Array): void {
    if (this.#closed) return;
    let data = chunk;
    while (data.length > 0) {
      try {
        const n = writeSync(this.#fd, data);
        data = data.subarray(n);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          Atomics.wait(this.#nap, 0, 0, 2);
          continue;
        }
        // a closed pipe (`| head`) ends output quietly
        if (code === 'EPIPE') {
          this.#closed = true;
          return;
        }
        throw e;
      }
    }
  }
}

/** Standard output's watch, set up once per process (see pipeWatch). */
let stdoutWatch: { readonly gone: boolean } | null = null;

/**
 * Whether standard output's reader went away (EPIPE: `probewatch analyze --json | head`). The first call installs a
 * listener for the rest of the process: the error is swallowed, `gone` turns true and writers stop. Without one Node
 * throws the stream's error event at the top level, a stack trace in place of a quiet end, and a write's error may
 * arrive after the command returned. Other errors are thrown as before.
 */
export function pipeWatch(): { readonly gone: boolean } {
  if (stdoutWatch) return stdoutWatch;
  let gone = false;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    gone = true;
  });
  stdoutWatch = {
    get gone(): boolean {
      return gone;
    },
  };
  return stdoutWatch;
}
