// Shared iptables/ip6tables helpers: idempotent chains and rules through -C (check) before -I/-A.
import { pwError } from '../../domain/errors.ts';
import { firstLine } from './exec.ts';
import type { CommandRunner } from './exec.ts';

/** iptables for IPv4, ip6tables for IPv6; -w waits for the xtables lock instead of failing beside another tool. */
export function xt(family: 4 | 6): string {
  return family === 6 ? 'ip6tables' : 'iptables';
}

/** True when the rule exists (iptables -C). */
export async function hasRule(run: CommandRunner, family: 4 | 6, chain: string, spec: readonly string[]): Promise<boolean> {
  const r = await run([xt(family), '-w', '-t', 'filter', '-C', chain, ...spec]);
  return r.code === 0;
}

/** Inserts (at position 1) or appends the rule unless it exists. */
export async function ensureRule(run: CommandRunner, family: 4 | 6, chain: string, spec: readonly string[], insert: boolean): Promise<void> {
  if (await hasRule(run, family, chain, spec)) return;
  const r = await run([xt(family), '-w', '-t', 'filter', ...(insert ? ['-I', chain, '1'] : ['-A', chain]), ...spec]);
  if (r.code !== 0) throw pwError('PW_ERR_FIREWALL', [xt(family), `${chain} ${spec.join(' ')}: ${firstLine(r)}`]);
}

/** Deletes every copy of the rule; no error when there is none. */
export async function deleteRule(run: CommandRunner, family: 4 | 6, chain: string, spec: readonly string[]): Promise<void> {
  // bounded: a rule duplicated by hand more than 100 times is left for the operator
  for (let i = 0; i < 100; i++) {
    const r = await run([xt(family), '-w', '-t', 'filter', '-D', chain, ...spec]);
    if (r.code !== 0) return;
  }
}

/** Creates a chain unless it exists. */
export async function ensureChain(run: CommandRunner, family: 4 | 6, chain: string): Promise<void> {
  const l = await run([xt(family), '-w', '-t', 'filter', '-S', chain]);
  if (l.code === 0) return;
  const r = await run([xt(family), '-w', '-t', 'filter', '-N', chain]);
  if (r.code !== 0) throw pwError('PW_ERR_FIREWALL', [xt(family), `create chain ${chain}: ${firstLine(r)}`]);
}

/** The `-S CHAIN` listing, or null when the chain does not exist. */
export async function listChain(run: CommandRunner, family: 4 | 6, chain: string): Promise<string[] | null> {
  const r = await run([xt(family), '-w', '-t', 'filter', '-S', chain]);
  if (r.code !== 0) return null;
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

/** Removes a chain: flush, then delete (after the jumps to it were removed). */
export async function dropChain(run: CommandRunner, family: 4 | 6, chain: string): Promise<void> {
  await run([xt(family), '-w', '-t', 'filter', '-F', chain]);
  await run([xt(family), '-w', '-t', 'filter', '-X', chain]);
}
