// psad's ENABLE_INTF_LOCAL_NETS: the networks of this machine's interfaces (lo and dummy* left out) as HOME_NET entries.
import { networkInterfaces } from 'node:os';
import type { NetworkInterfaceInfo } from 'node:os';
import { parseIp } from '../domain/address.ts';

/** Interfaces as `os.networkInterfaces()` describes them (injectable for tests). */
export type InterfaceTable = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** `ADDR/BITS` with the host bits cleared (psad lists `$net->network()->cidr()`), or null for an unreadable entry. */
function networkOf(address: string, bits: number): string | null {
  const ip = parseIp(address.replace(/%.*$/, ''));
  if (!ip) return null;
  const bytes = Uint8Array.from(ip.bytes);
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    bytes[i]! &= (0xff << (8 - keep)) & 0xff;
  }
  if (ip.family === 4) return `${bytes.join('.')}/${bits}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  const net = parseIp(groups.join(':'));
  return net ? `${net.text}/${bits}` : null;
}

/**
 * The connected networks psad's get_connected_subnets (psad:3773) finds in `ip addr`: every IPv4 and IPv6 address of
 * every interface except `lo` and names containing "dummy", as its network; each network once, in interface order.
 */
export function localNetworks(table: InterfaceTable = networkInterfaces()): string[] {
  const out: string[] = [];
  for (const [name, addrs] of Object.entries(table)) {
    if (name === 'lo' || /dummy/i.test(name) || !addrs) continue;
    for (const a of addrs) {
      const bits = Number(a.cidr?.split('/')[1] ?? (a.family === 'IPv4' ? 32 : 128));
      const net = networkOf(a.address, bits);
      if (net !== null && !out.includes(net)) out.push(net);
    }
  }
  return out;
}
