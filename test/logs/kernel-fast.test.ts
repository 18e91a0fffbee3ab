// The kernel-field fast path reads exactly what the full scanner reads: on real lines of every format and on generated
// and mutated common-layout lines, the scanner with the fast path gives the same event (or the same error, reason and
// detail) as the scanner without it, in both modes.
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KernelFieldScanner } from '../../src/logs/kernel-fields.ts';
import { findFirewallFields } from '../../src/logs/parse-line.ts';

const dir = new URL('../../fixtures/logs/formats/', import.meta.url);
const realLines = [
  ...readFileSync(new URL('../../fixtures/logs/psad-parse/lines.log', import.meta.url), 'utf8').split('\n'),
  ...readdirSync(dir).filter((f) => f.endsWith('.log')).flatMap((f) => readFileSync(new URL(f, dir), 'utf8').split('\n')),
].filter((l) => findFirewallFields(l) >= 0);

/** What each scanner makes of the line: the event, or the error with its reason and detail. */
let fastTaken = 0;
function both(line: string, compat: boolean): [unknown, unknown] {
  const start = findFirewallFields(line);
  const run = (fast: boolean): unknown => {
    const sc = new KernelFieldScanner({ psadCompat: compat, fast });
    const ev = start < 0 ? null : sc.scan(line, start, line.length);
    fastTaken += sc.fastLines;
    return ev ? { ...ev } : { reason: sc.reason, detail: sc.detail };
  };
  return [run(true), run(false)];
}

// mostly valid values (so whole lines often are), sometimes the values the rules reject
const often = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>): fc.Arbitrary<T> => fc.oneof({ arbitrary: good, weight: 12 }, { arbitrary: bad, weight: 1 });
const num = (max: number) => often(fc.integer({ min: 0, max }).map(String), fc.constantFrom('', '-1', '0x10', '007', '99999999999', String(max + 1)));
const hex2 = often(fc.integer({ min: 0, max: 255 }).map((n) => `0x${n.toString(16).padStart(2, '0').toUpperCase()}`), fc.constantFrom('00', '0x', '0x100', 'zz'));
const v4 = often(fc.ipV4(), fc.constantFrom('198.51.100.07', '1.2.3', '256.1.1.1', '2001:db8::1', '2001:0db8:0000:0000:0000:0000:0000:0001'));
const iface = often(fc.constantFrom('eth0', '', 'wlan0', 'br-1'), fc.constant('a-very-long-interface-name'));
const mac = often(fc.constantFrom('MAC=02:00:00:00:00:02:0e:79:ae:75:9c:85:08:00 ', ''), fc.constantFrom('MAC= ',
  'MAC=02:00:00:00:00:02:0e:79:ae:75:9c:85:08 ', 'MAC=0g:00:00:00:00:02:0e:79:ae:75:9c:85:08:00 '));
const flagWords = often(fc.subarray(['CWR', 'ECE', 'URG', 'ACK', 'PSH', 'RST', 'SYN', 'FIN']), fc.subarray(['ACK', 'SYN', 'SYN', 'XYZ']));
const tcp = fc.tuple(num(65535), num(65535), num(65535), hex2, flagWords, num(65535),
  often(fc.constantFrom('', ' OPT (020405B4)', ' OPT ()'), fc.constantFrom(' OPT (0204 05B4)', ' OPT (ZZ)', ' OPT (020405B4', ' MARK=0x1')))
  .map(([sp, dp, w, res, f, u, opt]) => `PROTO=TCP SPT=${sp} DPT=${dp} WINDOW=${w} RES=${res} ${f.join(' ')}${f.length > 0 ? ' ' : ''}URGP=${u}${opt}`);
const udp = fc.tuple(num(65535), num(65535), num(65535), often(fc.constant(''), fc.constantFrom(' UID=0', ' ')))
  .map(([sp, dp, l, x]) => `PROTO=UDP SPT=${sp} DPT=${dp} LEN=${l}${x}`);
const icmp = fc.tuple(num(255), num(255), often(fc.constantFrom('', ' ID=1 SEQ=2'), fc.constantFrom(' ID=70000 SEQ=1', ' ID=1', ' PARAMETER=3', ' [SRC=1.2.3.4 DST=5.6.7.8 LEN=20 ]')))
  .map(([t, c, x]) => `PROTO=ICMP TYPE=${t} CODE=${c}${x}`);
const line = fc.tuple(iface, iface, mac, v4, v4, num(65535), hex2, hex2, num(255), num(65535), often(fc.constantFrom('', 'DF '), fc.constantFrom('CE ', 'DF DF ')),
  often(fc.oneof(tcp, udp, icmp), fc.constantFrom('PROTO=47', 'PROTO=UDPLITE SPT=1 DPT=2 LEN=8')))
  .map(([i, o, m, s, d, len, tos, prec, ttl, id, bits, l4]) =>
    `Nov 25 00:00:00 sensor kernel: DROP IN=${i} OUT=${o} ${m}SRC=${s} DST=${d} LEN=${len} TOS=${tos} PREC=${prec} TTL=${ttl} ID=${id} ${bits}${l4}`);

/** A line with a few characters replaced, inserted or removed. */
const mutated = fc.tuple(line, fc.array(fc.tuple(fc.nat(), fc.constantFrom('', ' ', '=', 'X', '  ', '\t', '0')), { maxLength: 3 }))
  .map(([l, edits]) => {
    let s = l;
    for (const [at, ch] of edits) {
      const k = at % (s.length + 1);
      s = s.slice(0, k) + ch + s.slice(k + (ch === '' || at % 2 === 0 ? 1 : 0));
    }
    return s;
  });

describe('kernel-field fast path', () => {
  it('reads every real line of every format as the full scanner does', () => {
    expect(realLines.length).toBeGreaterThan(300);
    fastTaken = 0;
    for (const compat of [false, true]) {
      for (const l of realLines) {
        const [fast, full] = both(l, compat);
        expect(fast, l).toEqual(full);
      }
    }
    // the IPv4 TCP/UDP/ICMP lines among them (the rest are IPv6, other protocols and other layouts)
    expect(fastTaken).toBeGreaterThan(50);
  });

  it('reads generated and mutated lines as the full scanner does (events, errors, reasons and details)', () => {
    fastTaken = 0;
    fc.assert(fc.property(fc.oneof({ arbitrary: line, weight: 2 }, { arbitrary: mutated, weight: 1 }), fc.boolean(), (l, compat) => {
      const [fast, full] = both(l, compat);
      expect(fast).toEqual(full);
    }), { numRuns: 2000 });
    expect(fastTaken).toBeGreaterThan(300);
  });

  it('takes the common layout (so the comparison above is not between two full scans)', () => {
    const l = 'Nov 25 00:00:00 sensor kernel: DROP IN=eth0 OUT= MAC=02:00:00:00:00:02:0e:79:ae:75:9c:85:08:00 SRC=203.0.0.40 ' +
      'DST=10.0.3.1 LEN=44 TOS=0x00 PREC=0x00 TTL=40 ID=0 PROTO=TCP SPT=40000 DPT=1 WINDOW=1024 RES=0x00 SYN URGP=0 OPT (020405B4)';
    const sc = new KernelFieldScanner({ psadCompat: false });
    const ev = sc.scan(l, findFirewallFields(l), l.length);
    expect(sc.fastLines).toBe(1);
    expect(ev).toMatchObject({ src: '203.0.0.40', dst: '10.0.3.1', dport: 1, flags: 2, tcpOptions: '020405B4', len: 44, ttl: 40 });
  });
});
