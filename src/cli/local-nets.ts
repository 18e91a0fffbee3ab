// psad's ENABLE_INTF_LOCAL_NETS: the networks of this machine's interfaces (lo and dummy* left out) as HOME_NET entries.
import { networkInterfaces } from 'node:os';
import type { NetworkInterfaceInfo } from 'node:os';
import { parseCidr } from '../domain/address.ts';

/** Interfaces as `os.networkInterfaces()` describes them (injectable for tests). */
export type InterfaceTable = NodeJS.Dict<NetworkInterfaceInfo[]>;

/**
 * The connected networks psad's get_connected_subnets (psad:3773) finds in `ip addr`: every IPv4 and IPv6 address of
 * every interface except `lo` and names containing "dummy", as its network (`$net->network()->cidr()`: host bits
 * cleared); each network once, in interface order.
 */
export function localNetworks(table: InterfaceTable = networkInterfaces()): string[] {
  const out: string[] = [];
  for (const [name, addrs] of Object.entries(table)) {
    if (name === 'lo' || /dummy/i.test(name) || !addrs) continue;
    for (const a of addrs) {
      // Node gives cidr null for an invalid netmask: the address alone is then a host network
      const net = parseCidr(a.cidr ?? a.address.replace(/%.*$/, ''));
      if (net !== null && !out.includes(net.text)) out.push(net.text);
    }
  }
  return out;
}
