// The never-block rules: this machine's addresses, loopback, unspecified, link-local, multicast, HOME_NET, the allowlist.
import { networkInterfaces } from 'node:os';
import { CidrSet, parseCidr, parseIp } from '../domain/address.ts';
import type { Cidr } from '../domain/address.ts';
import { pwError } from '../domain/errors.ts';
import { parseHomeNet } from '../domain/home-net.ts';

/** Settings of the guard. */
export interface NeverBlockOptions {
  /** Allowlisted addresses and networks. */
  allowlist: readonly string[];
  /** HOME_NET entries as psad.conf writes them (CIDR, IPv4 netmask, comma lists; "any"/NOT_USED/empty = none). */
  homeNet: readonly string[];
  /** Setting named when a HOME_NET entry is malformed (default respond.homeNet). */
  homeNetKey?: string;
  /** This machine's addresses; defaults to os.networkInterfaces(), re-read at most every 30 s (DHCP, SLAAC). */
  localAddresses?: () => readonly string[];
}

const ALWAYS: readonly [string, string][] = [
  ['0.0.0.0/32', 'the unspecified address'],
  ['::/128', 'the unspecified address'],
  ['127.0.0.0/8', 'a loopback address'],
  ['::1/128', 'a loopback address'],
  // a router's advertisements and neighbour discovery come from link-local sources: blocking one cuts IPv6 off
  ['fe80::/10', 'a link-local address'],
  ['169.254.0.0/16', 'a link-local address'],
  ['224.0.0.0/4', 'a multicast address'],
  ['ff00::/8', 'a multicast address'],
  ['255.255.255.255/32', 'the broadcast address'],
];

function nets(list: readonly string[], what: string): Cidr[] {
  const out: Cidr[] = [];
  for (const s of list) {
    if (s.trim() === '' || s.trim().toLowerCase() === 'any') continue;
    const c = parseCidr(s);
    if (!c) throw pwError('PW_ERR_CONFIG_VALUE', [what, `not an address or network: ${JSON.stringify(s)}`]);
    out.push(c);
  }
  return out;
}

function systemAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.push(a.address);
  return out;
}

/** Answers "may this address be blocked?" with the reason when it may not. */
export class NeverBlock {
  readonly #always: { net: Cidr; why: string }[];
  readonly #home: CidrSet;
  readonly #allow: CidrSet;
  readonly #local: () => readonly string[];
  #localSet = new Set<string>();
  #localAt = -Infinity;

  constructor(opts: NeverBlockOptions) {
    this.#always = ALWAYS.map(([n, why]) => ({ net: parseCidr(n)!, why }));
    this.#home = new CidrSet(parseHomeNet(opts.homeNet, opts.homeNetKey ?? 'respond.homeNet') ?? []);
    this.#allow = new CidrSet(nets(opts.allowlist, 'respond.allowlist'));
    this.#local = opts.localAddresses ?? systemAddresses;
  }

  #locals(): Set<string> {
    const now = Date.now();
    if (now - this.#localAt > 30_000) {
      const set = new Set<string>();
      for (const a of this.#local()) {
        const p = parseIp(a);
        if (p) set.add(p.text);
      }
      this.#localSet = set;
      this.#localAt = now;
    }
    return this.#localSet;
  }

  /** Null when `ip` may be blocked, else why not. Throws PW_ERR_INVALID_ADDRESS for a non-address. */
  reason(ip: string): string | null {
    const p = parseIp(ip);
    if (!p) throw pwError('PW_ERR_INVALID_ADDRESS', [ip]);
    for (const { net, why } of this.#always) {
      if (this.#contains(net, p.text)) return `${p.text} is ${why}`;
    }
    if (this.#locals().has(p.text)) return `${p.text} is an address of this machine`;
    if (this.#home.has(p)) return `${p.text} is in HOME_NET (${this.#matching(this.#home, p.text)})`;
    if (this.#allow.has(p)) return `${p.text} is allowlisted (${this.#matching(this.#allow, p.text)})`;
    return null;
  }

  #contains(net: Cidr, ip: string): boolean {
    return new CidrSet([net]).has(ip);
  }

  #matching(set: CidrSet, ip: string): string {
    return set.networks.find((n) => new CidrSet([n]).has(ip))?.text ?? '';
  }
}
