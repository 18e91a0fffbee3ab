// iptables backend, like psad's IPT_AUTO_CHAIN1..3: PREFIX_INPUT/_OUTPUT/_FORWARD chains with one DROP rule per address.
import type { Family } from '../../domain/address.ts';
import { parseIp } from '../../domain/address.ts';
import { pwError } from '../../domain/errors.ts';
import type { FirewallBackend, FirewallState } from './backend.ts';
import type { CommandRunner } from './exec.ts';
import { deleteRule, dropChain, ensureChain, ensureRule, hasRule, listChain } from './xtables.ts';

type Dir = 'src' | 'dst';

/** psad's layout (INPUT src, OUTPUT dst, FORWARD both), for IPv4 and IPv6; expiry is done by the reconcile loop. */
export class IptablesBackend implements FirewallBackend {
  readonly name = 'iptables';
  readonly kernelTimeouts = false;
  readonly #run: CommandRunner;
  readonly #prefix: string;

  constructor(run: CommandRunner, prefix = 'PROBEWATCH_BLOCK') {
    // iptables chain names are at most 28 characters; "_FORWARD" is appended
    if (!/^[A-Za-z][A-Za-z0-9_-]{0,19}$/.test(prefix)) throw pwError('PW_ERR_CONFIG_VALUE', ['respond.iptablesChain', `bad chain prefix ${JSON.stringify(prefix)}`]);
    this.#run = run;
    this.#prefix = prefix;
  }

  #chains(): [string, string, Dir[]][] {
    return [['INPUT', `${this.#prefix}_INPUT`, ['src']], ['OUTPUT', `${this.#prefix}_OUTPUT`, ['dst']], ['FORWARD', `${this.#prefix}_FORWARD`, ['src', 'dst']]];
  }

  #spec(ip: string, family: Family, dir: Dir): string[] {
    return [dir === 'src' ? '-s' : '-d', `${ip}/${family === 6 ? 128 : 32}`, '-j', 'DROP'];
  }

  async setup(): Promise<void> {
    for (const f of [4, 6] as const) {
      for (const [from, chain] of this.#chains()) {
        await ensureChain(this.#run, f, chain);
        await ensureRule(this.#run, f, from, ['-j', chain], true);
      }
    }
  }

  async add(ip: string, family: Family, _seconds: number | null): Promise<void> {
    const p = parseIp(ip);
    if (!p) throw pwError('PW_ERR_INVALID_ADDRESS', [ip]);
    for (const [, chain, dirs] of this.#chains()) {
      for (const d of dirs) await ensureRule(this.#run, family, chain, this.#spec(p.text, family, d), false);
    }
  }

  async remove(ip: string, family: Family): Promise<void> {
    const p = parseIp(ip);
    if (!p) throw pwError('PW_ERR_INVALID_ADDRESS', [ip]);
    for (const [, chain, dirs] of this.#chains()) {
      for (const d of dirs) await deleteRule(this.#run, family, chain, this.#spec(p.text, family, d));
    }
  }

  async state(): Promise<FirewallState> {
    let intact = true;
    let addresses: Set<string> | null = null;
    for (const f of [4, 6] as const) {
      const perFamily: Set<string>[] = [];
      for (const [from, chain, dirs] of this.#chains()) {
        const lines = await listChain(this.#run, f, chain);
        if (lines === null || !(await hasRule(this.#run, f, from, ['-j', chain]))) intact = false;
        for (const d of dirs) {
          const found = new Set<string>();
          const flag = d === 'src' ? '-s' : '-d';
          for (const l of lines ?? []) {
            const m = new RegExp(`^-A \\S+ ${flag} (\\S+?)(?:/\\d+)? -j DROP$`).exec(l);
            const p = m ? parseIp(m[1]!) : null;
            if (p) found.add(p.text);
          }
          perFamily.push(found);
        }
      }
      // an address counts as blocked only when every chain has its rule; a partial one is re-applied
      const first = perFamily[0] ?? new Set<string>();
      const all = new Set([...first].filter((a) => perFamily.every((s) => s.has(a))));
      addresses = addresses === null ? all : new Set([...addresses, ...all]);
    }
    return { intact, addresses: addresses ?? new Set() };
  }

  async teardown(): Promise<void> {
    for (const f of [4, 6] as const) {
      for (const [from, chain] of this.#chains()) {
        await deleteRule(this.#run, f, from, ['-j', chain]);
        await dropChain(this.#run, f, chain);
      }
    }
  }
}
