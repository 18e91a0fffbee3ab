// A pcap / pcapng reader in plain JS: the documented fast path beside node_pcap (no per-packet native callback).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { pwError } from '../domain/errors.ts';
import type { FrameCallback, PcapReadResult } from './pcap-file.ts';

const CHUNK = 1 << 20;
/** Records larger than this are corrupt (libpcap's own limit for savefiles is 256 KiB per packet). */
const MAX_RECORD = 1 << 20;

/**
 * Reads a classic pcap (either byte order, micro- or nanosecond timestamps) or a pcapng file (section header,
 * interface description, enhanced / simple / obsolete packet blocks, any byte order, if_tsresol) and hands each frame
 * to `onFrame` as a view into the read buffer (valid until the callback returns). No capture filter: the caller's
 * decoder decides what matters. `onOpen` receives the link type of the first interface. Throws
 * PW_ERR_INPUT_UNREADABLE for a file that is not a capture; a file that breaks off returns `truncated: true`.
 */
export function readPcapJs(path: string, onFrame: FrameCallback, onOpen?: (linkType: number) => void): PcapReadResult {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw pwError('PW_ERR_INPUT_UNREADABLE', [path, (e as Error).message], { path });
  }
  try {
    return readFd(fd, path, onFrame, onOpen);
  } finally {
    closeSync(fd);
  }
}

function readFd(fd: number, path: string, onFrame: FrameCallback, onOpen?: (linkType: number) => void): PcapReadResult {
  let size = CHUNK * 2;
  try {
    const st = fstatSync(fd);
    // small files get a small buffer; pipes and devices report 0 and get the full chunk
    if (st.isFile() && st.size > 0) size = Math.min(size, st.size + 64);
  } catch { /* keep the default */ }
  let buf = new Uint8Array(size);
  let dv = new DataView(buf.buffer);
  let have = 0;
  let start = 0;
  let eof = false;
  /** Makes `need` bytes available from `start`; false at the end of the file. */
  const fill = (need: number): boolean => {
    while (have - start < need) {
      if (eof) return false;
      if (start > 0) {
        buf.copyWithin(0, start, have);
        have -= start;
        start = 0;
      }
      if (buf.length - have < need || (buf.length - have < CHUNK / 4 && buf.length < CHUNK * 2)) {
        const bigger = new Uint8Array(Math.max(buf.length * 2, need + 64, Math.min(CHUNK * 2, buf.length * 4)));
        bigger.set(buf.subarray(0, have));
        buf = bigger;
        dv = new DataView(buf.buffer);
      }
      const n = readSync(fd, buf, have, buf.length - have, null);
      if (n === 0) eof = true;
      have += n;
    }
    return true;
  };
  const unreadable = (why: string): never => {
    throw pwError('PW_ERR_INPUT_UNREADABLE', [path, why], { path });
  };

  if (!fill(24)) unreadable('file too short to be a capture');
  const magic = dv.getUint32(0, true);
  let frames = 0;

  if (magic === 0xa1b2c3d4 || magic === 0xd4c3b2a1 || magic === 0xa1b23c4d || magic === 0x4d3cb2a1) {
    // classic pcap
    const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
    const nano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
    const linkType = dv.getUint32(20, le) & 0x03ffffff;
    onOpen?.(linkType);
    start = 24;
    for (;;) {
      if (!fill(16)) return { linkType, frames, truncated: have - start > 0 };
      const sec = dv.getUint32(start, le);
      const frac = dv.getUint32(start + 4, le);
      const caplen = dv.getUint32(start + 8, le);
      const wirelen = dv.getUint32(start + 12, le);
      if (caplen > MAX_RECORD) return { linkType, frames, truncated: true };
      if (!fill(16 + caplen)) return { linkType, frames, truncated: true };
      frames++;
      const at = start + 16;
      onFrame(buf.subarray(at, at + caplen), caplen, wirelen, sec, nano ? Math.floor(frac / 1000) : frac);
      start = at + caplen;
    }
  }

  if (magic === 0x0a0d0d0a) {
    // pcapng: blocks of type, total length, body, total length
    let le = true;
    const ifaces: { linkType: number; div: number; mul: number }[] = [];
    let firstLink = -1;
    for (;;) {
      if (!fill(12)) return { linkType: firstLink, frames, truncated: have - start > 0 };
      let type = dv.getUint32(start, le);
      if (type === 0x0a0d0d0a) {
        const bom = dv.getUint32(start + 8, true);
        if (bom === 0x1a2b3c4d) le = true;
        else if (bom === 0x4d3c2b1a) le = false;
        else unreadable('pcapng section header with a bad byte-order mark');
        type = 0x0a0d0d0a;
        ifaces.length = 0;
      }
      const len = dv.getUint32(start + 4, le);
      if (len < 12 || len % 4 !== 0 || len > MAX_RECORD + 64) return { linkType: firstLink, frames, truncated: true };
      if (!fill(len)) return { linkType: firstLink, frames, truncated: true };
      const body = start + 8;
      if (type === 0x00000001 && len >= 20) {
        // interface description: link type, then options (if_tsresol = 9)
        const linkType = dv.getUint16(body, le);
        let div = 1;
        let mul = 1;
        for (let o = body + 8; o + 4 <= start + len - 4;) {
          const code = dv.getUint16(o, le);
          const olen = dv.getUint16(o + 2, le);
          if (code === 0) break;
          if (code === 9 && olen >= 1) {
            const r = buf[o + 4]!;
            const units = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** (r & 0x7f);
            // per-second units → microseconds: scale down (or up for coarse clocks)
            if (units >= 1e6) div = units / 1e6;
            else mul = 1e6 / units;
          }
          o += 4 + ((olen + 3) & ~3);
        }
        ifaces.push({ linkType, div, mul });
        if (firstLink === -1) {
          firstLink = linkType;
          onOpen?.(linkType);
        }
      } else if ((type === 0x00000006 || type === 0x00000002) && len >= 32) {
        // enhanced (6) or obsolete (2) packet block
        const ifId = type === 6 ? dv.getUint32(body, le) : dv.getUint16(body, le);
        const hi = dv.getUint32(body + 4, le);
        const lo = dv.getUint32(body + 8, le);
        const caplen = dv.getUint32(body + 12, le);
        const wirelen = dv.getUint32(body + 16, le);
        const iface = ifaces[ifId];
        // like libpcap, one link type per file: frames of interfaces with another type are skipped
        if (iface && iface.linkType === firstLink && caplen <= len - 32) {
          const ts = (hi * 4294967296 + lo) / iface.div * iface.mul;
          const sec = Math.floor(ts / 1e6);
          frames++;
          onFrame(buf.subarray(body + 20, body + 20 + caplen), caplen, wirelen, sec >>> 0, Math.floor(ts - sec * 1e6));
        }
      } else if (type === 0x00000003 && len >= 16) {
        // simple packet block: no timestamp, interface 0
        const wirelen = dv.getUint32(body, le);
        const caplen = Math.min(wirelen, len - 16);
        if (ifaces[0]) {
          frames++;
          onFrame(buf.subarray(body + 4, body + 4 + caplen), caplen, wirelen, 0, 0);
        }
      }
      start += len;
    }
  }
  return unreadable('not a pcap or pcapng file (unknown magic number)');
}
