// Property tests: arbitrary text and bytes, and mutated real lines, never crash the parser, and every result is either a
// complete, valid packet or a counted error/skip — never a half-read packet. Stream splitters are chunking-invariant.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalIp } from '../../src/domain/address.ts';
import type { PacketEvent } from '../../src/domain/events.ts';
import { BatchBuilder } from '../../src/logs/batch.ts';
import { LineSplitter } from '../../src/logs/line-splitter.ts';
import { FirewallLineParser } from '../../src/logs/parse-line.ts';
import { ParseStats } from '../../src/logs/parse-stats.ts';
import type { ParseResult } from '../../src/logs/parse-types.ts';
import { ERROR_REASONS } from '../../src/logs/parse-types.ts';
import { SyslogFrameReader } from '../../src/logs/syslog-frames.ts';

const real = readFileSync(new URL('../../fixtures/logs/psad-parse/lines.log', import.meta.url), 'utf8').split('\n').slice(0, -1);
const json = readFileSync(new URL('../../fixtures/logs/formats/journal.json', import.meta.url), 'utf8').split('\n').slice(0, -1);
const samples = [...real, ...json];

const u16 = (n: number | undefined) => n === undefined || (Number.isInteger(n) && n >= 0 && n <= 65535);
const u8 = (n: number | undefined) => n === undefined || (Number.isInteger(n) && n >= 0 && n <= 255);
const u32 = (n: number | undefined) => n === undefined || (Number.isInteger(n) && n >= 0 && n <= 0xffffffff);

/** Why a packet is not a complete, valid one ('' when it is). */
function invalid(e: PacketEvent): string {
  if (canonicalIp(e.src) !== e.src || canonicalIp(e.dst) !== e.dst) return `address ${e.src} ${e.dst}`;
  if (e.family === 4 && (e.src.includes(':') || e.dst.includes(':'))) return 'v4 with v6 address';
  if (!(e.inIf !== '' || e.outIf !== '')) return 'no interface';
  const chain = e.inIf !== '' ? (e.outIf !== '' ? 'FORWARD' : 'INPUT') : 'OUTPUT';
  if (e.chain !== chain) return 'chain';
  if (!u8(e.proto) || !u8(e.ttl) || !u8(e.tos) || !u8(e.prec) || !u8(e.icmpType) || !u8(e.icmpCode) || !u8(e.res)) return 'u8';
  if (!u16(e.sport) || !u16(e.dport) || !u16(e.window) || !u16(e.urgp) || !u16(e.udpLen) || !u16(e.icmpId) || !u16(e.icmpSeq)) return 'u16';
  if (!u32(e.seq) || !u32(e.ack) || !u32(e.uid) || !u32(e.gid) || !u32(e.mark) || !u32(e.ipId)) return 'u32';
  if (!(Number.isInteger(e.len) && e.len >= 0 && e.len <= 65575)) return 'len';
  if (!Number.isFinite(e.time)) return 'time';
  if (e.flags !== undefined && (e.proto !== 6 || e.window === undefined || e.sport === undefined || e.urgp === undefined)) return 'tcp half';
  if (e.sport !== undefined && e.dport === undefined) return 'ports half';
  if (e.icmpType !== undefined && e.icmpCode === undefined) return 'icmp half';
  if ((e.proto === 1) && e.icmpType !== undefined && (e.icmpType === 0 || e.icmpType === 8) && (e.icmpId === undefined || e.icmpSeq === undefined)) return 'echo half';
  for (const ch of e.prefix + e.host + e.inIf + e.outIf + (e.mac ?? '')) {
    const c = ch.charCodeAt(0);
    if (c < 32 || c === 127 || c === 0xfffd) return 'control characters kept';
  }
  return '';
}

function check(r: ParseResult): void {
  expect(['packet', 'skip', 'error', 'loss']).toContain(r.kind);
  if (r.kind === 'packet') expect(invalid(r.event)).toBe('');
  if (r.kind === 'error') {
    expect(ERROR_REASONS).toContain(r.reason);
    if (r.detail !== undefined) expect(r.detail.length).toBeLessThanOrEqual(120);
  }
  if (r.kind === 'loss') expect(Number.isInteger(r.notice.count)).toBe(true);
}

describe('parser properties', () => {
  it('every real line is a valid packet (or a psad-era error), in both modes', () => {
    for (const compat of [false, true]) {
      const p = new FirewallLineParser({ psadCompat: compat, timezone: 'UTC' });
      for (const l of samples) check(p.parse(l));
    }
  });

  it('arbitrary text never crashes and never yields an invalid packet', () => {
    const p = new FirewallLineParser({ timezone: 'UTC' });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => { check(p.parse(s)); }), { numRuns: 3000 });
  });

  it('arbitrary bytes decoded as UTF-8 never crash', () => {
    const p = new FirewallLineParser({ timezone: 'UTC', psadCompat: true });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => { check(p.parse(Buffer.from(b).toString('utf8'))); }), { numRuns: 2000 });
  });

  const mutation = fc.record({
    line: fc.constantFrom(...samples),
    at: fc.nat(),
    del: fc.nat({ max: 12 }),
    ins: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('=', ' ', '0', '99999999999', 'SYN', 'IN=x', 'PROTO=TCP', '[', ']', '(', ')', ':', '\u0000', '\ufffd', '\t', 'OPT (', 'SRC=')),
  });

  it('mutated real lines never crash; the result is a complete valid packet or a counted error/skip', () => {
    const p = new FirewallLineParser({ timezone: 'UTC' });
    const q = new FirewallLineParser({ timezone: 'UTC', psadCompat: true });
    fc.assert(fc.property(mutation, ({ line, at, del, ins }) => {
      const k = at % (line.length + 1);
      const m = line.slice(0, k) + ins + line.slice(k + del);
      check(p.parse(m));
      check(q.parse(m));
    }), { numRuns: 4000 });
  });

  it('a TCP line cut anywhere inside its required fields is never a packet', () => {
    const tcp = real.filter((l) => l.includes('PROTO=TCP ') && l.includes(' URGP='));
    const p = new FirewallLineParser({ timezone: 'UTC' });
    fc.assert(fc.property(fc.constantFrom(...tcp), fc.nat(), (line, at) => {
      const urgpEnd = line.indexOf(' ', line.indexOf(' URGP=') + 1);
      const end = urgpEnd < 0 ? line.length : urgpEnd;
      const start = line.indexOf('IN=');
      const cut = start + (at % (end - 1 - start)); // strictly before the end of "URGP=n"
      const r = p.parse(line.slice(0, cut));
      expect(r.kind).not.toBe('packet');
      if (r.kind === 'error') expect(['truncated', 'missing-field', 'bad-number', 'bad-port', 'bad-address', 'bad-flags', 'bad-protocol', 'garbled', 'no-interface']).toContain(r.reason);
    }), { numRuns: 2000 });
  });

  it('ParseStats: lines = packets + skipped + errors + loss notices', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.constantFrom(...samples), fc.string({ maxLength: 80 })), { maxLength: 60 }), (ls) => {
      const p = new FirewallLineParser({ timezone: 'UTC' });
      const st = new ParseStats(2);
      ls.forEach((l, i) => { st.add(p.parse(l, i + 1), l, i + 1); });
      const s = st.summary();
      expect(s.lines).toBe(ls.length);
      expect(s.packets + s.skipped + s.errors + s.lossNotices).toBe(s.lines);
      expect(Object.values(s.byReason).reduce((a, b) => a + b, 0)).toBe(s.errors);
      for (const list of Object.values(s.samples)) expect(list.length).toBeLessThanOrEqual(2);
      // the same lines as one batch count the same
      const p2 = new FirewallLineParser({ timezone: 'UTC' });
      const b = new BatchBuilder('x');
      ls.forEach((l, i) => { b.add(p2.parse(l, i + 1), l, i + 1); });
      const st2 = new ParseStats(2);
      st2.addBatch(b.take());
      const s2 = st2.summary();
      expect([s2.lines, s2.packets, s2.skipped, s2.errors, s2.lossNotices, s2.byReason]).toEqual([s.lines, s.packets, s.skipped, s.errors, s.lossNotices, s.byReason]);
    }), { numRuns: 300 });
  });
});

describe('stream splitters are chunking-invariant', () => {
  it('LineSplitter gives the same lines whatever the chunk boundaries', () => {
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 40 }), { maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1 }), (ls, cuts) => {
      const bytes = Buffer.from(ls.map((l) => `${l.replace(/\n/g, ' ')}\n`).join(''));
      const sp = new LineSplitter(1 << 20);
      const out: string[] = [];
      let pos = 0;
      let c = 0;
      while (pos < bytes.length) {
        const n = cuts[c++ % cuts.length]!;
        sp.feed(bytes.subarray(pos, pos + n), pos);
        pos += n;
        while (sp.next()) out.push(sp.text);
      }
      expect(out).toEqual(bytes.toString().split('\n').slice(0, -1));
    }), { numRuns: 500 });
  });

  it('SyslogFrameReader gives the same frames whatever the chunk boundaries', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.string({ minLength: 1, maxLength: 60 })), { maxLength: 20 }), fc.integer({ min: 1, max: 40 }), (msgs, step) => {
      const clean = msgs.map(([oc, m]) => [oc, `<4>${m.replace(/[\r\n\0]/g, ' ')}`] as const);
      const stream = Buffer.concat(clean.map(([oc, m]) => (oc ? Buffer.from(`${Buffer.byteLength(m)} ${m}`) : Buffer.from(`${m}\n`))));
      const out: string[] = [];
      const fr = new SyslogFrameReader(1 << 16);
      for (let i = 0; i < stream.length; i += step) fr.push(stream.subarray(i, i + step), (t) => out.push(t));
      expect(out).toEqual(clean.map(([, m]) => m));
    }), { numRuns: 500 });
  });
});
