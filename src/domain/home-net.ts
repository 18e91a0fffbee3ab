// HOME_NET as psad.conf and probewatch settings write it: CIDR or dotted-netmask networks, comma lists, "any"/NOT_USED.
import { parseCidr, parseIp, parseIpv4Bytes } from './address.ts';
import type { Cidr } from './address.ts';
import { pwError } from './errors.ts';

/** Entries meaning "no network configured" (psad's default `any`; `NOT_USED` from older psad.conf files). */
const NONE = /^(any|not_?used)$/i;

/**
 * Parses HOME_NET entries as psad.conf allows them — `192.168.10.0/24`, `192.168.10.0/255.255.255.0`, a bare address,
 * an IPv6 network `2001:db8::/32`, several in one entry separated by commas, in Snort brackets `[a, b]` — wherever
 * HOME_NET is read (detection, the never-block guard, the block commands). Returns null when no network is configured
 * (empty, `any`, `NOT_USED`; psad treats such entries as "every address", which for the guard means nothing extra).
 * A malformed entry throws PW_ERR_HOME_NET naming `key`, the entry and what is wrong with it: psad silently skips
 * entries it cannot read, which leaves a mistyped network unprotected.
 */
export function parseHomeNet(entries: readonly string[], key: string): Cidr[] | null {
  const nets: Cidr[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    for (const raw of entry.split(',')) {
      const token = raw.replace(/[[\]]/g, '').trim();
      if (token === '' || NONE.test(token)) continue;
      const c = parseCidr(token);
      if (!c) throw pwError('PW_ERR_HOME_NET', [JSON.stringify(token), key, whyNot(token)], { key, entry: token });
      if (seen.has(c.text)) continue;
      seen.add(c.text);
      nets.push(c);
    }
  }
  return nets.length > 0 ? nets : null;
}

/** HOME_NET entries in CIDR form, or `['any']` when none is configured (what signature variables expand to). */
export function homeNetText(entries: readonly string[], key: string): string[] {
  return parseHomeNet(entries, key)?.map((c) => c.text) ?? ['any'];
}

/** What is wrong with an entry parseCidr refused. */
function whyNot(token: string): string {
  const slash = token.indexOf('/');
  const addr = slash === -1 ? token : token.slice(0, slash);
  const ip = parseIp(addr);
  if (!ip) return `"${addr}" is not an IPv4 or IPv6 address (want ADDR, ADDR/LEN or IPv4 ADDR/NETMASK, comma-separated; "any" for none)`;
  const mask = token.slice(slash + 1);
  if (/^\d+$/.test(mask)) return `prefix length /${mask} is longer than ${ip.family === 4 ? 32 : 128} bits`;
  if (ip.family === 6) return `an IPv6 network takes a prefix length (2001:db8::/32), not "${mask}"`;
  if (!parseIpv4Bytes(mask)) return `"${mask}" is neither a prefix length nor a dotted netmask`;
  return `netmask ${mask} is not contiguous (its one bits must come first, as in 255.255.255.0)`;
}
