// Core parser: every kernel LOG field, IPv4/IPv6, each protocol class, headers, psad compatibility rules.
import { describe, expect, it } from 'vitest';
import type { PacketEvent } from '../../src/domain/events.ts';
import { FirewallLineParser } from '../../src/logs/parse-line.ts';
import type { ParseResult } from '../../src/logs/parse-types.ts';

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0); // 2026-11-27

function parser(opts: ConstructorParameters<typeof FirewallLineParser>[0] = {}): FirewallLineParser {
  return new FirewallLineParser({ timezone: 'UTC', now: () => NOW, bootTimeMs: Date.UTC(2026, 10, 1), ...opts });
}

function packet(r: ParseResult): PacketEvent {
  if (r.kind !== 'packet') throw new Error(`expected a packet, got ${JSON.stringify(r)}`);
  return r.event;
}

describe('IPv4 TCP (real iptables LOG line, corpus c1)', () => {
  const line = 'Nov 26 14:22:44 sensor kernel: [ 300.027400] DROP IN=eth0 OUT= MAC=02:00:00:00:00:02:0e:79:ae:75:9c:85:08:00 SRC=203.0.113.10 DST=203.0.113.1 LEN=44 TOS=0x00 PREC=0x00 TTL=53 ID=373 PROTO=TCP SPT=36906 DPT=139 WINDOW=1024 RES=0x00 SYN URGP=0 OPT (020405B4)';
  it('reads every field', () => {
    const e = packet(parser().parse(line, 7));
    expect(e).toMatchObject({
      time: Date.UTC(2026, 10, 26, 14, 22, 44), timeSource: 'syslog', host: 'sensor', prefix: 'DROP', chain: 'INPUT',
      inIf: 'eth0', outIf: '', mac: '02:00:00:00:00:02:0e:79:ae:75:9c:85:08:00', family: 4, src: '203.0.113.10',
      dst: '203.0.113.1', len: 44, tos: 0, prec: 0, ttl: 53, ipId: 373, df: false, mf: false, ce: false, ipOptGroups: 0,
      proto: 6, sport: 36906, dport: 139, window: 1024, res: 0, flags: 0x02, urgp: 0, tcpOptions: '020405B4', line: 7,
    });
    expect(e.ipOptions).toBeUndefined();
    expect(e.seq).toBeUndefined();
  });
});

describe('fields', () => {
  const p = parser();
  it('SEQ/ACK, UID/GID, MARK, DF, flags in kernel order, IP options before PROTO', () => {
    const e = packet(p.parse('Nov 26 14:22:44 h kernel: OUT IN= OUT=eth0 SRC=192.0.2.1 DST=198.51.100.2 LEN=60 TOS=0x10 PREC=0xC0 TTL=64 ID=4242 CE DF MF OPT (07040000000000) PROTO=TCP SPT=40000 DPT=443 SEQ=4294967295 ACK=12 WINDOW=64240 RES=0x03 CWR ECE URG ACK PSH RST SYN FIN URGP=65535 OPT (020405B40402080A) UID=1000 GID=100 MARK=0xff'));
    expect(e).toMatchObject({
      chain: 'OUTPUT', inIf: '', outIf: 'eth0', tos: 0x10, prec: 0xc0, ce: true, df: true, mf: true, ipOptions: '07040000000000',
      ipOptGroups: 1, seq: 4294967295, ack: 12, res: 3, flags: 0xff, urgp: 65535, tcpOptions: '020405B40402080A', uid: 1000,
      gid: 100, mark: 255, prefix: 'OUT',
    });
    expect(e.mac).toBeUndefined();
  });
  it('FORWARD with PHYSIN/PHYSOUT in both orders', () => {
    const a = packet(p.parse('Feb 25 12:13:27 bridge kernel: INBOUND TCP: IN=br0 PHYSIN=eth0 OUT=br0 PHYSOUT=eth1 SRC=63.147.183.21 DST=11.11.79.100 LEN=48 TOS=0x00 PREC=0x00 TTL=113 ID=19664 DF PROTO=TCP SPT=4918 DPT=135 WINDOW=64240 RES=0x00 SYN URGP=0'));
    expect(a).toMatchObject({ chain: 'FORWARD', inIf: 'br0', outIf: 'br0', physIn: 'eth0', physOut: 'eth1', prefix: 'INBOUND TCP:', df: true });
    const b = packet(p.parse('Feb 25 12:13:27 bridge kernel: FWD IN=br0 OUT=br0 PHYSIN=eth0 PHYSOUT=eth1 SRC=192.0.2.9 DST=192.0.2.10 LEN=48 TOS=0x00 PREC=0x00 TTL=113 ID=1 PROTO=UDP SPT=1 DPT=2 LEN=28'));
    expect(b).toMatchObject({ chain: 'FORWARD', physIn: 'eth0', physOut: 'eth1', udpLen: 28, len: 48, proto: 17 });
  });
  it('ICMP echo with ID/SEQ; ICMP error with an embedded packet does not confuse', () => {
    const e = packet(p.parse('Nov 26 14:22:56 sensor kernel: [ 309.891400] DROP IN=eth0 OUT= MAC=02:00:00:00:00:02:0e:79:ae:75:9c:85:08:00 SRC=203.0.113.16 DST=203.0.113.1 LEN=178 TOS=0x04 PREC=0x00 TTL=44 ID=10217 PROTO=ICMP TYPE=8 CODE=0 ID=32316 SEQ=296'));
    expect(e).toMatchObject({ proto: 1, icmpType: 8, icmpCode: 0, icmpId: 32316, icmpSeq: 296, ipId: 10217, tos: 4 });
    const u = packet(p.parse('Sep  8 18:04:26 minastirith kernel: [28241.572876] IN_DROP IN=wlan0 OUT= MAC=00:1a:9f:91:df:ae:00:12:27:12:0a:a0:12:00 SRC=10.0.0.138 DST=192.168.1.103 LEN=96 TOS=0x00 PREC=0xC0 TTL=254 ID=63642 PROTO=ICMP TYPE=3 CODE=3 [SRC=192.168.1.103 DST=10.0.0.138 LEN=68 TOS=0x00 PREC=0x00 TTL=0 ID=22458 PROTO=UDP SPT=35080 DPT=33434 LEN=48 ] MTU=1500'));
    expect(u).toMatchObject({ proto: 1, icmpType: 3, icmpCode: 3, src: '10.0.0.138', dst: '192.168.1.103', ttl: 254, ipId: 63642, len: 96 });
    expect(u.sport).toBeUndefined();
    expect(u.udpLen).toBeUndefined();
  });
  it('IPv6 TCP in full form is stored compressed', () => {
    const e = packet(p.parse('Nov 26 14:23:07 sensor kernel: DROP IN=eth0 OUT= MAC=02:00:00:00:00:02:0e:79:ae:75:9c:85:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0007 DST=2001:0db8:0001:0000:0000:0000:0000:0001 LEN=64 TC=0 HOPLIMIT=255 FLOWLBL=0 PROTO=TCP SPT=54969 DPT=80 WINDOW=1024 RES=0x00 SYN URGP=0 OPT (020405B4)'));
    expect(e).toMatchObject({ family: 6, src: '2001:db8:1::7', dst: '2001:db8:1::1', len: 64, tos: 0, ttl: 255, flowLabel: 0, proto: 6, dport: 80, ipId: 0 });
  });
  it('IPv6 compressed addresses are accepted (own mode) and rejected in psad mode', () => {
    const line = 'Nov 26 14:23:07 h kernel: DROP IN=eth0 OUT= SRC=2001:DB8::5 DST=2001:db8::1 LEN=64 TC=0 HOPLIMIT=64 FLOWLBL=12345 PROTO=UDP SPT=5 DPT=53 LEN=24';
    expect(packet(parser().parse(line))).toMatchObject({ src: '2001:db8::5', flowLabel: 12345, udpLen: 24 });
    expect(parser({ psadCompat: true }).parse(line)).toMatchObject({ kind: 'error', reason: 'bad-address' });
  });
  it('ICMPv6 with an embedded packet; Topera empty OPT groups are counted', () => {
    const e = packet(p.parse('Jul 21 19:07:39 minastirith kernel: [1912155.755921] IPv6 Packet IN=lo OUT= MAC=00:00:00:00:00:00:00:00:00:00:00:00:86:dd SRC=0000:0000:0000:0000:0000:0000:0000:0001 DST=0000:0000:0000:0000:0000:0000:0000:0001 LEN=107 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=1 CODE=4 [SRC=0000:0000:0000:0000:0000:0000:0000:0001 DST=0000:0000:0000:0000:0000:0000:0000:0001 LEN=59 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=UDP SPT=35186 DPT=12345 LEN=19 ]'));
    expect(e).toMatchObject({ family: 6, src: '::1', proto: 58, icmpType: 1, icmpCode: 4, prefix: 'IPv6 Packet' });
    const t = packet(p.parse('Dec 20 20:10:51 rohan kernel: [  499.178765] DROP IN=eth0 OUT= MAC=00:1b:f9:76:9c:e4:0a:13:33:3a:33:36:86:ed SRC=2012:1234:1234:0000:0000:0000:0000:0001 DST=2012:1234:1234:0000:0000:0000:0000:0002 LEN=132 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) PROTO=TCP SPT=26732 DPT=78 WINDOW=8192 RES=0x00 SYN URGP=0'));
    expect(t).toMatchObject({ ipOptGroups: 9, dport: 78, flags: 2 });
  });
  it('numeric PROTO carries no transport fields; AH/ESP/UDPLITE INCOMPLETE are packets in own mode, psad errors', () => {
    const n = packet(p.parse('Mar 15 20:59:04 linux kernel: [810523.507536] DROP IN=eth0 OUT= SRC=192.168.10.55 DST=192.168.10.1 LEN=20 TOS=0x00 PREC=0x00 TTL=52 ID=48031 PROTO=58 '));
    expect(n).toMatchObject({ proto: 58 });
    expect(n.icmpType).toBeUndefined();
    const line = 'Mar 15 20:59:03 linux kernel: DROP IN=eth0 OUT= SRC=192.168.10.55 DST=192.168.10.1 LEN=20 TOS=0x00 PREC=0x00 TTL=40 ID=42813 PROTO=AH INCOMPLETE [0 bytes] ';
    expect(packet(p.parse(line))).toMatchObject({ proto: 51 });
    expect(parser({ psadCompat: true }).parse(line)).toMatchObject({ kind: 'error', reason: 'psad-rejects' });
    const ul = 'Mar 15 20:58:59 linux kernel: DROP IN=eth0 OUT= SRC=192.168.10.55 DST=192.168.10.1 LEN=20 TOS=0x00 PREC=0x00 TTL=40 ID=40147 PROTO=UDPLITE INCOMPLETE [0 bytes] ';
    const u = packet(p.parse(ul));
    expect(u.proto).toBe(136);
    expect(u.sport).toBeUndefined();
    expect(parser({ psadCompat: true }).parse(ul)).toMatchObject({ kind: 'error', reason: 'psad-rejects' });
  });
  it('IPv4 fragment: FRAG:n and no ports', () => {
    const e = packet(p.parse('Nov 26 14:22:44 h kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=1500 TOS=0x00 PREC=0x00 TTL=64 ID=7 MF FRAG:185 PROTO=UDP '));
    expect(e).toMatchObject({ fragOffset: 185, mf: true, proto: 17 });
    expect(e.dport).toBeUndefined();
  });
  it('fwsnort SID in the prefix', () => {
    const e = packet(p.parse('Nov 26 14:22:44 h kernel: [1] SID2003 ESTAB IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=7 PROTO=TCP SPT=1 DPT=2 WINDOW=0 RES=0x00 ACK URGP=0'));
    expect(e.sid).toBe(2003);
    expect(e.prefix).toBe('[1] SID2003 ESTAB');
  });
  it('prefix without a trailing blank ("DROPIN=")', () => {
    const e = packet(p.parse('Nov 26 14:22:44 h kernel: DROPIN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=7 PROTO=47'));
    expect(e).toMatchObject({ prefix: 'DROP', proto: 47, inIf: 'eth0' });
  });
});

describe('headers', () => {
  const body = 'DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=7 PROTO=TCP SPT=1 DPT=2 WINDOW=0 RES=0x00 SYN URGP=0';
  it.each([
    [`2015-03-07T05:09:30.045015+02:00 servername kernel: ${body}`, Date.UTC(2015, 2, 7, 3, 9, 30, 45), 'iso', 'servername'],
    [`2024-01-05T12:00:00+0100 host1 kernel: ${body}`, Date.UTC(2024, 0, 5, 11), 'iso', 'host1'],
    [`2024-01-05T12:00:00.5Z host1 kernel: ${body}`, Date.UTC(2024, 0, 5, 12, 0, 0, 500), 'iso', 'host1'],
    [`<4>1 2024-01-05T12:00:00.123Z fw1 kernel - - - ${body}`, Date.UTC(2024, 0, 5, 12, 0, 0, 123), 'rfc5424', 'fw1'],
    [`<4>1 2024-01-05T12:00:00Z fw1 kernel - - [meta seq="1" x="a\\]b"] ${body}`, Date.UTC(2024, 0, 5, 12), 'rfc5424', 'fw1'],
    [`<4>Nov 26 14:22:44 fw2 kernel: ${body}`, Date.UTC(2026, 10, 26, 14, 22, 44), 'syslog', 'fw2'],
    [`Nov 26 14:22:44.250 fw2 kernel: ${body}`, Date.UTC(2026, 10, 26, 14, 22, 44, 250), 'syslog', 'fw2'],
    [`Nov  6 14:22:44 sensor ${body}`, Date.UTC(2026, 10, 6, 14, 22, 44), 'ulogd', 'sensor'],
    [`Nov 26 15:08:16 sensor kernel ${body}`, Date.UTC(2026, 10, 26, 15, 8, 16), 'syslog', 'sensor'],
    [`[ 300.027400] ${body}`, Date.UTC(2026, 10, 1) + 300_027, 'dmesg', 'unknown'],
    [`[Thu Nov 26 14:22:44 2026] ${body}`, Date.UTC(2026, 10, 26, 14, 22, 44), 'dmesg', 'unknown'],
    [`[  300.027400] sensor kernel: ${body}`, Date.UTC(2026, 10, 1) + 300_027, 'dmesg', 'sensor'],
  ])('%s', (line, time, source, host) => {
    const e = packet(parser().parse(line));
    expect({ time: e.time, timeSource: e.timeSource, host: e.host, prefix: e.prefix }).toEqual({ time, timeSource: source, host, prefix: 'DROP' });
  });
  it('a line without a readable header inherits the previous line\'s time', () => {
    const p = parser();
    p.parse('Nov 26 10:00:00 host sshd[1]: Accepted publickey');
    const e = packet(p.parse(`garbage header kernel: ${body}`));
    expect(e).toMatchObject({ time: Date.UTC(2026, 10, 26, 10), timeSource: 'inherited', host: 'unknown', prefix: 'DROP' });
  });
});

describe('year inference', () => {
  const body = 'host kernel: X IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=20 TOS=0x00 PREC=0x00 TTL=1 ID=1 PROTO=2 ';
  it('December read in January is last year; a slightly-ahead clock stays this year', () => {
    const jan = Date.UTC(2027, 0, 2, 0, 0, 0);
    const p = parser({ now: () => jan });
    expect(packet(p.parse(`Dec 31 23:59:59 ${body}`)).time).toBe(Date.UTC(2026, 11, 31, 23, 59, 59));
    expect(packet(p.parse(`Jan  2 06:00:00 ${body}`)).time).toBe(Date.UTC(2027, 0, 2, 6));
    const dec = Date.UTC(2026, 11, 31, 23, 0, 0);
    expect(packet(parser({ now: () => dec }).parse(`Jan  1 00:10:00 ${body}`)).time).toBe(Date.UTC(2027, 0, 1, 0, 10));
  });
  it('Feb 29 lands in the last leap year', () => {
    expect(packet(parser().parse(`Feb 29 12:00:00 ${body}`)).time).toBe(Date.UTC(2024, 1, 29, 12));
  });
  it('psad compatibility: UTC, current year, minus 356 days in the future', () => {
    const p = parser({ psadCompat: true, timezone: undefined });
    expect(packet(p.parse(`Dec 31 23:59:59 ${body}`)).time).toBe(Date.UTC(2026, 11, 31, 23, 59, 59) - 356 * 86_400_000);
  });
  it('an IANA zone', () => {
    const e = packet(parser({ timezone: 'Europe/Berlin' }).parse(`Jul  1 12:00:00 ${body}`));
    expect(e.time).toBe(Date.UTC(2026, 6, 1, 10));
  });
});

describe('errors and skips', () => {
  const p = parser();
  it.each([
    ['missing TOS (psad sample)', 'Nov 26 14:22:44 h kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 PREC=0x00 TTL=64 ID=7 PROTO=TCP SPT=1 DPT=2 WINDOW=0 RES=0x00 SYN URGP=0', 'missing-field'],
    ['DINDOW (ring-buffer corruption)', 'Nov 26 14:22:44 h kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=7 PROTO=TCP SPT=1 DPT=2 DINDOW=0 RES=0x00 SYN URGP=0', 'missing-field'],
    ['echo without ID/SEQ (line ends)', 'Nov 26 14:22:44 h kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=84 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=ICMP TYPE=8 CODE=0', 'truncated'],
    ['echo without ID/SEQ (hole)', 'Nov 26 14:22:44 h kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=84 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=ICMP TYPE=8 CODE=0 MARK=0x1', 'missing-field'],
    ['port > 65535', 'Nov 26 14:22:44 h kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=7 PROTO=TCP SPT=1 DPT=65536 WINDOW=0 RES=0x00 SYN URGP=0', 'bad-port'],
    ['TTL 256', 'Nov 26 14:22:44 h kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=256 ID=7 PROTO=2', 'bad-number'],
    ['truncated', 'Nov 26 14:22:44 h kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=7 PROTO=TCP SPT=1 DP', 'truncated'],
    ['bad address', 'Nov 26 14:22:44 h kernel: DROP IN=eth0 OUT= SRC=192.0.2.300 DST=192.0.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=7 PROTO=2', 'bad-address'],
    ['unknown protocol', 'Nov 26 14:22:44 h kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=7 PROTO=FOO', 'bad-protocol'],
    ['bad flag', 'Nov 26 14:22:44 h kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=7 PROTO=TCP SPT=1 DPT=2 WINDOW=0 RES=0x00 SYX URGP=0', 'bad-flags'],
    ['two lines interleaved', 'Nov 26 14:22:44 h kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=7 PROTO=TCP SPT=1 DROP IN=eth0 OUT= SRC=192.0.2.1', 'garbled'],
    ['no interface', 'Nov 26 14:22:44 h kernel: DROP IN= OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=7 PROTO=2', 'no-interface'],
    ['binary', 'Nov 26 14:22:44 h kernel: DROP IN=eth0 OUT= SRC=192.0.2.1\u0000 DST=192.0.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=7 PROTO=2', 'binary'],
    ['invalid UTF-8', 'Nov 26 14:22:44 h kernel: DR\uFFFDP IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=7 PROTO=2', 'invalid-utf8'],
  ])('%s', (_name, line, reason) => {
    expect(p.parse(line)).toMatchObject({ kind: 'error', reason });
  });
  it('a 1 MB firewall line is too-long; a 1 MB other line is skipped', () => {
    const big = `Nov 26 14:22:44 h kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 ${'A'.repeat(1 << 20)}`;
    expect(p.parse(big)).toMatchObject({ kind: 'error', reason: 'too-long' });
    expect(p.parse('x'.repeat(1 << 20))).toEqual({ kind: 'skip' });
  });
  it('non-firewall lines are skipped', () => {
    for (const l of ['', 'Nov 26 14:22:44 h sshd[12]: Accepted publickey for root', 'LOGIN=bob OUTPUT=1', '\u0000\u0001\u0002']) {
      expect(p.parse(l)).toEqual({ kind: 'skip' });
    }
  });
});

describe('loss notices', () => {
  it('kernel callbacks suppressed, repeated after a firewall line, journald', () => {
    const p = parser();
    expect(p.parse('Nov 26 14:22:44 h kernel: [ 5.1] net_ratelimit: 42 callbacks suppressed')).toMatchObject({ kind: 'loss', notice: { kind: 'callbacks-suppressed', count: 42, time: Date.UTC(2026, 10, 26, 14, 22, 44) } });
    expect(p.parse('Nov 26 14:22:45 h syslogd: last message repeated 3 times')).toEqual({ kind: 'skip' });
    p.parse('Nov 26 14:22:46 h kernel: DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=7 PROTO=2');
    expect(p.parse('Nov 26 14:22:47 h syslogd: last message repeated 3 times', 9)).toMatchObject({ kind: 'loss', notice: { kind: 'repeated', count: 3, line: 9 } });
    expect(p.parse('Nov 26 14:22:47 h kernel: message repeated 5 times: [ DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=7 PROTO=2]')).toMatchObject({ kind: 'loss', notice: { kind: 'repeated', count: 5 } });
    expect(p.parse('Nov 26 14:22:48 h systemd-journald[212]: Suppressed 1234 messages from /system.slice/x.service')).toMatchObject({ kind: 'loss', notice: { kind: 'journal-suppressed', count: 1234 } });
    expect(p.parse('Nov 26 14:22:48 h systemd-journald[212]: Missed 17 kernel messages')).toMatchObject({ kind: 'loss', notice: { kind: 'journal-suppressed', count: 17 } });
  });
});

describe('journalctl -o json', () => {
  it('reads MESSAGE, realtime stamp and host; byte-array MESSAGE', () => {
    const p = parser();
    const msg = 'DROP IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=7 PROTO=TCP SPT=1 DPT=2 WINDOW=0 RES=0x00 SYN URGP=0';
    const e = packet(p.parse(JSON.stringify({ __CURSOR: 's=1', __REALTIME_TIMESTAMP: '1764167000123456', _HOSTNAME: 'jh', SYSLOG_IDENTIFIER: 'kernel', _TRANSPORT: 'kernel', MESSAGE: msg })));
    expect(e).toMatchObject({ time: 1764167000123, timeSource: 'journal', host: 'jh', prefix: 'DROP', dport: 2 });
    const bytes = [...Buffer.from(msg.replace('DROP', 'DR\u00ffP'), 'latin1')];
    expect(p.parse(JSON.stringify({ __REALTIME_TIMESTAMP: '1', MESSAGE: bytes }))).toMatchObject({ kind: 'error', reason: 'invalid-utf8' });
    expect(p.parse(`{"MESSAGE":"${msg}", broken`)).toMatchObject({ kind: 'error', reason: 'bad-json' });
  });
});
