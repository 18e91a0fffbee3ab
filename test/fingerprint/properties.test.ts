// Property tests: arbitrary bytes and mutated real frames never crash the decoder or the engine (>= 100,000 cases).
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, Decode, DECODE_NAMES } from '../../src/capture/decode.ts';
import { LinkType, offlineFilter, passesOfflineFilter } from '../../src/capture/link.ts';
import { readPcapFile } from '../../src/capture/pcap-file.ts';
import { readPcapJs } from '../../src/capture/pcap-js.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { emptyObservation } from '../../src/domain/observation.ts';
import type { PacketEvent } from '../../src/domain/events.ts';
import { P0fEngine } from '../../src/fingerprint/engine.ts';
import type { EngineSink } from '../../src/fingerprint/engine.ts';
import { NameRegistry, parseFpFile } from '../../src/fingerprint/fp-file.ts';
import { LogFingerprinter } from '../../src/fingerprint/log-bridge.ts';
import { P0fEncoder } from '../../src/fingerprint/p0f-encoder.ts';
import { formatMtuLine, formatTcpLine } from '../../src/fingerprint/p0f-format.ts';
import { toRecord } from '../../src/fingerprint/record.ts';
import { parseTcpSig, SigSyntaxError } from '../../src/fingerprint/tcp-sig.ts';
import { isProbewatchError } from '../../src/domain/errors.ts';
import { CASES, defaultDb, plainPath } from './helpers.ts';

const LINKS = [LinkType.EN10MB, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.RAW, LinkType.NULL, LinkType.LOOP, LinkType.IPV4, LinkType.IPV6, 9999];
const db = defaultDb();

/** Every consumer of an observation, so a malformed packet exercises all of them. */
function fullSink(): EngineSink & { lines: number } {
  const enc = new P0fEncoder(() => undefined, 8192);
  const s = {
    lines: 0,
    tcp: (ev: Parameters<EngineSink['tcp']>[0]) => {
      enc.tcp(ev);
      // the text formatter and the JSON record on every fourth event keep the run short and still cover them
      if ((s.lines & 3) === 0) {
        const line = formatTcpLine(ev);
        const rec = toRecord(ev, db);
        if (!line.includes(rec.rawSig)) throw new Error(`raw_sig mismatch: ${line} / ${rec.rawSig}`);
      }
      s.lines++;
    },
    mtu: (ev: Parameters<EngineSink['mtu']>[0]) => { enc.mtu(ev); formatMtuLine(ev); s.lines++; },
  };
  return s;
}

function checkDecoded(r: number): void {
  expect(r & 0x7f).toBeLessThan(DECODE_NAMES.length);
}

/** Real frames from the golden captures (copied out of the reader's reused buffer). */
function realFrames(): { lt: number; frame: Uint8Array }[] {
  const out: { lt: number; frame: Uint8Array }[] = [];
  for (const f of ['fp-edge/quirks.pcap', 'fp-edge/options.pcap', 'fp-edge/flows.pcap', 'fp-linux-kernel/linux.pcap', 'fp-corpus-c1/crafted-wire.pcap', 'fp-edge/link-sll2.pcap', 'fp-beyond-p0f/v6ext.pcap', 'fp-beyond-p0f/vlan.pcap', 'fp-mkpcap-response-d0/input.pcap']) {
    let lt = 1;
    readPcapFile(plainPath(join(CASES, f)), '', (frame, caplen) => { out.push({ lt, frame: frame.slice(0, caplen) }); }, (t) => { lt = t; });
  }
  return out;
}

describe('the decoder and engine take any bytes', () => {
  it('arbitrary bytes on every link type: a status, never an exception (40,000 cases)', () => {
    const engine = new P0fEngine(db, fullSink());
    const o = emptyObservation('pcap');
    fc.assert(fc.property(fc.constantFrom(...LINKS), fc.uint8Array({ maxLength: 160 }), fc.nat(0xffffffff), fc.boolean(), (lt, bytes, t, short) => {
      const caplen = short ? Math.floor(bytes.length / 2) : bytes.length;
      o.time = t * 1000;
      const r = decodeFrame(lt, bytes, caplen, bytes.length, o);
      checkDecoded(r);
      if ((r & 0x7f) === Decode.OK) {
        expect(o.optOff + o.optLen).toBeLessThanOrEqual(caplen);
        expect(o.srcOff + (o.family === 4 ? 4 : 16)).toBeLessThanOrEqual(caplen);
        engine.process(o);
      }
    }), { numRuns: 40_000 });
  });

  it('mutated real frames (flipped, truncated, extended, header fields overwritten) go through every consumer (60,000 cases)', () => {
    const frames = realFrames();
    expect(frames.length).toBeGreaterThan(150);
    const sink = fullSink();
    const engine = new P0fEngine(db, sink, { maxFlows: 50, maxHosts: 100, flowMaxAge: 30, hostIdleMinutes: 1 });
    const o = emptyObservation('pcap');
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.nat(255) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), value: fc.nat(255) }),
      fc.record({ kind: fc.constant('grow' as const), at: fc.nat(64), value: fc.nat(255) }),
      // the bytes that drive parsing: IHL, lengths, next header, data offset, option kinds and lengths
      fc.record({ kind: fc.constant('header' as const), at: fc.integer({ min: 14, max: 80 }), value: fc.nat(255) }),
    );
    fc.assert(fc.property(fc.nat(frames.length - 1), fc.array(mutation, { minLength: 1, maxLength: 6 }), fc.nat(100_000), (i, muts, t) => {
      const { lt, frame } = frames[i]!;
      let b = frame.slice();
      for (const m of muts) {
        if (m.kind === 'flip' || m.kind === 'header') { if (b.length > 0) b[m.at % b.length] = m.value; }
        else if (m.kind === 'cut') b = b.slice(0, m.at % (b.length + 1));
        else b = Uint8Array.from([...b, ...new Array<number>(m.at).fill(m.value)]);
      }
      o.time = 1_700_000_000_000 + t * 1000;
      const r = decodeFrame(lt, b, b.length, frame.length, o);
      checkDecoded(r);
      if ((r & 0x7f) === Decode.OK) {
        engine.process(o, (r & 0x80) !== 0);
        // end the flow, so the next mutation of the same frame is not a retransmission p0f would ignore
        o.flags = 0x04;
        engine.process(o, false);
      } else if (r & 0x80) {
        engine.tick(o.time);
      }
      // p0f's own pruning keeps the tables bounded whatever arrives
      expect(engine.flowCount).toBeLessThanOrEqual(51);
    }), { numRuns: 60_000 });
    expect(sink.lines).toBeGreaterThan(1000);
  }, 180_000); // ~5 s on a quiet machine; CI machines can be busy
});

describe('the built-in pcap/pcapng reader takes any file', () => {
  it('real files cut anywhere, corrupted or random: frames, a truncation flag or an unreadable-input error (1,000 cases)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-fpjs-'));
    const seeds = ['fp-edge/quirks.pcap', 'fp-edge/format.pcapng', 'fp-edge/format-be-nsec.pcap'].map((f) => readFileSync(join(CASES, f)));
    const path = join(dir, 'x');
    try {
      fc.assert(fc.property(fc.nat(seeds.length - 1), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 8 }), fc.boolean(), (i, cut, flips, random) => {
        let b = random ? Uint8Array.from(seeds[i]!.subarray(0, 24 + (cut % 200)), () => Math.floor(Math.random() * 256)) : Uint8Array.from(seeds[i]!.subarray(0, cut % (seeds[i]!.length + 1)));
        if (!random) for (const [at, v] of flips) if (b.length > 0) b[at % b.length] = v;
        if (random && b.length > 4) b = Uint8Array.from([...seeds[i]!.subarray(0, 4), ...b.subarray(4)]);
        writeFileSync(path, b);
        try {
          const r = readPcapJs(path, (buf, caplen, _wirelen, _sec, _usec, at) => { expect(at + caplen).toBeLessThanOrEqual(buf.length); });
          expect(r.frames).toBeGreaterThanOrEqual(0);
        } catch (e) {
          expect(isProbewatchError(e) && e.code === 'PW_ERR_INPUT_UNREADABLE').toBe(true);
        }
      }), { numRuns: 1_000 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the built-in reader delivers the frames libpcap\'s offline filter passes', () => {
  /** A classic pcap of `frames` on link type `lt`; frame i has timestamp second i. */
  function pcapOf(lt: number, frames: readonly Uint8Array[]): Uint8Array {
    const total = 24 + frames.reduce((n, f) => n + 16 + f.length, 0);
    const b = new Uint8Array(total);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, 0xa1b2c3d4, true); dv.setUint16(4, 2, true); dv.setUint16(6, 4, true); dv.setUint32(16, 65535, true); dv.setUint32(20, lt, true);
    let p = 24;
    frames.forEach((f, i) => {
      dv.setUint32(p, i + 1, true); dv.setUint32(p + 8, f.length, true); dv.setUint32(p + 12, f.length, true);
      b.set(f, p + 16);
      p += 16 + f.length;
    });
    return b;
  }
  const ip4 = Uint8Array.from([0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2, 0, 80, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 2, 0xff, 0xff, 0, 0, 0, 0]);
  const ip6 = Uint8Array.from([0x60, 0, 0, 0, 0, 20, 6, 64, ...new Uint8Array(32), ...ip4.subarray(20)]);
  const types = [0x0800, 0x86dd, 0x8100, 0x88a8, 0x9100, 0x0806, 0x0000];
  /** A frame: a link header with a chosen or random type field (and maybe VLAN tags), an IP packet, cut and flipped. */
  const frame = (lt: number) => fc.tuple(fc.nat(types.length), fc.nat(types.length), fc.nat(types.length), fc.boolean(), fc.nat(80), fc.array(fc.tuple(fc.nat(60), fc.nat(255)), { maxLength: 3 }), fc.nat(255))
    .map(([t1, t2, t3, v6, cut, flips, proto]) => {
      const ty = (i: number): number => types[i] ?? proto * 257;
      const ip = Uint8Array.from(v6 ? ip6 : ip4);
      ip[v6 ? 6 : 9] = proto & 1 ? 6 : proto;
      const head: number[] = lt === LinkType.EN10MB ? [...new Array<number>(12).fill(2), ty(t1) >> 8, ty(t1) & 255, 0, 1, ty(t2) >> 8, ty(t2) & 255, 0, 1, ty(t3) >> 8, ty(t3) & 255]
        : lt === LinkType.LINUX_SLL ? [0, 0, 0, 1, 0, 6, 2, 2, 2, 2, 2, 2, 0, 0, ty(t1) >> 8, ty(t1) & 255]
        : lt === LinkType.LINUX_SLL2 ? [ty(t1) >> 8, ty(t1) & 255, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 2, 2, 2, 2, 2, 2, 0, 0]
        : [];
      const f = Uint8Array.from([...head, ...ip]);
      for (const [at, v] of flips) f[at % f.length] = v;
      return f.subarray(0, f.length - (cut % (f.length + 1)));
    });
  it.each([LinkType.EN10MB, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.RAW, LinkType.IPV4, LinkType.IPV6])('link type %s: the same frames as libpcap with the filter compiled (4,500 frames)', (lt) => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-fpflt-'));
    const path = join(dir, 'f.pcap');
    try {
      fc.assert(fc.property(fc.array(frame(lt), { minLength: 100, maxLength: 200 }), (frames) => {
        writeFileSync(path, pcapOf(lt, frames));
        const want: number[] = [];
        readPcapFile(path, offlineFilter(lt), (_b, _c, _w, sec) => { want.push(sec); });
        const got: number[] = [];
        readPcapJs(path, (buf, caplen, _w, sec, _u, at) => { if (passesOfflineFilter(lt, buf, at, caplen)) got.push(sec); });
        expect(got).toEqual(want);
      }), { numRuns: 30 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the other parsers take any text', () => {
  it('a sig value either parses or is a SigSyntaxError', () => {
    const tokens = fc.constantFrom('*', '4', '6', ':', ',', '64', '64-', '+', '10', 'mss', 'mss*', 'mtu*', '%', 'nop', 'ws', 'sok', 'sack', 'ts', 'eol+', '?', 'df', 'id+', 'flow', 'ack+', '0', '+', '255', '65536', '');
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.array(tokens, { maxLength: 30 }).map((a) => a.join(''))), (v) => {
      try {
        parseTcpSig(v);
      } catch (e) {
        expect(e).toBeInstanceOf(SigSyntaxError);
      }
    }), { numRuns: 5_000 });
  });

  it('a signature file either loads or fails with a coded error naming the line', () => {
    const lines = fc.constantFrom('classes = win,unix', '[tcp:request]', '[tcp:response]', '[mtu]', '[http:request]', 'label = s:unix:X:y', 'label = g:!:T:', 'sys = @unix', 'sig = *:64:0:*:*,*:mss::0', 'sig = 1500', 'ua_os = Linux', '; c', '', 'sig = *:User-Agent::x');
    fc.assert(fc.property(fc.array(fc.oneof(lines, fc.string({ maxLength: 40 })), { maxLength: 12 }), (ls) => {
      try {
        parseFpFile(ls.join('\n'), 'p.fp', new NameRegistry());
      } catch (e) {
        expect(isProbewatchError(e) && e.code === 'PW_ERR_SIGNATURE_SYNTAX').toBe(true);
        expect((e as Error).message).toMatch(/^p\.fp:\d+: /);
      }
    }), { numRuns: 5_000 });
  });

  it('any logged TCP event is fingerprinted or skipped with a reason', () => {
    const lf = new LogFingerprinter(db, fullSink());
    fc.assert(fc.property(
      fc.record({
        v6: fc.boolean(), len: fc.nat(70000), ttl: fc.nat(255), tos: fc.nat(255), id: fc.nat(65535), df: fc.boolean(), ce: fc.boolean(),
        flags: fc.nat(255), win: fc.nat(65535), res: fc.nat(63), opts: fc.oneof(fc.string({ maxLength: 90 }), fc.uint8Array({ maxLength: 44 }).map((b) => Buffer.from(b).toString('hex').toUpperCase())),
        seq: fc.option(fc.nat(0xffffffff), { nil: undefined }),
      }),
      (r) => {
        const ev = {
          time: 1_700_000_000_000, timeSource: 'syslog', host: 'h', prefix: 'DROP', chain: 'INPUT', inIf: 'eth0', outIf: '',
          family: r.v6 ? 6 : 4, src: r.v6 ? '2001:db8::1' : '192.0.2.1', dst: r.v6 ? '2001:db8::2' : '192.0.2.2', len: r.len,
          tos: r.tos, ttl: r.ttl, ipId: r.id, df: r.df, mf: false, ce: r.ce, ipOptGroups: 0, proto: 6, sport: 1, dport: 2,
          window: r.win, res: r.res, flags: r.flags, urgp: 0, tcpOptions: r.opts, seq: r.seq,
        } as PacketEvent;
        lf.push(ev);
      },
    ), { numRuns: 5_000 });
    expect(lf.stats.events).toBe(5_000);
  });
});
