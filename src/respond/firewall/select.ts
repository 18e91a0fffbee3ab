// Picks the firewall backend: the configured one, or for "auto" nftables where nft works, else ipset, else iptables.
import { pwError } from '../../domain/errors.ts';
import type { FirewallBackend } from './backend.ts';
import { DryRunBackend } from './dry-run.ts';
import type { CommandRunner } from './exec.ts';
import { IpsetBackend } from './ipset.ts';
import { IptablesBackend } from './iptables.ts';
import { NftablesBackend } from './nftables.ts';

/** The settings the choice depends on. */
export interface BackendOptions {
  /** respond.blockBackend. */
  kind: string;
  /** respond.nftTable. */
  nftTable: string;
  /** respond.ipsetName. */
  ipsetName: string;
  /** respond.iptablesChain. */
  iptablesChain: string;
  /** Wrap in a dry-run backend. */
  dryRun: boolean;
}

async function works(run: CommandRunner, argv: string[]): Promise<boolean> {
  try {
    return (await run(argv)).code === 0;
  } catch {
    return false; // ENOENT: the tool is not installed
  }
}

/** Resolves "auto" by probing the tools; returns null for "none". */
export async function selectBackend(run: CommandRunner, o: BackendOptions): Promise<FirewallBackend | null> {
  let kind = o.kind;
  if (kind === 'none') return null;
  if (kind === 'auto') {
    if (await works(run, ['nft', '--version'])) kind = 'nftables';
    else if ((await works(run, ['ipset', '--version'])) && (await works(run, ['iptables', '--version']))) kind = 'ipset';
    else if (await works(run, ['iptables', '--version'])) kind = 'iptables';
    else if (o.dryRun) kind = 'none';
    else throw pwError('PW_ERR_NO_FIREWALL', ['none of nft, ipset+iptables, iptables runs here (install nftables, or set respond.blockBackend: none)']);
  }
  let backend: FirewallBackend;
  switch (kind) {
    case 'nftables': backend = new NftablesBackend(run, o.nftTable); break;
    case 'ipset': backend = new IpsetBackend(run, o.ipsetName); break;
    case 'iptables': backend = new IptablesBackend(run, o.iptablesChain); break;
    default: backend = new DryRunBackend('none');
  }
  return o.dryRun ? new DryRunBackend(backend.name) : backend;
}
