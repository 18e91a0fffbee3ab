// A PTR lookup over UDP that keeps the answer's TTL (node:dns reverse() drops it): query encoding and a bounded parser.
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { ParsedIp } from '../../domain/address.ts';

/** What one PTR query answered: names (empty for NXDOMAIN / no data) and the smallest TTL of the answer section. */
export interface PtrAnswer {
  names: string[];
  /** Seconds; for a negative answer the SOA minimum when the server sent one, else null. */
  ttl: number | null;
}

/** The reverse-zone name of an address: d.c.b.a.in-addr.arpa or the 32 nibbles of ip6.arpa. */
export function reverseName(ip: ParsedIp): string {
  if (ip.family === 4) return `${[...ip.bytes].reverse().join('.')}.in-addr.arpa`;
  const nibbles: string[] = [];
  for (let i = ip.bytes.length - 1; i >= 0; i--) {
    const b = ip.bytes[i] ?? 0;
    nibbles.push((b & 15).toString(16), (b >> 4).toString(16));
  }
  return `${nibbles.join('.')}.ip6.arpa`;
}

/** A standard recursive query for `name` of type PTR (12), class IN. */
export function encodePtrQuery(id: number, name: string): Buffer {
  const labels = name.split('.').filter((l) => l.length > 0);
  const q = Buffer.alloc(12 + labels.reduce((n, l) => n + 1 + l.length, 0) + 1 + 4);
  q.writeUInt16BE(id & 0xffff, 0);
  q.writeUInt16BE(0x0100, 2); // RD
  q.writeUInt16BE(1, 4);
  let o = 12;
  for (const l of labels) {
    q[o++] = l.length;
    o += q.write(l, o, 'ascii');
  }
  q[o++] = 0;
  q.writeUInt16BE(12, o);
  q.writeUInt16BE(1, o + 2);
  return q;
}

/** Why a response could not be used; the caller falls back to the system resolver. */
export class DnsFormatError extends Error {}

/** Reads a (possibly compressed) name at `off`; returns it and the offset after it in the record. */
function readName(msg: Buffer, off: number): { name: string; next: number } {
  const labels: string[] = [];
  let o = off;
  let next = -1;
  // a pointer loop or an endless chain is bounded by the message size
  for (let hops = 0; hops <= msg.length; hops++) {
    if (o >= msg.length) throw new DnsFormatError('name past the end of the message');
    const len = msg[o] ?? 0;
    if (len === 0) {
      if (next < 0) next = o + 1;
      return { name: labels.join('.'), next };
    }
    if ((len & 0xc0) === 0xc0) {
      if (o + 1 >= msg.length) throw new DnsFormatError('truncated compression pointer');
      if (next < 0) next = o + 2;
      o = ((len & 0x3f) << 8) | (msg[o + 1] ?? 0);
      continue;
    }
    if ((len & 0xc0) !== 0) throw new DnsFormatError('unknown label type');
    if (o + 1 + len > msg.length) throw new DnsFormatError('label past the end of the message');
    labels.push(msg.toString('latin1', o + 1, o + 1 + len));
    if (labels.length > 127) throw new DnsFormatError('name too long');
    o += 1 + len;
  }
  throw new DnsFormatError('compression loop');
}

/**
 * Parses the response to query `id`: PTR names of the answer section and the smallest TTL of the records that led
 * to them (CNAMEs of classless delegations included). NXDOMAIN and empty answers give no names, with the SOA minimum
 * of the authority section as the negative TTL (RFC 2308). Throws DnsFormatError for anything it cannot trust.
 */
export function parsePtrResponse(msg: Buffer, id: number): PtrAnswer | 'truncated' {
  if (msg.length < 12) throw new DnsFormatError('shorter than a DNS header');
  if (msg.readUInt16BE(0) !== (id & 0xffff)) throw new DnsFormatError('answer to another query');
  const flags = msg.readUInt16BE(2);
  if ((flags & 0x8000) === 0) throw new DnsFormatError('not a response');
  if ((flags & 0x0200) !== 0) return 'truncated';
  const rcode = flags & 15;
  if (rcode !== 0 && rcode !== 3) throw new DnsFormatError(`server answered rcode ${String(rcode)}`);
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  const ns = msg.readUInt16BE(8);
  let o = 12;
  for (let i = 0; i < qd; i++) o = readName(msg, o).next + 4;
  const names: string[] = [];
  let ttl: number | null = null;
  let negTtl: number | null = null;
  for (let i = 0; i < an + ns; i++) {
    const rr = readName(msg, o);
    o = rr.next;
    if (o + 10 > msg.length) throw new DnsFormatError('record header past the end of the message');
    const type = msg.readUInt16BE(o);
    const recTtl = msg.readUInt32BE(o + 4) & 0x7fffffff; // RFC 2181: a set top bit means 0, never a huge value
    const rdlen = msg.readUInt16BE(o + 8);
    const rdata = o + 10;
    if (rdata + rdlen > msg.length) throw new DnsFormatError('record data past the end of the message');
    if (i < an) {
      if (type === 12) names.push(readName(msg, rdata).name.toLowerCase());
      if (type === 12 || type === 5) ttl = ttl === null ? recTtl : Math.min(ttl, recTtl);
    } else if (type === 6) {
      // SOA: mname, rname, then serial refresh retry expire minimum
      const afterNames = readName(msg, readName(msg, rdata).next).next;
      if (afterNames + 20 > rdata + rdlen) throw new DnsFormatError('short SOA record');
      negTtl = Math.min(recTtl, msg.readUInt32BE(afterNames + 16));
    }
    o = rdata + rdlen;
  }
  return names.length > 0 ? { names, ttl } : { names: [], ttl: negTtl };
}

/** Sends one PTR query to `server` ("1.2.3.4", "1.2.3.4:53", "[::1]:5353") and waits for the matching answer. */
export function queryPtr(server: string, name: string, timeoutMs: number): Promise<PtrAnswer | 'truncated'> {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(server) ?? /^([^:]+)(?::(\d+))?$/.exec(server);
  const host = m?.[1] ?? server;
  const port = Number(m?.[2] ?? 53);
  const id = Math.floor(Math.random() * 0x10000);
  const query = encodePtrQuery(id, name);
  return new Promise((resolve, reject) => {
    const sock = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    let finished = false;
    const done = (fn: () => void): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.close();
      fn();
    };
    const timer = setTimeout(() => { done(() => { reject(new Error(`no DNS answer from ${server} within ${String(timeoutMs)} ms`)); }); }, timeoutMs);
    sock.on('error', (e) => { done(() => { reject(e); }); });
    sock.on('message', (msg, rinfo) => {
      // only the server asked may answer (a spoofed reply from elsewhere is ignored, as is one for another id)
      if (rinfo.port !== port) return;
      let r: PtrAnswer | 'truncated';
      try {
        r = parsePtrResponse(msg, id);
      } catch (e) {
        if (e instanceof DnsFormatError && /another query|not a response/.test(e.message)) return;
        done(() => { reject(e instanceof Error ? e : new DnsFormatError(String(e))); });
        return;
      }
      done(() => { resolve(r); });
    });
    sock.send(query, port, host, (e) => { if (e) done(() => { reject(e); }); });
  });
}
