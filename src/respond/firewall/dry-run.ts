// Dry-run backend: remembers what it would have done and never touches the firewall.
import type { Family } from '../../domain/address.ts';
import type { FirewallBackend, FirewallState } from './backend.ts';

/** Records decisions in memory only; `wouldBe` names the real backend for messages. */
export class DryRunBackend implements FirewallBackend {
  readonly name = 'dry-run';
  readonly kernelTimeouts = false;
  readonly #entries = new Set<string>();
  readonly wouldBe: string;

  constructor(wouldBe: string) {
    this.wouldBe = wouldBe;
  }

  setup(): Promise<void> {
    return Promise.resolve();
  }

  add(ip: string, _family: Family, _seconds: number | null): Promise<void> {
    this.#entries.add(ip);
    return Promise.resolve();
  }

  remove(ip: string, _family: Family): Promise<void> {
    this.#entries.delete(ip);
    return Promise.resolve();
  }

  state(): Promise<FirewallState> {
    return Promise.resolve({ intact: true, addresses: new Set(this.#entries) });
  }

  teardown(): Promise<void> {
    this.#entries.clear();
    return Promise.resolve();
  }
}
