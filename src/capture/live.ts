// Live capture (libpcap through `cap`, or node_pcap for kernel drop counts) with a SYN-only BPF filter; permission problems explained.
import { createRequire } from 'node:module';
import { pwError } from '../domain/errors.ts';
import { LinkType, linkTypeFromNodePcap } from './link.ts';

/** Called per captured frame; `frame` is reused. `tsMs` is the capture time (cap: arrival time in the process). */
export type LiveFrameCallback = (frame: Uint8Array, caplen: number, wirelen: number, tsMs: number, tsMicros: number) => void;

/** Which binding captures: `cap` (the default) or node_pcap (`pcap`), which also reports kernel drops and timestamps. */
export type LiveBackend = 'cap' | 'pcap';

/** Kernel counters of one live capture, when the backend can read them. */
export interface LiveDrops {
  /** Packets the kernel dropped because the capture buffer was full (pcap_stats ps_drop), or null when unknown. */
  kernel: number | null;
  /** Packets dropped by the interface or driver (ps_ifdrop), or null when unknown. */
  iface: number | null;
  /** Packets the filter passed (ps_recv), or null when unknown. */
  received: number | null;
}

interface CapInstance {
  open(device: string, filter: string, bufSize: number, buffer: Uint8Array): string;
  close(): void;
  on(ev: 'packet', cb: (nbytes: number, truncated: boolean) => void): void;
  removeAllListeners(ev?: string): void;
}

interface CapModule {
  Cap: (new () => CapInstance) & { deviceList(): { name: string }[] };
}

interface PcapNative {
  open_live(dev: string, filter: string, bufSize: number, snap: number, out: string, cb: () => void, monitor: boolean, timeout: number, warn: (w: string) => void, promisc: boolean): string;
  dispatch(buf: Uint8Array, header: Uint8Array): number;
  start_polling(): void;
  close(): void;
  stats(): { ps_recv: number; ps_drop: number; ps_ifdrop: number };
  read_callback: () => void;
}

let capModule: CapModule | null = null;
const req = createRequire(import.meta.url);

function cap(): CapModule {
  capModule ??= req('cap') as CapModule;
  return capModule;
}

/**
 * Handles and buffers of closed captures stay referenced for the life of the process: both bindings keep raw pointers
 * to the frame buffer and to a libuv poll handle that they stop but never uv_close(), so letting the GC free them
 * corrupts the heap (reproduced with cap 0.2.1 under a SYN flood).
 */
const retained: unknown[] = [];

/** Names of the capture devices libpcap sees. */
export function listDevices(): string[] {
  return cap().Cap.deviceList().map((d) => d.name);
}

const SYN_V4 = 'tcp[tcpflags] & tcp-syn != 0';
// IPv6: TCP right after the fixed header (flags at 40 + 13), or an extension header the decoder walks through
const SYN_V6 = 'ip6 and ((ip6[6] == 6 and ip6[53] & 2 != 0) or ip6[6] == 0 or ip6[6] == 43 or ip6[6] == 60)';

/** The live filter: SYNs and SYN+ACKs over IPv4 and IPv6 (also 802.1Q-tagged when `vlan`), narrowed by `user`. */
export function liveFilter(user: string, vlan: boolean): string {
  const syn = `(${SYN_V4}) or (${SYN_V6})`;
  // each libpcap "vlan" shifts later offsets by one tag, so the second alternative matches QinQ double tags
  const base = vlan ? `${syn} or (vlan and (${syn})) or (vlan and (${syn}))` : syn;
  return user.trim() ? `(${base}) and (${user})` : base;
}

/** One open live capture. */
export interface LiveSource {
  readonly iface: string;
  readonly backend: LiveBackend;
  readonly linkType: number;
  /** The BPF filter in force. */
  readonly filter: string;
  /** Kernel drop counters (all null with the cap backend, which cannot read them). */
  drops(): LiveDrops;
  close(): void;
}

/**
 * Opens `iface` with a SYN-only filter (ANDed with `userFilter`), `snaplen` bytes per frame delivered and a kernel
 * buffer of `bufferSize` bytes. Throws PW_ERR_CAPTURE_PERMISSION when the process may not capture, PW_ERR_CAPTURE
 * for other failures (no such interface, bad filter).
 */
export function openLive(backend: LiveBackend, iface: string, userFilter: string, snaplen: number, bufferSize: number, onFrame: LiveFrameCallback): LiveSource {
  const attempt = (open: (filter: string) => LiveSource): LiveSource => {
    try {
      try {
        return open(liveFilter(userFilter, iface !== 'any'));
      } catch (e) {
        // "vlan" is refused on link types without VLAN support; retry without the tagged alternative
        if (!/vlan/i.test((e as Error).message)) throw e;
        return open(liveFilter(userFilter, false));
      }
    } catch (e) {
      throw explain(iface, (e as Error).message, userFilter);
    }
  };
  return attempt(backend === 'cap' ? (f) => openCap(iface, f, snaplen, bufferSize, onFrame) : (f) => openPcap(iface, f, snaplen, bufferSize, onFrame));
}

function openCap(iface: string, filter: string, snaplen: number, bufferSize: number, onFrame: LiveFrameCallback): LiveSource {
  const c = new (cap().Cap)();
  // a plain Uint8Array (native Buffer checks accept any ArrayBufferView): a consumer's slice() must copy
  const buf = new Uint8Array(snaplen);
  retained.push(c, buf);
  const lt = c.open(iface, filter, bufferSize, buf);
  const map: Record<string, number> = { NULL: LinkType.NULL, ETHERNET: LinkType.EN10MB, RAW: LinkType.RAW };
  c.on('packet', (nbytes, truncated) => {
    const now = Date.now();
    // cap reports neither the capture time nor the wire length; a truncated frame is left for the decoder to refuse
    onFrame(buf, nbytes, truncated ? nbytes + 1 : nbytes, now, 0);
  });
  return {
    iface, backend: 'cap', linkType: map[lt] ?? linkTypeFromNodePcap(lt), filter,
    drops: () => ({ kernel: null, iface: null, received: null }),
    close: () => {
      c.removeAllListeners('packet');
      c.close();
    },
  };
}

function openPcap(iface: string, filter: string, snaplen: number, bufferSize: number, onFrame: LiveFrameCallback): LiveSource {
  const binding = req('pcap/build/Release/pcap_binding.node') as { PcapSession: new () => PcapNative };
  const s = new binding.PcapSession();
  const buf = new Uint8Array(snaplen);
  const header = new Uint8Array(16);
  const h32 = new Uint32Array(header.buffer, 0, 4);
  retained.push(s, buf, header);
  const lt = s.open_live(iface, filter, bufferSize, snaplen, '', () => {
    onFrame(buf, h32[2]!, h32[3]!, h32[0]! * 1000 + Math.floor(h32[1]! / 1000), h32[1]! % 1000);
  }, false, 0, () => undefined, true);
  let open = true;
  s.read_callback = () => {
    if (open) s.dispatch(buf, header);
  };
  s.start_polling();
  return {
    iface, backend: 'pcap', linkType: linkTypeFromNodePcap(lt), filter,
    drops: () => {
      if (!open) return { kernel: null, iface: null, received: null };
      const st = s.stats();
      return { kernel: st.ps_drop, iface: st.ps_ifdrop, received: st.ps_recv };
    },
    close: () => {
      if (!open) return;
      open = false;
      s.close();
    },
  };
}

function explain(iface: string, msg: string, userFilter: string): Error {
  if (/permission|not permitted|EPERM|EACCES/i.test(msg)) {
    return pwError('PW_ERR_CAPTURE_PERMISSION', [
      `cannot capture on ${iface}: ${msg}. Live capture needs root or the CAP_NET_RAW and CAP_NET_ADMIN capabilities: ` +
      'run as root, or grant them to node once with `setcap cap_net_raw,cap_net_admin+eip "$(readlink -f "$(command -v node)")"`, ' +
      'or fingerprint a capture file instead (tcpdump -w FILE, then probewatch fingerprint FILE)',
    ], { iface });
  }
  if (/no such device|doesn't exist|not exist|no such/i.test(msg)) {
    return pwError('PW_ERR_CAPTURE', [`interface ${iface} does not exist (${msg}); available: ${safeDevices().join(', ')}`], { iface });
  }
  if (/syntax|parse|filter|illegal/i.test(msg)) {
    return pwError('PW_ERR_CAPTURE', [`capture filter "${userFilter}" on ${iface}: ${msg}`], { iface });
  }
  return pwError('PW_ERR_CAPTURE', [`${iface}: ${msg}`], { iface });
}

function safeDevices(): string[] {
  try {
    return listDevices();
  } catch {
    return [];
  }
}
