// Runs `analyze` of a large log again in a child process that asks glibc to back its large allocations with
// transparent huge pages, where the kernel only gives them on request, and compiles on V8's main thread.
import type { spawn as Spawn } from 'node:child_process';
import type * as Fs from 'node:fs';
import { createRequire } from 'node:module';
import type * as Os from 'node:os';

// Node's modules by require(): imported as ES modules, node:fs alone loads ~30 more (scripts/bundle-commands.ts),
// in the parent and in the child, which imports this module too
const nodeRequire = createRequire(import.meta.url);

/*
 * Why: analyze keeps its scan state in a few large typed arrays (the pair rows alone are ~55 MB for a million-line
 * log) and reads them at random, one or two cache misses per packet. With 4 KiB pages nearly every such read also
 * misses the TLB, and in a virtual machine a TLB miss walks two sets of page tables. Backed by 2 MiB pages the same
 * arrays take a few dozen TLB entries, and the whole run took ~11 % less CPU time (median of paired runs on the
 * benchmark log, docs/detect.md "Figures").
 *
 * Node.js allocates array buffers with malloc, and Linux distributions set transparent huge pages to `madvise`: only
 * memory marked with madvise(MADV_HUGEPAGE) gets them. Nothing in Node.js can mark it, but glibc 2.35 and later do
 * so for their own large mappings when the tunable glibc.malloc.hugetlb=1 is set — and glibc reads tunables only when
 * a process starts. So a large run re-runs itself once with the tunable set (the child sees it set and runs
 * normally). The parent costs ~0.15 CPU-s (most of it Node.js starting), which is why this is done only for inputs of
 * LARGE_INPUT bytes or more, and not when node itself was given options (a debugger or profiler attached to this
 * process stays with the work).
 *
 * The same child takes V8 options that also act only from a process's start (CHILD_NODE_OPTIONS), and a larger pad for
 * glibc's main heap (HEAP_PAD_TUNABLE), a tunable like the first.
 *
 * Nothing changes in what the command reads, computes or writes: the child gets the same arguments, environment (plus
 * the tunable, minus NODE_EXTRA_CA_CERTS: see childEnv), standard streams and exit status (a signal that ends the child
 * ends the parent the same way; the parent passes SIGINT, SIGTERM, SIGHUP and SIGQUIT on). PROBEWATCH_HUGE_PAGES=0
 * turns the relaunch off, =1 relaunches whatever the input's size.
 */

/** The glibc tunable that marks malloc's large mappings for transparent huge pages. */
export const HUGE_TUNABLE = 'glibc.malloc.hugetlb=1';

/**
 * The child's main malloc heap grows 64 MiB at a time (glibc's default pad is 128 KiB). glibc serves a request from
 * the free top of its heap before it maps memory of its own, so with a large pad the tables' medium arrays (the indexes
 * and counters of a few MiB each, read at random) come from one heap that huge pages back whole, instead of a mapping
 * each with 4 KiB pages at its ends, and the heap is not trimmed and faulted in again after every free. Paired runs of
 * the benchmark log on one CPU: 0.94 and 0.95 of the CPU time without it, +30 MiB peak RSS (docs/detect.md "Figures").
 * A top_pad the user set stays theirs.
 */
export const HEAP_PAD_TUNABLE = 'glibc.malloc.top_pad=67108864';

/** Inputs at least this large (bytes, all files together) are worth the extra process. */
export const LARGE_INPUT = 64 * 1048576;

/** analyze options that take a value: their values are not inputs. */
const VALUE_OPTIONS = new Set(['--psad-conf', '--psad-override', '--config', '--data-dir', '--mmdb']);

/** Why a relaunch is not done, or null when it should be. */
export function hugePagesBlocker(argv: readonly string[], env: NodeJS.ProcessEnv, o: {
  platform?: string;
  size?: (path: string) => number;
  execArgv?: readonly string[];
} = {}): string | null {
  if ((o.platform ?? process.platform) !== 'linux') return 'not Linux';
  // node options (--inspect, --cpu-prof, …) mean someone is debugging or profiling this process: keep it the one
  if ((o.execArgv ?? process.execArgv).length > 0) return 'node options given';
  if (env.PROBEWATCH_HUGE_PAGES === '0') return 'turned off (PROBEWATCH_HUGE_PAGES=0)';
  if ((env.GLIBC_TUNABLES ?? '').includes('glibc.malloc.hugetlb')) return 'already set';
  if (argv[0] !== 'analyze') return 'not a batch analysis';
  let bytes = 0;
  const size = o.size ?? ((p: string): number => {
    try {
      const st = (nodeRequire('node:fs') as typeof Fs).statSync(p);
      return st.isFile() ? st.size : 0;
    } catch {
      return 0;
    }
  });
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) bytes += size(a);
  }
  // PROBEWATCH_HUGE_PAGES=1 relaunches whatever the input's size (tests, or logs read from stdin)
  if (bytes < LARGE_INPUT && env.PROBEWATCH_HUGE_PAGES !== '1') return 'small input';
  // Not asked: whether glibc is 2.35 or later and whether transparent huge pages are given on request. Where they are
  // not, the tunables change nothing (glibc ignores names it does not know, musl the variable), but the child's V8
  // options still take ~15 % off the run, several times what the parent costs. Asking cost the parent ~10 ms (Node.js
  // tells glibc's version only in a full diagnostic report).
  return null;
}

/**
 * V8 options of the child. --no-concurrent-recompilation: the optimizing compiler works on the main thread instead of
 * beside it. Beside it, the main thread goes on running the function unoptimized (several times slower) until the
 * compiler is done, ~140 times per run; on the main thread it waits, then runs optimized code. Paired runs on the
 * benchmark log: ~6 % less CPU time, ~5 % more wall time (docs/detect.md "Figures"). analyze is a batch job rated in
 * CPU time, like psad -A; PROBEWATCH_HUGE_PAGES=0 keeps a run in one process with Node's defaults.
 *
 * --max-semi-space-size=1: the young generation stays at 1 MiB a semi-space instead of growing to 16. analyze's
 * short-lived objects then live and die in memory the caches hold, and 8,000 fewer pages are touched for the first time
 * (21,000 → 13,000 page faults on the benchmark log; a fault costs a virtual machine tens of microseconds). The
 * collector runs more often (120 scavenges instead of 18, 151 ms instead of 120) and the run still costs less: paired
 * runs on one vCPU, 0.92-0.93 of the CPU time in own mode, ~0.85-0.9 in compatibility mode. Larger semi-spaces
 * (16-64 MiB) measured within noise.
 *
 * --no-turbo-escape: the optimizing compiler skips escape analysis. analyze's hot code makes almost no short-lived
 * objects for it to take apart, and the phase costs compile time in every one of the ~100 compilations of a run: the
 * benchmark log's run took 64 million instructions fewer (0.5 %, callgrind; 41 and 55 million on its 100,000- and
 * 300,000-line prefixes, so the code itself is no slower). Other phases measured the same way were worth nothing
 * (splitting, control-flow optimization, store-store elimination) or made the code slower than the compile they saved
 * (loop peeling, loop rotation).
 *
 * --single-threaded-gc: the collector works on the main thread only. Its helper threads shorten the pauses, not the
 * work, and their start-up and hand-offs cost CPU time of their own: 27 million instructions fewer on the benchmark
 * log's 300,000-line prefix (0.43 %, callgrind, which counts every thread), ~9 ms less CPU time for a one-line log.
 * Looser interpreter or inlining budgets (--interrupt-budget ×4, --max-inlined-bytecode-size-cumulative halved), the
 * mid-tier register allocator and regular expressions kept in the interpreter (--regexp-tier-up-ticks) measured no
 * better or worse.
 */
export const CHILD_NODE_OPTIONS: readonly string[] = ['--no-concurrent-recompilation', '--max-semi-space-size=1', '--no-turbo-escape', '--single-threaded-gc'];

/** The child's command line after node: its V8 options, the CLI script, the same arguments. */
export function childArgs(script: string, argv: readonly string[]): string[] {
  return [...CHILD_NODE_OPTIONS, script, ...argv];
}

/**
 * The child's environment: the parent's, with the tunables added to GLIBC_TUNABLES (HUGE_TUNABLE, and HEAP_PAD_TUNABLE
 * unless a top_pad is set), and without NODE_EXTRA_CA_CERTS. Node reads and parses that certificate file whenever a
 * process starts (~0.04 CPU-s for a distribution's bundle), and analyze opens no TLS connection (whois is port 43,
 * reverse DNS is DNS): the child would pay for nothing.
 */
export function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const own = env.GLIBC_TUNABLES ?? '';
  const add = own.includes('glibc.malloc.top_pad') ? HUGE_TUNABLE : `${HUGE_TUNABLE}:${HEAP_PAD_TUNABLE}`;
  const out: NodeJS.ProcessEnv = { ...env, GLIBC_TUNABLES: own ? `${own}:${add}` : add };
  delete out.NODE_EXTRA_CA_CERTS;
  return out;
}

/** Signals passed on to the child while it runs (a supervisor stops the parent it started). */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/**
 * Re-runs the CLI (`script`, with `argv`) with the tunable when hugePagesBlocker() finds nothing against it; resolves to
 * the child's exit code, or null when the command should run in this process.
 */
export async function relaunchWithHugePages(script: string, argv: readonly string[]): Promise<number | null> {
  let blocker: string | null;
  try {
    blocker = hugePagesBlocker(argv, process.env);
  } catch {
    return null;
  }
  if (blocker !== null) return null;
  // child_process (and net and dgram with it) loaded only to relaunch: the child itself, and analyze runs that stay in
  // one process, would pay ~10 ms for nothing
  const { spawn } = nodeRequire('node:child_process') as { spawn: typeof Spawn };
  const child = spawn(process.execPath, childArgs(script, argv), { stdio: 'inherit', env: childEnv(process.env) });
  const forward = (sig: NodeJS.Signals): void => {
    child.kill(sig);
  };
  for (const sig of FORWARDED) process.on(sig, forward);
  try {
    return await new Promise<number | null>((resolve) => {
      // not started (no node at execPath any more?): run here; an error of a started child (a failed kill) changes
      // nothing, its exit still comes — running here as well would analyse the input twice
      child.once('error', () => { if (child.pid === undefined) resolve(null); });
      child.once('exit', (code, signal) => {
        if (signal) {
          // end as the child did (a shell then reports the same signal)
          for (const sig of FORWARDED) process.off(sig, forward);
          process.kill(process.pid, signal);
          resolve(128 + (nodeRequire('node:os') as typeof Os).constants.signals[signal]);
          return;
        }
        resolve(code ?? 70);
      });
    });
  } finally {
    for (const sig of FORWARDED) process.off(sig, forward);
  }
}
