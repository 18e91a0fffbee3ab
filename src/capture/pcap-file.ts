// Reads pcap and pcapng files through node_pcap (libpcap), handing each frame over in one reused buffer, no copies in JS.
import { createRequire } from 'node:module';
import { pwError } from '../domain/errors.ts';
import { linkTypeFromNodePcap } from './link.ts';

/** Called per frame; `frame` is reused for the next one, so decode it before returning. */
export type FrameCallback = (frame: Uint8Array, caplen: number, wirelen: number, tsSec: number, tsUsec: number) => void;

/** What reading a file produced. */
export interface PcapReadResult {
  /** libpcap link type of the file. */
  linkType: number;
  /** Frames handed to the callback (after the capture filter). */
  frames: number;
  /** Set when libpcap stopped before the end: a truncated or corrupt file (frames before it were delivered). */
  truncated: boolean;
}

/** The native session of node_pcap (pcap_binding.node); its JS wrapper adds an event and an object per packet. */
interface NativeSession {
  open_offline(path: string, filter: string, bufSize: number, snap: number, out: string, cb: () => void, monitor: boolean, timeout: number, warn: (w: string) => void, promisc: boolean): string;
  dispatch(buf: Uint8Array, header: Uint8Array): number;
  close(): void;
}

interface NativeBinding {
  PcapSession: new () => NativeSession;
  lib_version(): string;
}

let binding: NativeBinding | null = null;

function native(): NativeBinding {
  if (!binding) {
    const require = createRequire(import.meta.url);
    // node_pcap's own wrapper (pcap.js) emits an EventEmitter event with a new object per packet; driving its native
    // session directly keeps libpcap's reader and filter but halves the per-packet cost (see docs/fingerprint.md)
    binding = require('pcap/build/Release/pcap_binding.node') as NativeBinding;
  }
  return binding;
}

/** libpcap's version string, for diagnostics. */
export function libpcapVersion(): string {
  return native().lib_version();
}

const SNAP = 262144;

function open(path: string, filter: string, cb: () => void): { s: NativeSession; linkType: number } {
  const s = new (native().PcapSession)();
  let lt: string;
  try {
    lt = s.open_offline(path, filter, 0, SNAP, '', cb, false, 1000, () => undefined, false);
  } catch (e) {
    const msg = (e as Error).message;
    if (/syntax error|can't parse filter|illegal|unknown/i.test(msg) && filter !== '') {
      throw pwError('PW_ERR_USAGE', [`capture filter "${filter}": ${msg}`]);
    }
    throw pwError('PW_ERR_INPUT_UNREADABLE', [path, msg], { path });
  }
  return { s, linkType: linkTypeFromNodePcap(lt) };
}

/** The link type of a capture file (opens and closes it). Throws PW_ERR_INPUT_UNREADABLE for a file libpcap refuses. */
export function pcapLinkType(path: string): number {
  const { s, linkType } = open(path, '', () => undefined);
  s.close();
  return linkType;
}

/**
 * Reads every frame of a pcap/pcapng file ("-" is standard input) that passes `filter` (BPF, compiled by libpcap)
 * and calls `onFrame` synchronously; `onOpen` gets the link type first and may throw to refuse the file. A file
 * libpcap cannot open throws PW_ERR_INPUT_UNREADABLE; a file that breaks off part-way returns `truncated: true`
 * after delivering what could be read.
 */
export function readPcapFile(path: string, filter: string, onFrame: FrameCallback, onOpen?: (linkType: number) => void): PcapReadResult {
  // plain Uint8Arrays, not Buffers: a consumer's frame.slice() must copy (Buffer#slice would alias the reused frame)
  const frame = new Uint8Array(SNAP);
  const header = new Uint8Array(16);
  const h32 = new Uint32Array(header.buffer, 0, 4);
  let frames = 0;
  const { s, linkType } = open(path, filter, () => {
    frames++;
    onFrame(frame, h32[2]!, h32[3]!, h32[0]!, h32[1]!);
  });
  let r = 0;
  try {
    onOpen?.(linkType);
    do {
      r = s.dispatch(frame, header);
    } while (r > 0);
  } finally {
    s.close();
  }
  return { linkType, frames, truncated: r < 0 };
}
