// The byte-level fast path reads exactly what the text parser reads: for every real line of every format and for
// generated and mutated lines (headers, prefixes, kernel fields, non-ASCII and invalid UTF-8 bytes), parseBytes() over
// the bytes gives the result parse() gives for their decoded text — the same events, errors, reasons and details,
// and the same state carried to the next line (inherited times, loss notices), in both modes.
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIp } from '../../src/domain/address.ts';
import { FirewallLineParser } from '../../src/logs/parse-line.ts';
import type { ParseResult } from '../../src/logs/parse-line.ts';
import { LineEvent } from '../../src/logs/line-event.ts';

const NOW = Date.UTC(2026, 10, 26, 12);
const dir = new URL('../../fixtures/logs/formats/', import.meta.url);
const realLines = [
  ...readFileSync(new URL('../../fixtures/logs/psad-parse/lines.log', import.meta.url), 'utf8').split('\n'),
  ...readdirSync(dir).filter((f) => f.endsWith('.log')).flatMap((f) => readFileSync(new URL(f, dir), 'utf8').split('\n')),
];

function parser(compat: boolean): FirewallLineParser {
  return new FirewallLineParser({ psadCompat: compat, timezone: 'UTC', now: () => NOW, bootTimeMs: Date.UTC(2026, 10, 1), maxLineLength: 400 });
}

/** A result as plain data (the byte path reuses its event; the number hints are not part of what parse() promises). */
function plain(r: ParseResult): unknown {
  if (r.kind !== 'packet') return r;
  if (r.event instanceof LineEvent) return { kind: r.kind, event: r.event.plain() };
  const { srcV4: _s, dstV4: _d, ...ev } = r.event;
  return { kind: r.kind, event: ev };
}

/** Both parsers over the same lines, in order: each line's results, and how many lines took the byte path. */
function compare(lines: readonly Buffer[], compat: boolean): { text: unknown[]; bytes: unknown[]; fast: number } {
  const t = parser(compat);
  const b = parser(compat);
  const text = lines.map((l, i) => plain(t.parse(l.toString('utf8'), i + 1)));
  const bytes = lines.map((l, i) => {
    // inside a larger buffer, as the reader hands lines over: in the middle, or at its very end
    const buf = Buffer.concat([Buffer.from('x\n'), l, Buffer.from(i % 2 === 0 ? '\ny' : '')]);
    return plain(b.parseBytes(buf, 2, 2 + l.length, i + 1));
  });
  return { text, bytes, fast: b.byteLines };
}

const often = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>): fc.Arbitrary<T> => fc.oneof({ arbitrary: good, weight: 10 }, { arbitrary: bad, weight: 1 });
const stamp = often(fc.constantFrom('Nov 25 00:00:00', 'Nov  5 13:04:05', 'nov 25 23:59:59', 'Dec 31 23:59:60', 'Jan  1 00:00:01'),
  fc.constantFrom('Feb 30 00:00:00', 'Feb 29 10:00:00', 'Nov 25 2026 00:00:00', 'Nov 25 00:00:00.123', '2026-11-25T00:00:00+00:00',
    'Xyz 25 00:00:00', 'Nov 25 24:00:00', 'Nov 32 00:00:00', 'Nov 25 0:00:00', ' Nov 25 00:00:00', '<4>Nov 25 00:00:00', '[ 12.5]'));
const host = often(fc.constantFrom('sensor', 'fw-1.example.org', 'gw'), fc.constantFrom('kernel', 'host:', 'h=1', 'häst', '', 'a b', 'IN=x', 'sshd[1]:'));
const tag = often(fc.constantFrom('kernel:'), fc.constantFrom('kernel', 'kern:', 'kernel:  ', 'sshd[12]:', 'kernel:\t'));
const uptime = often(fc.constantFrom('', '', '[ 1234.567890] ', '[1234.5] '), fc.constantFrom('[ 12] ', '[x.y] ', '[ 1.2 ', '[  3.25  ]  '));
const prefix = often(fc.constantFrom('DROP ', '', '[UFW BLOCK] ', 'SID1234 ', 'fwsnort SID99 DROP ', ' DROP  ', 'IPT-IN: '),
  fc.constantFrom('kernel: DROP ', 'LOGIN=1 ', 'a\tb ', 'message repeated 3 times: [ DROP ', 'DROPIN=eth0 OUT= ', 'é ',
    '[ 12.5] DROP ', 'SID99999999999 '));
const num = (max: number) => often(fc.integer({ min: 0, max }).map(String), fc.constantFrom('', '-1', '0x10', '007', '99999999999', String(max + 1)));
const hex2 = often(fc.integer({ min: 0, max: 255 }).map((n) => `0x${n.toString(16).padStart(2, '0').toUpperCase()}`), fc.constantFrom('00', '0x', '0x100', 'zz'));
const v4 = often(fc.ipV4(), fc.constantFrom('198.51.100.07', '1.2.3', '256.1.1.1', '2001:db8::1', '2001:0db8:0000:0000:0000:0000:0000:0001'));
const iface = often(fc.constantFrom('eth0', '', 'wlan0', 'br-1'), fc.constantFrom('a-very-long-interface-name', 'é0'));
const mac = often(fc.constantFrom('MAC=02:00:00:00:00:02:0e:79:ae:75:9c:85:08:00 ', ''), fc.constantFrom('MAC= ',
  'MAC=02:00:00:00:00:02:0e:79:ae:75:9c:85:08 ', 'MAC=0g:00:00:00:00:02:0e:79:ae:75:9c:85:08:00 ', 'MAC=02:00:00:00:00:02:0e:79:ae:75:9c:85-08:00 '));
const flagWords = often(fc.subarray(['CWR', 'ECE', 'URG', 'ACK', 'PSH', 'RST', 'SYN', 'FIN']), fc.subarray(['ACK', 'SYN', 'SYN', 'XYZ']));
const tcp = fc.tuple(num(65535), num(65535), num(65535), hex2, flagWords, num(65535),
  often(fc.constantFrom('', ' OPT (020405B4)', ' OPT ()'), fc.constantFrom(' OPT (0204 05B4)', ' OPT (ZZ)', ' OPT (020405B4', ' OPT (020405B)', ' MARK=0x1')))
  .map(([sp, dp, w, res, f, u, opt]) => `PROTO=TCP SPT=${sp} DPT=${dp} WINDOW=${w} RES=${res} ${f.join(' ')}${f.length > 0 ? ' ' : ''}URGP=${u}${opt}`);
const udp = fc.tuple(num(65535), num(65535), num(65535), often(fc.constant(''), fc.constantFrom(' UID=0', ' ')))
  .map(([sp, dp, l, x]) => `PROTO=UDP SPT=${sp} DPT=${dp} LEN=${l}${x}`);
const icmp = fc.tuple(num(255), num(255), often(fc.constantFrom('', ' ID=1 SEQ=2'), fc.constantFrom(' ID=70000 SEQ=1', ' ID=1', ' PARAMETER=3', ' [SRC=1.2.3.4 DST=5.6.7.8 LEN=20 ]')))
  .map(([t, c, x]) => `PROTO=ICMP TYPE=${t} CODE=${c}${x}`);
const fields = fc.tuple(iface, iface, mac, v4, v4, num(65535), hex2, hex2, num(255), num(65535), often(fc.constantFrom('', 'DF '), fc.constantFrom('CE ', 'DF DF ')),
  often(fc.oneof(tcp, udp, icmp), fc.constantFrom('PROTO=47', 'PROTO=UDPLITE SPT=1 DPT=2 LEN=8')))
  .map(([i, o, m, s, d, len, tos, prec, ttl, id, bits, l4]) =>
    `IN=${i} OUT=${o} ${m}SRC=${s} DST=${d} LEN=${len} TOS=${tos} PREC=${prec} TTL=${ttl} ID=${id} ${bits}${l4}`);
const v6 = often(fc.constantFrom('2001:0db8:0000:0000:0000:0000:0000:0001', '2001:0db8:0000:2a9b:0000:0000:0000:0158', 'fe80:0000:0000:0000:0202:b3ff:fe1e:8329',
  '2001:0DB8:0000:0000:0000:0000:0000:00FF'), fc.constantFrom('2001:db8::1', '2001:0db8:0000:0000:0000:0000:0000:000g', '2001:0db8:0000:0000:0000:0000:0000',
  '198.51.100.1', '::1'));
const icmp6 = fc.tuple(num(255), num(255), often(fc.constantFrom('', ' ID=1 SEQ=2'), fc.constantFrom(' ID=1', ' MTU=1280', ' ID=70000 SEQ=1')))
  .map(([t, c, x]) => `PROTO=ICMPv6 TYPE=${t} CODE=${c}${x}`);
const fields6 = fc.tuple(iface, iface, mac, v6, v6, num(65600), num(255), num(255), num(1048576),
  often(fc.oneof(tcp, udp, icmp6), fc.constantFrom('PROTO=UDPLITE SPT=1 DPT=2 LEN=8', 'FRAG:1232 PROTO=UDP SPT=1 DPT=2 LEN=8', 'OPT ( 0000 ) PROTO=TCP SPT=1 DPT=2 WINDOW=5 RES=0x00 SYN URGP=0',
    'PROTO=ICMP TYPE=8 CODE=0 ID=1 SEQ=1', 'PROTO=58 TYPE=1')))
  .map(([i, o, m, sa, da, len, tc, hop, flow, l4]) => `IN=${i} OUT=${o} ${m}SRC=${sa} DST=${da} LEN=${len} TC=${tc} HOPLIMIT=${hop} FLOWLBL=${flow} ${l4}`);
const line = fc.tuple(stamp, host, tag, uptime, prefix, fc.oneof({ arbitrary: fields, weight: 3 }, { arbitrary: fields6, weight: 2 }),
  often(fc.constant(''), fc.constantFrom('\r', ' ', '\t')))
  .map(([st, h, t, u, p, f, end]) => `${st} ${h}${h === '' ? '' : ' '}${t} ${u}${p}${f}${end}`);
/** Other lines between firewall lines: they carry the time a following unreadable header inherits, or say packets were lost. */
const other = fc.constantFrom('Nov 25 00:00:07 sensor sshd[1]: Accepted key', 'Nov 25 00:00:08 sensor kernel: net_ratelimit: 12 callbacks suppressed',
  'Nov 25 00:00:09 sensor rsyslogd: last message repeated 4 times', 'garbage without a header IN=eth0 OUT= SRC=1.2.3.4', '');

/** A line's bytes with a few bytes replaced, inserted or removed (invalid UTF-8 included). */
const mutated = fc.tuple(line, fc.array(fc.tuple(fc.nat(), fc.constantFrom(-1, 32, 61, 88, 9, 48, 0xc3, 0xa9, 0xff, 0x80, 0, 127, 13)), { maxLength: 3 }))
  .map(([l, edits]) => {
    const b = [...Buffer.from(l, 'utf8')];
    for (const [at, byte] of edits) {
      const k = at % (b.length + 1);
      if (byte < 0) b.splice(k, 1);
      else if (at % 2 === 0) b.splice(k, 1, byte);
      else b.splice(k, 0, byte);
    }
    return Buffer.from(b);
  });

describe('byte-level line reader', () => {
  it('reads every real line of every format as the text parser does', () => {
    const lines = realLines.map((l) => Buffer.from(l, 'utf8'));
    for (const compat of [false, true]) {
      const r = compare(lines, compat);
      for (let i = 0; i < lines.length; i++) expect(r.bytes[i], realLines[i]).toEqual(r.text[i]);
      // the traditional-syslog IPv4 lines among them
      expect(r.fast).toBeGreaterThan(30);
    }
  });

  it('reads generated and mutated lines, in sequences, as the text parser does', () => {
    let fast = 0;
    const item = fc.oneof({ arbitrary: line.map((l) => Buffer.from(l, 'utf8')), weight: 5 }, { arbitrary: mutated, weight: 3 },
      { arbitrary: other.map((l) => Buffer.from(l)), weight: 1 });
    fc.assert(fc.property(fc.array(item, { minLength: 1, maxLength: 6 }), fc.boolean(), (lines, compat) => {
      const r = compare(lines, compat);
      fast += r.fast;
      expect(r.bytes).toEqual(r.text);
    }), { numRuns: 600 });
    // enough of them were read from the bytes (the rest went the full way, which is compared too)
    expect(fast).toBeGreaterThan(150);
  });

  it('reads a tab in the header as a blank whatever the line before was (found by the property above, seed 1939783243)', () => {
    const before = 'Nov 25 00:00:00 sensor kernel: [UFW BLOCK] IN=eth0 OUT=eth0 SRC=192.0.2.1 DST=192.0.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=50 ID=0 PROTO=UDP SPT=7 DPT=9 LEN=20';
    const tabbed = 'Nov 25 00:00:00 sensor kernel:\t [UFW BLOCK] IN=eth0 OUT=eth0 SRC=192.0.2.1 DST=192.0.2.2 LEN=40 TOS=0x00 PREC=0x00 TTL=50 ID=0 PROTO=TCP SPT=7 DPT=9 WINDOW=0 RES=0x00 URGP=0';
    for (const compat of [false, true]) {
      // the tabbed line as line 2 both times: alone after an empty line, and after a firewall line
      const alone = compare([Buffer.from(''), Buffer.from(tabbed)], compat);
      const after = compare([Buffer.from(before), Buffer.from(tabbed)], compat);
      expect(after.text[1]).toEqual(alone.text[1]);
      expect(after.bytes[1]).toEqual(alone.text[1]);
      // "kernel:" read as the tag: a syslog line, not a tagless ulogd one
      expect(alone.text[1]).toMatchObject({ kind: 'packet', event: { timeSource: 'syslog', prefix: '[UFW BLOCK]', host: 'sensor' } });
    }
  });

  it('peeks at the addresses of lines ahead (for prefetching) without changing what it reads, whatever the bytes', () => {
    const item = fc.oneof({ arbitrary: line.map((l) => Buffer.from(l, 'utf8')), weight: 5 }, { arbitrary: mutated, weight: 3 },
      { arbitrary: other.map((l) => Buffer.from(l)), weight: 1 });
    const src = new Int32Array(64);
    const dst = new Int32Array(64);
    fc.assert(fc.property(fc.array(item, { minLength: 1, maxLength: 8 }), fc.boolean(), (lines, compat) => {
      const all = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
      const ends = new Int32Array(lines.length);
      for (let k = 0, at = 0; k < lines.length; k++) {
        at += lines[k]!.length;
        ends[k] = at;
        at++;
      }
      const peeking = parser(compat);
      const plainOne = parser(compat);
      for (let k = 0, a = 0; k < lines.length; a = ends[k]! + 1, k++) {
        // every line ahead of this one, as the splitter announces them
        const m = peeking.peekV4(all, a, ends.subarray(k), lines.length - k, src, dst);
        expect(m).toBeGreaterThanOrEqual(0);
        expect(m).toBeLessThanOrEqual(lines.length - k);
        expect(plain(peeking.parseBytes(all, a, ends[k]!, k + 1))).toEqual(plain(plainOne.parseBytes(all, a, ends[k]!, k + 1)));
      }
    }), { numRuns: 400 });
  });

  it('peeks the right addresses for lines of the shape of the line before', () => {
    const head = 'Nov 25 00:00:00 sensor kernel: DROP IN=eth0 OUT= MAC=02:00:00:00:00:02:0e:79:ae:75:9c:85:08:00 SRC=';
    const tail = (s: string, d: string): string => `${s} DST=${d} LEN=44 TOS=0x00 PREC=0x00 TTL=40 ID=0 PROTO=TCP SPT=40000 DPT=1 WINDOW=1024 RES=0x00 SYN URGP=0`;
    const num = (ip: string): number => ip.split('.').reduce((v, o) => v * 256 + Number(o), 0) | 0;
    fc.assert(fc.property(fc.array(fc.tuple(fc.ipV4(), fc.ipV4()), { minLength: 1, maxLength: 32 }), (addrs) => {
      const p = parser(false);
      const first = head + tail('192.0.2.1', '198.51.100.2');
      expect(p.parseBytes(Buffer.from(first), 0, first.length).kind).toBe('packet');
      const all = Buffer.from(addrs.map(([s, d]) => head + tail(s, d) + '\n').join(''));
      const ends = new Int32Array(addrs.length);
      for (let k = 0, at = -1; k < addrs.length; k++) ends[k] = at = all.indexOf(10, at + 1);
      const src = new Int32Array(32);
      const dst = new Int32Array(32);
      expect(p.peekV4(all, 0, ends, addrs.length, src, dst)).toBe(addrs.length);
      expect([...src.subarray(0, addrs.length)]).toEqual(addrs.map(([s]) => num(s)));
      expect([...dst.subarray(0, addrs.length)]).toEqual(addrs.map(([, d]) => num(d)));
    }), { numRuns: 200 });
  });

  it('takes the byte path for the common IPv4 and IPv6 lines and fills every field', () => {
    const l = 'Nov 25 00:00:00 sensor kernel: [ 12.5] SID1234 DROP IN=eth0 OUT= MAC=02:00:00:00:00:02:0e:79:ae:75:9c:85:08:00 SRC=203.0.0.40 ' +
      'DST=10.0.3.1 LEN=44 TOS=0x00 PREC=0x00 TTL=40 ID=0 DF PROTO=TCP SPT=40000 DPT=1 WINDOW=1024 RES=0x00 SYN URGP=0 OPT (020405B4)';
    const p = parser(false);
    const r = p.parseBytes(Buffer.from(l), 0, l.length, 7);
    expect(p.byteLines).toBe(1);
    expect(r).toMatchObject({
      kind: 'packet', event: {
        time: Date.UTC(2026, 10, 25), timeSource: 'syslog', host: 'sensor', prefix: 'SID1234 DROP', sid: 1234, chain: 'INPUT', src: '203.0.0.40',
        dst: '10.0.3.1', srcV4: 0xcb000028, dstV4: 0x0a000301, df: true, dport: 1, flags: 2, tcpOptions: '020405B4', line: 7,
      },
    });
    const l6 = 'Nov 25 00:00:01 sensor kernel: DROP IN=eth0 OUT= MAC=02:00:00:00:00:02:0e:79:ae:75:9c:85:08:00 SRC=2001:0db8:0000:2a9b:0000:0000:0000:0158 ' +
      'DST=2001:0db8:ffff:0000:0000:0000:0000:0001 LEN=60 TC=0 HOPLIMIT=53 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=5313 SEQ=1';
    const r6 = p.parseBytes(Buffer.from(l6), 0, l6.length, 8);
    expect(p.byteLines).toBe(2);
    expect(r6).toMatchObject({
      kind: 'packet', event: {
        family: 6, src: '2001:db8:0:2a9b::158', dst: '2001:db8:ffff::1', srcV4: -1, proto: 58, icmpType: 128, icmpId: 5313, icmpSeq: 1, ttl: 53,
        flowLabel: 0, prec: undefined,
      },
    });
  });

  it('gives the canonical text of many IPv6 addresses through its cache (colliding, repeated, either case)', () => {
    // far more addresses than the cache has slots, each seen several times in a shuffled order, in upper or lower case
    const p = parser(false);
    const addrs = fc.sample(fc.ipV6(), { numRuns: 6000, seed: 7 }).map((a) => parseIp(a)!);
    const order = fc.sample(fc.tuple(fc.nat(addrs.length - 1), fc.nat(addrs.length - 1), fc.boolean()), { numRuns: 30000, seed: 8 });
    const full = (b: Uint8Array, upper: boolean): string => {
      const hex = Array.from({ length: 8 }, (_, g) => ((b[2 * g]! << 8) | b[2 * g + 1]!).toString(16).padStart(4, '0')).join(':');
      return upper ? hex.toUpperCase() : hex;
    };
    let n = 0;
    for (const [i, j, upper] of order) {
      const s = addrs[i]!;
      const d = addrs[j]!;
      const l = `Nov 25 00:00:01 sensor kernel: DROP IN=eth0 OUT= SRC=${full(s.bytes, upper)} DST=${full(d.bytes, !upper)} LEN=60 TC=0 ` +
        'HOPLIMIT=53 FLOWLBL=0 PROTO=TCP SPT=1 DPT=2 WINDOW=1024 RES=0x00 SYN URGP=0';
      const r = p.parseBytes(Buffer.from(l), 0, l.length, ++n);
      expect(r.kind).toBe('packet');
      if (r.kind !== 'packet') continue;
      expect(r.event.src).toBe(s.text);
      expect(r.event.dst).toBe(d.text);
    }
    expect(p.byteLines).toBe(order.length);
  });
});
