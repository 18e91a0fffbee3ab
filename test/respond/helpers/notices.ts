// Scan notices for tests: a SYN scan to one or more destinations, at a given danger level.
import type { DangerLevel } from '../../../src/domain/profile.ts';
import type { DestinationActivity, ScanNotice } from '../../../src/domain/response.ts';

/** A TCP SYN scan of ports lo..hi from `ip` to `dst`, logged in INPUT with prefix "DROP". */
export function synTo(dst: string, lo = 1000, hi = 1500, packets = hi - lo + 1): DestinationActivity {
  return {
    dst,
    tcp: { low: lo, high: hi, packets, flags: [{ flags: 'SYN', packets }], chains: [{ chain: 'INPUT', prefix: 'DROP', packets }] },
    tcpRange: { low: lo, high: hi },
    stats: [{ chain: 'INPUT', intf: 'eth0', proto: 'tcp', packets }],
    totalProtocols: 1,
    sensors: ['sensor1'],
    firstSeen: Date.UTC(2026, 2, 11, 20, 35, 11),
  };
}

/** A notice for `ip` at `level` (previous level `previous`) covering `dsts`. */
export function notice(ip: string, level: DangerLevel, dsts: string[] = ['192.0.2.10'], previous: DangerLevel = 0, extra: Partial<ScanNotice> = {}): ScanNotice {
  return {
    ip, level, previous, time: Date.UTC(2026, 2, 11, 20, 40, 0), reason: 'packets', packets: 501 * dsts.length, prefixes: ['DROP'],
    scanTypes: ['Nmap -sT or -sS'], destinations: dsts.map((d) => synTo(d)), ...extra,
  };
}
