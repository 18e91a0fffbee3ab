// psad's alert texts, byte for byte against psad 2.4.6's own output (fixtures/cases/respond-psad-alerts/SOURCE.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DestinationActivity, ScanNotice } from '../../src/domain/response.ts';
import { alertSyslogLines, emailBody, scanDetectedLine, scanStyle } from '../../src/respond/psad-format.ts';

process.env.TZ = 'UTC';
const DIR = join(import.meta.dirname, '../../fixtures/cases/respond-psad-alerts');
const read = (f: string): string => readFileSync(join(DIR, f), 'utf8');
const headerTime = (email: string): number => Date.parse(`${/= (\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}) =/.exec(email)![1]!} UTC`);

const SRC = '192.168.10.55';
const DST = '192.168.10.1';
const base = (level: 0 | 1 | 2 | 3 | 4 | 5, d: DestinationActivity): ScanNotice => ({
  ip: SRC, previous: 0, level, time: 0, reason: 'packets', packets: 0, prefixes: ['DROP'], scanTypes: [], destinations: [d],
  context: { os: ['SunOS:4.1::SunOS 4.1.x'] },
});

const sig = (sid: number, msg: string, dport: number, classtype: string, psadId = false) => ({ sid, msg, proto: 'tcp', dport, flags: 'SYN', chain: 'INPUT', packets: 2, psadId, classtype, fwsnort: false });

const CASES: Record<string, ScanNotice> = {
  syn_scan_1000_1500: base(3, {
    dst: DST,
    tcp: { low: 1000, high: 1500, packets: 1002, flags: [{ flags: 'SYN', packets: 1002 }], chains: [{ chain: 'INPUT', prefix: 'DROP', packets: 1002 }] },
    tcpRange: { low: 1000, high: 1500 }, stats: [{ chain: 'INPUT', intf: 'eth1', proto: 'tcp', packets: 1002 }], totalProtocols: 1, sensors: ['linux'],
    firstSeen: Date.UTC(2026, 2, 11, 20, 35, 11),
    signatures: [
      sig(505, 'MISC Insecure TIMBUKTU communication attempt', 1417, 'bad-unknown'), sig(1985, 'BACKDOOR Doly 1.5 Connection attempt', 1015, 'trojan-activity'),
      sig(1383, 'P2P Fastrack kazaa/morpheus communication attempt', 1214, 'policy-violation'), sig(100205, 'MISC Microsoft SQL Server communication attempt', 1433, 'attempted-admin', true),
    ],
  }),
  udp_scan_1000_1150: { ...base(3, {
    dst: DST, udp: { low: 1000, high: 1150, packets: 302, chains: [{ chain: 'INPUT', prefix: 'DROP', packets: 302 }] }, udpRange: { low: 1000, high: 1150 },
    stats: [{ chain: 'INPUT', intf: 'eth1', proto: 'udp', packets: 302 }], totalProtocols: 1, sensors: ['linux'], firstSeen: Date.UTC(2026, 2, 11, 20, 41, 4),
  }), context: {} },
  mirai_default_credentials_scan: base(1, {
    dst: DST, labels: ['mirai'],
    tcp: { low: 23, high: 2323, packets: 11, flags: [{ flags: 'SYN', packets: 11 }], chains: [{ chain: 'INPUT', prefix: 'DROP', packets: 11 }] },
    tcpRange: { low: 23, high: 2323 }, stats: [{ chain: 'INPUT', intf: 'eth1', proto: 'tcp', packets: 11 }], totalProtocols: 1, sensors: ['linux'],
    firstSeen: Date.UTC(2026, 1, 11, 20, 36, 51),
  }),
};

describe.each(Object.keys(CASES))('%s', (name) => {
  const n = CASES[name]!;
  it('syslog lines equal psad\'s', () => {
    expect(alertSyslogLines(n, DST, { signatures: true, threshold: 10 }).join('\n')).toBe(read(`${name}.syslog`).trimEnd());
  });
  it('email alert equals psad\'s', () => {
    const want = read(`${name}.email`);
    expect(emailBody(n, DST, { now: headerTime(want), counter: 0, dns: false })).toBe(want);
  });
});

describe('scan style edge cases (psad quirks kept)', () => {
  const d = (flags: string[], extra: Partial<DestinationActivity> = {}): DestinationActivity => ({
    dst: DST, firstSeen: 0, tcp: { low: 1, high: 2, packets: 2, flags: flags.map((f) => ({ flags: f, packets: 1 })), chains: [] }, ...extra,
  });
  it('names nmap options per flag set, and psad\'s odd spellings for unknown sets and mixed scans', () => {
    expect(scanStyle(d(['FIN']))).toBe('Nmap -sF scan');
    expect(scanStyle(d(['URG PSH FIN', 'NULL']))).toBe('Nmap -sX scan, -sN scan');
    expect(scanStyle(d(['SYN ACK']))).toBe('Nmap  scan');
    expect(scanStyle(d(['SYN'], { udp: { low: 53, high: 53, packets: 1, chains: [] } }))).toBe('Nmap -sT or -sS scan, -sU scan');
    expect(scanStyle(d(['SYN'], { labels: ['port-sweep'] }))).toBe('Port sweep SYN scan');
    expect(scanStyle({ dst: DST, firstSeen: 0, protocolScan: 7, icmp: { packets: 3, chains: [] } })).toBe('Nmap -sO IP protocol scan');
    expect(scanDetectedLine('2001:db8::7', { dst: '2001:db8::1', firstSeen: 0, icmp: { packets: 3, chains: [] } }, 2, 1))
      .toBe('scan detected 2001:0db8:0000:0000:0000:0000:0000:0007 -> 2001:0db8:0000:0000:0000:0000:0000:0001 icmp pkts: 3 DL: 2 total scan dsts: 1');
  });
});
