// nftables backend: table `inet <name>` with timeout sets block4/block6 and drop rules in input, forward and output.
import type { Family } from '../../domain/address.ts';
import { parseIp } from '../../domain/address.ts';
import { pwError } from '../../domain/errors.ts';
import type { FirewallBackend, FirewallState } from './backend.ts';
import { firstLine } from './exec.ts';
import type { CommandRunner } from './exec.ts';

/** Chains and the rule count each must have for the table to count as intact. */
const CHAINS = { input: 2, forward: 4, output: 2 } as const;

/** The table definition; addresses are never interpolated here (elements go through add()). */
function tableScript(t: string): string {
  // priority filter - 10: before the distribution's own filter chains, so an accept there cannot undo the block
  return `table inet ${t} {
  set block4 { type ipv4_addr; flags timeout; }
  set block6 { type ipv6_addr; flags timeout; }
  chain input { type filter hook input priority filter - 10; policy accept; ip saddr @block4 drop; ip6 saddr @block6 drop; }
  chain forward { type filter hook forward priority filter - 10; policy accept; ip saddr @block4 drop; ip6 saddr @block6 drop; ip daddr @block4 drop; ip6 daddr @block6 drop; }
  chain output { type filter hook output priority filter - 10; policy accept; ip daddr @block4 drop; ip6 daddr @block6 drop; }
}
`;
}

interface NftItem {
  set?: { name: string; elem?: (string | { elem?: { val?: unknown } })[] };
  chain?: { name: string };
  rule?: { chain: string };
}

/** Blocks through an nftables table of its own (default backend where `nft` exists). */
export class NftablesBackend implements FirewallBackend {
  readonly name = 'nftables';
  readonly kernelTimeouts = true;
  readonly #run: CommandRunner;
  readonly #table: string;

  constructor(run: CommandRunner, table = 'probewatch') {
    if (!/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(table)) throw pwError('PW_ERR_CONFIG_VALUE', ['respond.nftTable', `bad table name ${JSON.stringify(table)}`]);
    this.#run = run;
    this.#table = table;
  }

  async #nft(script: string, what: string): Promise<void> {
    const r = await this.#run(['nft', '-f', '-'], script);
    if (r.code !== 0) throw pwError('PW_ERR_FIREWALL', ['nftables', `${what}: ${firstLine(r)}`]);
  }

  async setup(): Promise<void> {
    const st = await this.state();
    if (st.intact) return;
    // a damaged table (someone flushed a chain or deleted a set) is rebuilt whole, atomically; the reconcile loop
    // re-adds the entries from the store right after
    await this.#nft(`add table inet ${this.#table}\ndelete table inet ${this.#table}\n${tableScript(this.#table)}`, 'create table');
  }

  async add(ip: string, family: Family, seconds: number | null): Promise<void> {
    const p = parseIp(ip);
    if (!p) throw pwError('PW_ERR_INVALID_ADDRESS', [ip]);
    const set = family === 6 ? 'block6' : 'block4';
    const t = seconds === null ? '' : ` timeout ${Math.max(1, Math.ceil(seconds))}s`;
    const el = `add element inet ${this.#table} ${set} { ${p.text} }`;
    // add+delete+add in one transaction: replaces an existing entry's timeout, and never fails on a missing one
    await this.#nft(`${el}\ndelete element inet ${this.#table} ${set} { ${p.text} }\nadd element inet ${this.#table} ${set} { ${p.text}${t} }\n`, `add ${p.text}`);
  }

  async remove(ip: string, family: Family): Promise<void> {
    const p = parseIp(ip);
    if (!p) throw pwError('PW_ERR_INVALID_ADDRESS', [ip]);
    const set = family === 6 ? 'block6' : 'block4';
    await this.#nft(`add element inet ${this.#table} ${set} { ${p.text} }\ndelete element inet ${this.#table} ${set} { ${p.text} }\n`, `remove ${p.text}`);
  }

  async state(): Promise<FirewallState> {
    const r = await this.#run(['nft', '-j', 'list', 'table', 'inet', this.#table]);
    if (r.code !== 0) return { intact: false, addresses: new Set() };
    let items: NftItem[];
    try {
      items = (JSON.parse(r.stdout) as { nftables?: NftItem[] }).nftables ?? [];
    } catch {
      return { intact: false, addresses: new Set() };
    }
    const addresses = new Set<string>();
    const sets = new Set<string>();
    const rules: Record<string, number> = {};
    const chains = new Set<string>();
    for (const it of items) {
      if (it.set) {
        sets.add(it.set.name);
        for (const e of it.set.elem ?? []) {
          const v = typeof e === 'string' ? e : e.elem?.val;
          const p = typeof v === 'string' ? parseIp(v) : null;
          if (p) addresses.add(p.text);
        }
      } else if (it.chain) {
        chains.add(it.chain.name);
      } else if (it.rule) {
        rules[it.rule.chain] = (rules[it.rule.chain] ?? 0) + 1;
      }
    }
    const intact = sets.has('block4') && sets.has('block6')
      && Object.entries(CHAINS).every(([c, n]) => chains.has(c) && (rules[c] ?? 0) >= n);
    return { intact, addresses };
  }

  async teardown(): Promise<void> {
    await this.#nft(`add table inet ${this.#table}\ndelete table inet ${this.#table}\n`, 'delete table');
  }
}
