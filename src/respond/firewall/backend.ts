// The firewall backend port: idempotent set-up, add/remove one address, and what is in the firewall now.
import type { Family } from '../../domain/address.ts';

/** What the firewall holds right now. */
export interface FirewallState {
  /** Whether our tables/sets/chains/jumps are all in place (false after a firewall reload or flush). */
  intact: boolean;
  /** Blocked addresses present (canonical text). */
  addresses: Set<string>;
}

/** A firewall that can block source addresses (IPv4 and IPv6). */
export interface FirewallBackend {
  /** "nftables", "ipset", "iptables", "dry-run". */
  readonly name: string;
  /** True when the kernel expires entries itself (nftables and ipset timeouts); iptables needs the reconcile loop. */
  readonly kernelTimeouts: boolean;
  /** Creates (or re-creates, when broken) the structures; keeps existing entries when they are intact. */
  setup(): Promise<void>;
  /** Blocks `ip` for `seconds` (null = permanent), replacing any existing entry's timeout. */
  add(ip: string, family: Family, seconds: number | null): Promise<void>;
  /** Removes the block of `ip`; no error when it is not there. */
  remove(ip: string, family: Family): Promise<void>;
  /** Reads the firewall. */
  state(): Promise<FirewallState>;
  /** Removes everything probewatch created (tables, sets, chains, jump rules). */
  teardown(): Promise<void>;
}
