// Reverse DNS against a fake name server on 127.0.0.1: the PTR record's own TTL bounds the cache; the parser is bounded.
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseIp } from '../../src/domain/address.ts';
import { DnsFormatError, encodePtrQuery, parsePtrResponse, reverseName } from '../../src/enrich/rdns/ptr-query.ts';
import { ReverseDns, systemResolver } from '../../src/enrich/rdns/rdns.ts';

/** Encodes a name without compression. */
function name(n: string): Buffer {
  const parts = n.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

function u16(n: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; }
function u32(n: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; }

/** A resource record whose owner is a pointer to the question name (offset 12), as real servers compress it. */
function rr(type: number, ttl: number, rdata: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0xc0, 12]), u16(type), u16(1), u32(ttl), u16(rdata.length), rdata]);
}

interface Zone { ptr: Record<string, { name: string; ttl: number }>; a: Record<string, { addr: string; ttl: number }> }

/** Answers PTR and A queries from `zone`; NXDOMAIN with an SOA (minimum 45 s) otherwise. */
function answer(q: Buffer, zone: Zone): Buffer {
  const labels: string[] = [];
  let o = 12;
  while ((q[o] ?? 0) !== 0) { const len = q[o] ?? 0; labels.push(q.toString('ascii', o + 1, o + 1 + len)); o += 1 + len; }
  const qtype = q.readUInt16BE(o + 1);
  const question = q.subarray(12, o + 5);
  const qname = labels.join('.').toLowerCase();
  const records: Buffer[] = [];
  const p = zone.ptr[qname];
  const a = zone.a[qname];
  if (qtype === 12 && p) records.push(rr(12, p.ttl, name(p.name)));
  if (qtype === 1 && a) records.push(rr(1, a.ttl, Buffer.from(a.addr.split('.').map(Number))));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.readUInt16BE(0), 0);
  if (records.length > 0) {
    header.writeUInt16BE(0x8180, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(records.length, 6);
    return Buffer.concat([header, question, ...records]);
  }
  header.writeUInt16BE(0x8183, 2); // NXDOMAIN
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(1, 8);
  const soa = Buffer.concat([name('ns.example.test'), name('hostmaster.example.test'), u32(1), u32(3600), u32(600), u32(86400), u32(45)]);
  return Buffer.concat([header, question, rr(6, 3600, soa)]);
}

const zone: Zone = {
  ptr: {
    '7.113.0.203.in-addr.arpa': { name: 'scanner.example.test', ttl: 300 },
    '8.113.0.203.in-addr.arpa': { name: 'liar.example.test', ttl: 900 },
  },
  a: {
    'scanner.example.test': { addr: '203.0.113.7', ttl: 3600 },
    'liar.example.test': { addr: '198.51.100.1', ttl: 3600 },
  },
};

let server: Socket;
let addr = '';
const seen: string[] = [];

beforeAll(async () => {
  server = createSocket('udp4');
  server.on('message', (q, r) => {
    seen.push(q.toString('latin1'));
    server.send(answer(q, zone), r.port, r.address);
  });
  await new Promise<void>((res) => { server.bind(0, '127.0.0.1', res); });
  addr = `127.0.0.1:${String(server.address().port)}`;
});
afterAll(() => { server.close(); });

describe('reverse DNS through a name server on loopback', () => {
  it('names the reverse zones of IPv4 and IPv6 addresses', () => {
    expect(reverseName(parseIp('203.0.113.7')!)).toBe('7.113.0.203.in-addr.arpa');
    expect(reverseName(parseIp('2001:db8::1')!)).toBe(`1.${'0.'.repeat(23)}8.b.d.0.1.0.0.2.ip6.arpa`);
  });

  it("keeps the PTR record's TTL when it is shorter than the forward record's", async () => {
    const res = systemResolver(2000, [addr]);
    expect(await res.reverse('203.0.113.7')).toEqual({ names: ['scanner.example.test'], ttl: 300 });
    const rdns = new ReverseDns({ resolver: res, timeoutMs: 2000, minTtl: 60, maxTtl: 86400, negativeTtl: 120 });
    const r = await rdns.lookup('203.0.113.7');
    // before, the forward record's 3600 s was used because node:dns hides the PTR TTL
    expect(r).toEqual({ kind: 'done', info: { name: 'scanner.example.test', confirmed: true }, ttlSeconds: 300, cached: false });
    const liar = await rdns.lookup('203.0.113.8');
    expect(liar).toMatchObject({ kind: 'done', info: { name: 'liar.example.test', confirmed: false } });
  });

  it('gives no names for NXDOMAIN, with the SOA minimum as the negative TTL', async () => {
    const res = systemResolver(2000, [addr]);
    expect(await res.reverse('198.51.100.99')).toEqual({ names: [], ttl: 45 });
  });

  it('tries the next server when one is silent, and fails when none answers', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((res) => { silent.bind(0, '127.0.0.1', res); });
    const dead = `127.0.0.1:${String(silent.address().port)}`;
    try {
      expect((await systemResolver(400, [dead, addr]).reverse('203.0.113.7')).ttl).toBe(300);
      await expect(systemResolver(400, [dead]).reverse('203.0.113.7')).rejects.toThrow(/no DNS answer/);
    } finally {
      silent.close();
    }
  });
});

describe('PTR response parser', () => {
  const query = encodePtrQuery(0x1234, '7.113.0.203.in-addr.arpa');
  const good = answer(query, zone);

  it('reads a compressed answer', () => {
    expect(parsePtrResponse(good, 0x1234)).toEqual({ names: ['scanner.example.test'], ttl: 300 });
    expect(() => parsePtrResponse(good, 0x4321)).toThrow(DnsFormatError);
  });

  it('rejects a compression loop instead of spinning', () => {
    const loop = Buffer.from(good);
    // the answer's owner pointer now points at itself
    const at = good.length - (2 + 10 + name('scanner.example.test').length);
    loop[at] = 0xc0;
    loop[at + 1] = at;
    expect(() => parsePtrResponse(loop, 0x1234)).toThrow(DnsFormatError);
  });

  it('never throws anything but DnsFormatError on arbitrary or mutated bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      try { parsePtrResponse(Buffer.from(bytes), 0x1234); } catch (e) { if (!(e instanceof DnsFormatError)) throw e; }
    }), { numRuns: 20_000 });
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), (edits) => {
      const b = Buffer.from(good);
      for (const [i, v] of edits) b[i] = v;
      try {
        const r = parsePtrResponse(b, b.readUInt16BE(0));
        if (r !== 'truncated') for (const n of r.names) expect(n.length).toBeLessThan(good.length * 2);
      } catch (e) { if (!(e instanceof DnsFormatError)) throw e; }
    }), { numRuns: 20_000 });
  });
});
