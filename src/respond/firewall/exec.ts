// Runs firewall tools with an argument vector (never a shell), a deadline and bounded output; tests prefix `ip netns exec`.
import { execFile } from 'node:child_process';

/** What a command returned. */
export interface CommandResult {
  /** Exit status (null when killed by a signal). */
  code: number | null;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** Runs one command; resolves with its result whatever the exit status, rejects only when it could not start. */
export type CommandRunner = (argv: readonly string[], input?: string) => Promise<CommandResult>;

/** A runner using execFile, optionally with an argv prefix (e.g. ['ip', 'netns', 'exec', 'ns1']). */
export function commandRunner(prefix: readonly string[] = [], timeoutMs = 15_000): CommandRunner {
  return (argv, input) => new Promise((resolve, reject) => {
    const full = [...prefix, ...argv];
    const child = execFile(full[0]!, full.slice(1), { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof err.code === 'string') {
        reject(new Error(`${full[0]!}: ${err.message}`, { cause: err }));
        return;
      }
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

/** The first line of stderr (or stdout) of a failed command, for error messages. */
export function firstLine(r: CommandResult): string {
  const t = (r.stderr.trim() || r.stdout.trim()).split('\n')[0] ?? '';
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}
