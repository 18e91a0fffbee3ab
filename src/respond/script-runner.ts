// Runs external scripts: spawn with an argument vector (no shell), minimal environment plus PROBEWATCH_* fields,
// a deadline (TERM to the process group, KILL 2 s later), a concurrency limit with a bounded wait queue, and the
// exit status plus a bounded tail of the output as the result.
import { spawn } from 'node:child_process';

/** Outcome of one run. */
export interface ScriptResult {
  /** The argv that ran (for the history). */
  command: string;
  /** Exit status, or null when killed or it could not start. */
  exitCode: number | null;
  /** Signal that ended it, if any. */
  signal: string | null;
  /** Killed at the deadline. */
  timedOut: boolean;
  /** The end of stdout+stderr (bounded). */
  outputTail: string;
  /** Could not start (ENOENT, EACCES) or was dropped from a full queue. */
  error?: string;
  /** Run time in ms. */
  durationMs: number;
}

/** Runner settings. */
export interface ScriptRunnerOptions {
  /** Seconds before the kill. */
  timeout: number;
  /** Parallel runs. */
  concurrency: number;
  /** Bytes of output kept. */
  tailBytes: number;
  /** Runs waiting beyond the concurrency limit; more are refused. */
  maxQueue?: number;
}

const KEEP_ENV = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'HOME'];

/** Environment values are attacker-influenced text (log prefixes): strip NULs (spawn rejects them) and bound the size. */
export function envValue(v: unknown): string {
  const s = typeof v === 'string' ? v : v === null || v === undefined ? '' : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  const clean = s.replace(/\0/g, '');
  return clean.length > 4096 ? clean.slice(0, 4096) : clean;
}

/** Runs scripts with a concurrency limit. */
export class ScriptRunner {
  readonly #o: ScriptRunnerOptions;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(o: ScriptRunnerOptions) {
    this.#o = o;
  }

  /** Runs currently executing. */
  get running(): number {
    return this.#running;
  }

  /** Runs `argv` with `fields` as extra environment variables; never rejects. */
  async run(argv: readonly string[], fields: Record<string, string>): Promise<ScriptResult> {
    const command = argv.join(' ');
    if (this.#running >= this.#o.concurrency) {
      if (this.#waiting.length >= (this.#o.maxQueue ?? 1000)) {
        return { command, exitCode: null, signal: null, timedOut: false, outputTail: '', error: 'dropped: script queue full', durationMs: 0 };
      }
      await new Promise<void>((r) => this.#waiting.push(r));
    }
    this.#running++;
    try {
      return await this.#exec(argv, fields);
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }

  #exec(argv: readonly string[], fields: Record<string, string>): Promise<ScriptResult> {
    const command = argv.join(' ');
    const env: Record<string, string> = {};
    for (const k of KEEP_ENV) if (process.env[k] !== undefined) env[k] = process.env[k];
    for (const [k, v] of Object.entries(fields)) env[k] = envValue(v);
    const started = Date.now();
    return new Promise((resolve) => {
      let tail = Buffer.alloc(0);
      const keep = (b: Buffer): void => {
        tail = Buffer.concat([tail, b]);
        if (tail.length > this.#o.tailBytes) tail = tail.subarray(tail.length - this.#o.tailBytes);
      };
      let child;
      try {
        // detached: its own process group, so the deadline kills children it started too (a shell script's sleep)
        child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true, shell: false });
      } catch (e) {
        resolve({ command, exitCode: null, signal: null, timedOut: false, outputTail: '', error: (e as Error).message, durationMs: 0 });
        return;
      }
      let timedOut = false;
      let settled = false;
      const killGroup = (sig: NodeJS.Signals): void => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, sig);
        } catch { /* already gone */ }
      };
      const term = setTimeout(() => {
        timedOut = true;
        killGroup('SIGTERM');
        setTimeout(() => { killGroup('SIGKILL'); }, 2000).unref();
      }, this.#o.timeout * 1000);
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const finish = (code: number | null, signal: string | null, error?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(term);
        resolve({
          command, exitCode: code, signal, timedOut, outputTail: tail.toString('utf8'), durationMs: Date.now() - started,
          ...(error === undefined ? {} : { error }),
        });
      };
      child.on('error', (e) => { finish(null, null, e.message); });
      child.on('exit', (code, signal) => {
        // output still buffered in the pipes arrives before 'close'; a grandchild holding them open must not stall us
        const t = setTimeout(() => { finish(code, signal); }, 500);
        child.on('close', () => { clearTimeout(t); finish(code, signal); });
      });
    });
  }
}
