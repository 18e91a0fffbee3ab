// ipset backend: hash:ip sets NAME4/NAME6 with per-entry timeouts, matched by iptables/ip6tables DROP rules.
import type { Family } from '../../domain/address.ts';
import { parseIp } from '../../domain/address.ts';
import { pwError } from '../../domain/errors.ts';
import type { FirewallBackend, FirewallState } from './backend.ts';
import { firstLine } from './exec.ts';
import type { CommandRunner } from './exec.ts';
import { deleteRule, ensureRule, hasRule } from './xtables.ts';

/** One kernel lookup per packet however many addresses are blocked (psad issue #9: long chains peg ksoftirqd). */
export class IpsetBackend implements FirewallBackend {
  readonly name = 'ipset';
  readonly kernelTimeouts = true;
  readonly #run: CommandRunner;
  readonly #base: string;

  constructor(run: CommandRunner, base = 'probewatch') {
    // ipset names are at most 31 characters; the family digit is appended
    if (!/^[A-Za-z][A-Za-z0-9_-]{0,29}$/.test(base)) throw pwError('PW_ERR_CONFIG_VALUE', ['respond.ipsetName', `bad set name ${JSON.stringify(base)}`]);
    this.#run = run;
    this.#base = base;
  }

  #set(f: Family): string {
    return `${this.#base}${f}`;
  }

  /** The iptables rules that use the sets: chain and match spec. */
  #rules(f: Family): [string, string[]][] {
    const s = this.#set(f);
    const m = (dir: string): string[] => ['-m', 'set', '--match-set', s, dir, '-j', 'DROP'];
    return [['INPUT', m('src')], ['FORWARD', m('src')], ['FORWARD', m('dst')], ['OUTPUT', m('dst')]];
  }

  async #ipset(argv: string[], what: string): Promise<void> {
    const r = await this.#run(['ipset', ...argv]);
    if (r.code !== 0) throw pwError('PW_ERR_FIREWALL', ['ipset', `${what}: ${firstLine(r)}`]);
  }

  async setup(): Promise<void> {
    for (const f of [4, 6] as const) {
      await this.#ipset(['create', this.#set(f), 'hash:ip', 'family', f === 6 ? 'inet6' : 'inet', 'timeout', '0', 'maxelem', '1048576', '-exist'], `create ${this.#set(f)}`);
      for (const [chain, spec] of this.#rules(f)) await ensureRule(this.#run, f, chain, spec, true);
    }
  }

  async add(ip: string, family: Family, seconds: number | null): Promise<void> {
    const p = parseIp(ip);
    if (!p) throw pwError('PW_ERR_INVALID_ADDRESS', [ip]);
    // timeout 0 = permanent in a set created with timeouts; -exist replaces the timeout of an existing entry
    const t = seconds === null ? 0 : Math.max(1, Math.ceil(seconds));
    await this.#ipset(['add', this.#set(family), p.text, 'timeout', String(t), '-exist'], `add ${p.text}`);
  }

  async remove(ip: string, family: Family): Promise<void> {
    const p = parseIp(ip);
    if (!p) throw pwError('PW_ERR_INVALID_ADDRESS', [ip]);
    await this.#ipset(['del', this.#set(family), p.text, '-exist'], `remove ${p.text}`);
  }

  async state(): Promise<FirewallState> {
    const addresses = new Set<string>();
    let intact = true;
    for (const f of [4, 6] as const) {
      const r = await this.#run(['ipset', 'save', this.#set(f)]);
      if (r.code !== 0) {
        intact = false;
        continue;
      }
      for (const line of r.stdout.split('\n')) {
        const m = /^add \S+ (\S+)/.exec(line);
        const p = m ? parseIp(m[1]!) : null;
        if (p) addresses.add(p.text);
      }
      for (const [chain, spec] of this.#rules(f)) {
        if (!(await hasRule(this.#run, f, chain, spec))) intact = false;
      }
    }
    return { intact, addresses };
  }

  async teardown(): Promise<void> {
    for (const f of [4, 6] as const) {
      for (const [chain, spec] of this.#rules(f)) await deleteRule(this.#run, f, chain, spec);
      await this.#run(['ipset', 'destroy', this.#set(f)]);
    }
  }
}
