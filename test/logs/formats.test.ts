// One table row per log format, made with the real tools (fixtures/logs/formats/SOURCE.md): every line is a packet,
// with the time source, host and prefix the format carries, and the same kernel message gives the same packet in
// every format that carries it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PacketEvent } from '../../src/domain/events.ts';
import { FirewallLineParser } from '../../src/logs/parse-line.ts';

const dir = new URL('../../fixtures/logs/formats/', import.meta.url);
function parseFile(name: string): PacketEvent[] {
  const p = new FirewallLineParser({ timezone: 'UTC' });
  return readFileSync(new URL(name, dir), 'utf8').split('\n').filter(Boolean).map((l, i) => {
    const r = p.parse(l, i + 1);
    if (r.kind !== 'packet') throw new Error(`${name}:${i + 1}: ${JSON.stringify(r)}`);
    return r.event;
  });
}

/** The packet without what the format decides (time, its source, host, line). */
function body(e: PacketEvent): Partial<PacketEvent> {
  const { time: _t, timeSource: _s, host: _h, line: _l, ...rest } = e;
  return rest;
}

const KERNEL = [
  ['dmesg.log', 'dmesg', 'unknown', 'dmesg (bare, uptime stamps)'],
  ['dmesg-T.log', 'dmesg', 'unknown', 'dmesg -T'],
  ['rsyslog-traditional.log', 'syslog', 'sensor', 'rsyslog RSYSLOG_TraditionalFileFormat'],
  ['rsyslog-iso.log', 'iso', 'sensor', 'rsyslog RSYSLOG_FileFormat (RFC 3339, high precision)'],
  ['rsyslog-rfc5424.log', 'rfc5424', 'sensor', 'rsyslog RSYSLOG_SyslogProtocol23Format (RFC 5424)'],
  ['journal.json', 'journal', 'sensor', 'journalctl -o json'],
  ['journal-short-iso.log', 'iso', 'sensor', 'journalctl -o short-iso'],
  ['journal-short-precise.log', 'syslog', 'sensor', 'journalctl -o short-precise'],
  ['journal-short-monotonic.log', 'dmesg', 'sensor', 'journalctl -o short-monotonic'],
] as const;

describe('formats made by the real tools', () => {
  const reference = parseFile('dmesg.log');

  it.each(KERNEL)('%s (%s)', (file, source, host) => {
    const events = parseFile(file);
    expect(events.length).toBe(reference.length);
    expect(new Set(events.map((e) => e.timeSource))).toEqual(new Set([source]));
    expect(new Set(events.map((e) => e.host))).toEqual(new Set([host]));
    // the same kernel message → the same packet
    events.forEach((e, i) => { expect(body(e)).toEqual(body(reference[i]!)); });
  });

  it('covers IPv4/IPv6 TCP, UDP, ICMP, ICMPv6, nft MAC flags, ICMP errors, OUTPUT with UID/GID/MARK', () => {
    const protos = new Set(reference.map((e) => `${e.family}/${e.proto}`));
    expect(protos).toEqual(new Set(['4/6', '4/17', '4/1', '6/6', '6/17', '6/58']));
    const syn = reference.find((e) => e.family === 4 && e.proto === 6)!;
    expect(syn).toMatchObject({ prefix: 'pwlog-fnft', chain: 'INPUT', mac: '02:00:00:00:77:01:02:00:00:00:77:02:08:00', flags: 2, tcpOptions: '020405B4' });
    expect(syn.seq).toBeTypeOf('number');
    const err = reference.find((e) => e.proto === 1 && e.icmpType === 3)!;
    expect(err).toMatchObject({ src: '192.0.2.66', dst: '192.0.2.1', icmpCode: 3, prec: 0xc0 });
    expect(err.sport).toBeUndefined(); // the quoted UDP header is not the outer packet's
    const out = reference.find((e) => e.chain === 'OUTPUT' && e.family === 6)!;
    expect(out).toMatchObject({ prefix: 'pwlog-fnft-out', outIf: 'eth0', uid: 0, gid: 0, mark: 0x2a, src: '2001:db8:77::1', proto: 17 });
    expect(out.flowLabel).toBeGreaterThan(0);
    const echo6 = reference.find((e) => e.proto === 58 && e.icmpType === 128)!;
    expect(echo6.icmpId).toBeTypeOf('number');
  });

  it('ulogd2 LOGEMU (NFLOG): no tag, TOS without 0x, no RES=, compressed IPv6', () => {
    const u = parseFile('ulogd-logemu.log');
    expect(new Set(u.map((e) => e.timeSource))).toEqual(new Set(['ulogd']));
    expect(new Set(u.map((e) => e.prefix))).toEqual(new Set(['pwlog-fgrp']));
    const syn = u.find((e) => e.proto === 6)!;
    expect(syn).toMatchObject({ tos: 0, mark: 0, flags: 2, mac: '02:00:00:00:77:01:02:00:00:00:77:02:08:00' });
    expect(syn.res).toBeUndefined();
    expect(u.some((e) => e.family === 6 && e.src === '2001:db8:77::66')).toBe(true);
  });
});
