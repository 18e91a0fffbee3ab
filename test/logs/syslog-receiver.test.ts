// SyslogReceiver over real sockets on 127.0.0.1: UDP and TCP, RFC 3164 and 5424, newline and octet-counted framing
// (also from util-linux logger), sending host kept, oversize messages bounded, connection cap.
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { PacketEvent } from '../../src/domain/events.ts';
import type { BatchError } from '../../src/logs/batch.ts';
import { SyslogReceiver, parseListenUrl } from '../../src/logs/syslog-receiver.ts';
import type { ReceiverNotice } from '../../src/logs/syslog-receiver.ts';
import { SyslogFrameReader } from '../../src/logs/syslog-frames.ts';

const run = promisify(execFile);
const BODY = 'DROP IN=eth0 OUT= SRC=198.51.100.7 DST=203.0.113.1 LEN=44 TOS=0x00 PREC=0x00 TTL=53 ID=1 PROTO=TCP SPT=40000 DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0';

const open: SyslogReceiver[] = [];
afterEach(async () => { for (const r of open.splice(0)) await r.stop(); });

async function receiver(listen: string, extra: Partial<ConstructorParameters<typeof SyslogReceiver>[0]> = {}) {
  const packets: PacketEvent[] = [];
  const errors: BatchError[] = [];
  const notices: ReceiverNotice[] = [];
  const r = new SyslogReceiver({
    listen, parserOptions: { timezone: 'UTC' }, flushIntervalMs: 10,
    onBatch: (b) => { packets.push(...b.packets); errors.push(...b.errors); expect(b.offset).toBeUndefined(); },
    onNotice: (n) => notices.push(n),
    ...extra,
  });
  const addr = await r.start();
  open.push(r);
  return { r, packets, errors, notices, port: addr.port };
}

async function until(pred: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((res) => setTimeout(res, 10));
  }
}

function tcp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => { resolve(s); });
    s.on('error', reject);
  });
}

describe('parseListenUrl', () => {
  it('accepts udp/tcp with IPv4, IPv6 and names; rejects the rest', () => {
    expect(parseListenUrl('udp://127.0.0.1:514')).toEqual({ proto: 'udp', host: '127.0.0.1', port: 514 });
    expect(parseListenUrl('tcp://[::1]:6514')).toEqual({ proto: 'tcp', host: '::1', port: 6514 });
    for (const bad of ['http://x:1', 'udp://x', 'tcp://:1', 'udp://h:70000', 'udp://h:1/x']) expect(() => parseListenUrl(bad)).toThrow();
  });
});

describe('SyslogFrameReader', () => {
  it('octet counting and newline framing, split anywhere, digits that are not a count', () => {
    const msgs = [`<4>1 2024-01-05T12:00:00Z fw1 kernel - - - ${BODY}`, `<4>Nov 26 14:22:44 fw2 kernel: ${BODY}`, `2015-03-07T05:09:30+02:00 fw3 kernel: ${BODY}`];
    const stream = Buffer.from(`${Buffer.byteLength(msgs[0]!)} ${msgs[0]!}${msgs[1]!}\n${msgs[2]!}\r\n${Buffer.byteLength(msgs[1]!)} ${msgs[1]!}`);
    for (const step of [1, 7, 1000]) {
      const out: string[] = [];
      const fr = new SyslogFrameReader(4096);
      for (let i = 0; i < stream.length; i += step) fr.push(stream.subarray(i, i + step), (t) => out.push(t));
      expect(out).toEqual([msgs[0], msgs[1], msgs[2], msgs[1]]);
    }
  });
  it('bounds an oversize frame and keeps the next one', () => {
    const out: [string, boolean][] = [];
    const fr = new SyslogFrameReader(100);
    fr.push(Buffer.from(`${'x'.repeat(1000)}\nshort\n5000 `), (t, o) => out.push([t, o]));
    fr.push(Buffer.alloc(5000, 65), (t, o) => out.push([t.slice(0, 3), o]));
    fr.push(Buffer.from('3 abc'), (t, o) => out.push([t, o]));
    expect(out).toEqual([['x'.repeat(100), true], ['short', false], ['AAA', true], ['abc', false]]);
  });
});

describe('SyslogReceiver', () => {
  it('UDP: RFC 3164 and 5424, host = sender (default) or the message HOSTNAME', async () => {
    const a = await receiver('udp://127.0.0.1:0');
    const b = await receiver('udp://127.0.0.1:0', { hostFrom: 'message' });
    const s = createSocket('udp4');
    for (const port of [a.port, b.port]) {
      s.send(`<4>Nov 26 14:22:44 fw1 kernel: ${BODY}\n`, port, '127.0.0.1');
      s.send(`<4>1 2024-01-05T12:00:00.5Z fw2 kernel - - [x@1 a="b"] ${BODY}`, port, '127.0.0.1');
    }
    await until(() => a.packets.length === 2 && b.packets.length === 2);
    s.close();
    expect(a.packets.map((p) => p.host)).toEqual(['127.0.0.1', '127.0.0.1']);
    expect(b.packets.map((p) => p.host).sort()).toEqual(['fw1', 'fw2']);
    const five = b.packets.find((p) => p.host === 'fw2')!;
    expect(five).toMatchObject({ time: Date.UTC(2024, 0, 5, 12, 0, 0, 500), timeSource: 'rfc5424', src: '198.51.100.7', dport: 22, prefix: 'DROP' });
  });

  it('TCP: newline and octet-counted frames across writes; an oversize frame is one too-long error', async () => {
    const t = await receiver('tcp://127.0.0.1:0', { maxMessage: 2048 });
    const s = await tcp(t.port);
    const m = `<4>1 2024-01-05T12:00:00Z fw1 kernel - - - ${BODY}`;
    const whole = `${Buffer.byteLength(m)} ${m}<4>Nov 26 14:22:44 fw2 kernel: ${BODY}\n<4>Nov 26 14:22:45 fw2 kernel: ${BODY} ${'Z'.repeat(5000)}\n<4>Nov 26 14:22:46 fw2 kernel: ${BODY}\n`;
    for (let i = 0; i < whole.length; i += 333) s.write(whole.slice(i, i + 333));
    await until(() => t.packets.length === 3 && t.errors.length === 1);
    expect(t.errors[0]).toMatchObject({ reason: 'too-long' });
    s.end();
  });

  it('TCP: refuses connections beyond maxConnections', async () => {
    const t = await receiver('tcp://127.0.0.1:0', { maxConnections: 1 });
    const s1 = await tcp(t.port);
    await until(() => t.r.stats.connections === 1);
    const s2 = await tcp(t.port).catch(() => null);
    await until(() => t.notices.some((n) => n.kind === 'connection-refused'));
    s1.write(`<4>Nov 26 14:22:44 fw1 kernel: ${BODY}\n`);
    await until(() => t.packets.length === 1);
    s1.end();
    s2?.destroy();
  });

  it('receives from util-linux logger (UDP RFC 5424, TCP octet-counted and newline)', async () => {
    const u = await receiver('udp://127.0.0.1:0');
    const t = await receiver('tcp://127.0.0.1:0');
    await run('logger', ['--server', '127.0.0.1', '--port', String(u.port), '--udp', '--rfc5424', '-t', 'kernel', BODY]);
    await run('logger', ['--server', '127.0.0.1', '--port', String(t.port), '--tcp', '--octet-count', '--rfc5424', '-t', 'kernel', BODY]);
    await run('logger', ['--server', '127.0.0.1', '--port', String(t.port), '--tcp', '--rfc3164', '-t', 'kernel', BODY]);
    await until(() => u.packets.length === 1 && t.packets.length === 2);
    expect(u.packets[0]).toMatchObject({ timeSource: 'rfc5424', host: '127.0.0.1', dport: 22, prefix: 'DROP' });
    expect(t.packets.map((p) => p.timeSource).sort()).toEqual(['rfc5424', 'syslog']);
  });

  it('UDP: drops beyond the queue limit are counted and reported', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const u = await receiver('udp://127.0.0.1:0', { queueLimit: 100, batchSize: 10, onBatch: () => gate });
    const s = createSocket('udp4');
    for (let i = 0; i < 300; i++) s.send(`<4>Nov 26 14:22:44 fw1 kernel: ${BODY}`, u.port, '127.0.0.1');
    await until(() => u.r.stats.received === 300);
    s.close();
    expect(u.r.stats.dropped).toBeGreaterThan(0);
    release();
    await u.r.flush();
    await until(() => u.notices.some((n) => n.kind === 'dropped'));
  });
});
