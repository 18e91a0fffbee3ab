// Which registry holds an address, from the IANA IPv4 address space and IPv6 unicast assignment registries (kept here).
//
// Provenance: IANA "IPv4 Address Space" registry (ipv4-address-space.csv, WHOIS and Status columns, one /8 per entry) and
// IANA "IPv6 Global Unicast Address Assignments" (ipv6-unicast-address-assignments.csv), as published by IANA at
// https://www.iana.org/assignments/ipv4-address-space/ and https://www.iana.org/assignments/ipv6-unicast-address-assignments/
// (snapshot of the 2024/2025 editions; IANA has made no new /8 or /12 RIR allocations since). Legacy /8s are listed under the
// RIR that administers them; addresses transferred between RIRs are found by following referrals (whois-client.ts).
import type { Registry } from '../../domain/enrichment.ts';
import { parseIp } from '../../domain/address.ts';
import type { ParsedIp } from '../../domain/address.ts';

/** One character per /8 (index = first octet): A ARIN, R RIPE NCC, P APNIC, L LACNIC, F AFRINIC, - IANA reserved. */
const V4_WHOIS = '-PRAARAAAA-AAAPAAAAAAAAAARAPAAARAAAAPRAPAFPPAARAAPARARAAARPPPPRAAAAAAAAAAAAAARRRRRRRRRRRRRRRRRRRAAAAAPFPAFPAARPPPPPPPPPPPPPPPPP-AAAAAPAAAAAAARAAARAAAAPRAPFAAAAAAAAPAAAAAAAPAAAPRLRLPLPPARLLRLLLARRRFFAALLPPAAAAAAPPRRAAARPPPPPP--------------------------------';

/** One character per /8: A allocated to a RIR, L legacy (administered by a RIR), R reserved (private, loopback, multicast…). */
const V4_STATUS = 'RAALLALLLLRLLLALLLLLLLLAALLALLLALLLLAALALAALLLALLAALLLLLLLAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAARLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLAAAAAAAAAAAAAAALAALLAAALALAAAAAAAAAAAAAAALLAAAAAAAARRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR';

/** IPv6 unicast assignments to RIRs (prefix, registry), most specific first where they nest. */
const V6_ASSIGNMENTS: readonly (readonly [string, Registry])[] = [
  ['2001:200::/23', 'apnic'], ['2001:400::/23', 'arin'], ['2001:600::/23', 'ripe'], ['2001:800::/22', 'ripe'],
  ['2001:c00::/23', 'apnic'], ['2001:e00::/23', 'apnic'], ['2001:1200::/23', 'lacnic'], ['2001:1400::/22', 'ripe'],
  ['2001:1800::/23', 'arin'], ['2001:1a00::/23', 'ripe'], ['2001:1c00::/22', 'ripe'], ['2001:2000::/19', 'ripe'],
  ['2001:4000::/23', 'ripe'], ['2001:4200::/23', 'afrinic'], ['2001:4400::/23', 'apnic'], ['2001:4600::/23', 'ripe'],
  ['2001:4800::/23', 'arin'], ['2001:4a00::/23', 'ripe'], ['2001:4c00::/23', 'ripe'], ['2001:5000::/20', 'ripe'],
  ['2001:8000::/19', 'apnic'], ['2001:a000::/20', 'apnic'], ['2001:b000::/20', 'apnic'], ['2003::/18', 'ripe'],
  ['2400::/12', 'apnic'], ['2600::/12', 'arin'], ['2610::/23', 'arin'], ['2620::/23', 'arin'], ['2630::/12', 'arin'],
  ['2800::/12', 'lacnic'], ['2a00::/12', 'ripe'], ['2a10::/12', 'ripe'], ['2c00::/12', 'afrinic'],
];

const V4_CODES: Record<string, Registry> = { A: 'arin', R: 'ripe', P: 'apnic', L: 'lacnic', F: 'afrinic' };

interface V6Net { bytes: Uint8Array; prefix: number; registry: Registry }
const V6_NETS: V6Net[] = V6_ASSIGNMENTS.map(([cidr, registry]) => {
  const [a, l] = cidr.split('/');
  const p = parseIp(a ?? '');
  if (!p) throw new Error(`bad IANA prefix ${cidr}`);
  return { bytes: p.bytes, prefix: Number(l), registry };
});

function inNet(ip: Uint8Array, n: V6Net): boolean {
  const full = n.prefix >> 3;
  for (let i = 0; i < full; i++) if (ip[i] !== n.bytes[i]) return false;
  const rem = n.prefix & 7;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return ((ip[full] as number) & mask) === ((n.bytes[full] as number) & mask);
}

/** Where an address belongs: its registry, or why none (reserved, private, documentation, special-purpose). */
export type RegistryAnswer = { registry: Registry; legacy: boolean } | { registry: null; reason: string };

/** The RIR responsible for an address according to IANA's tables. */
export function registryFor(ip: ParsedIp): RegistryAnswer {
  if (ip.family === 4) {
    const o = ip.bytes[0]!;
    const code = V4_WHOIS[o]!;
    const reg = V4_CODES[code];
    if (!reg) return { registry: null, reason: `IANA reserved ${o}/8` };
    // special-purpose ranges inside RIR /8s that no registry answers for usefully
    const b1 = ip.bytes[1]!;
    const b2 = ip.bytes[2]!;
    if (o === 172 && b1 >= 16 && b1 <= 31) return { registry: null, reason: 'private address (RFC 1918)' };
    if (o === 192 && b1 === 168) return { registry: null, reason: 'private address (RFC 1918)' };
    if (o === 169 && b1 === 254) return { registry: null, reason: 'link-local address' };
    if (o === 100 && b1 >= 64 && b1 <= 127) return { registry: null, reason: 'shared address space (RFC 6598)' };
    if ((o === 192 && b1 === 0 && b2 === 2) || (o === 198 && b1 === 51 && b2 === 100) || (o === 203 && b1 === 0 && b2 === 113)) {
      return { registry: null, reason: 'documentation address (RFC 5737)' };
    }
    if (o === 198 && (b1 === 18 || b1 === 19)) return { registry: null, reason: 'benchmarking address (RFC 2544)' };
    return { registry: reg, legacy: V4_STATUS[o] === 'L' };
  }
  const b = ip.bytes;
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return { registry: null, reason: 'documentation address (RFC 3849)' };
  let best: V6Net | null = null;
  for (const n of V6_NETS) if (inNet(b, n) && (!best || n.prefix > best.prefix)) best = n;
  if (best) return { registry: best.registry, legacy: false };
  if ((b[0]! & 0xfe) === 0xfc) return { registry: null, reason: 'unique local address (RFC 4193)' };
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return { registry: null, reason: 'link-local address' };
  return { registry: null, reason: 'not assigned to a regional registry by IANA' };
}
