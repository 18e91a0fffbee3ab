// The event the byte-level reader fills for each line: one reused object of one shape, IPv4 addresses as numbers.
import type { Chain, PacketEvent, TimeSource } from '../domain/events.ts';
import type { V4Strings } from './v4-strings.ts';

/**
 * The reused event of the byte path: every field present (undefined where absent), so it keeps one shape, and the
 * IPv4 addresses as numbers with their text built only when read (most lines come from known sources and go to
 * known destinations: the text is never needed). Valid until the next line; `{ ...ev }` does not copy `src` / `dst`.
 */
export class LineEvent implements PacketEvent {
  time = 0;
  timeSource: TimeSource = 'none';
  host = '';
  prefix = '';
  chain: Chain = 'INPUT';
  inIf = '';
  outIf = '';
  physIn: string | undefined = undefined;
  physOut: string | undefined = undefined;
  mac: string | undefined = undefined;
  family: 4 | 6 = 4;
  len = 0;
  tos = 0;
  prec: number | undefined = undefined;
  ttl = 0;
  ipId = 0;
  df = false;
  mf = false;
  ce = false;
  fragOffset: number | undefined = undefined;
  flowLabel: number | undefined = undefined;
  ipOptions: string | undefined = undefined;
  ipOptGroups = 0;
  proto = 0;
  sport: number | undefined = undefined;
  dport: number | undefined = undefined;
  window: number | undefined = undefined;
  res: number | undefined = undefined;
  flags: number | undefined = undefined;
  urgp: number | undefined = undefined;
  seq: number | undefined = undefined;
  ack: number | undefined = undefined;
  tcpOptions: string | undefined = undefined;
  icmpType: number | undefined = undefined;
  icmpCode: number | undefined = undefined;
  icmpId: number | undefined = undefined;
  icmpSeq: number | undefined = undefined;
  udpLen: number | undefined = undefined;
  uid: number | undefined = undefined;
  gid: number | undefined = undefined;
  mark: number | undefined = undefined;
  sid: number | undefined = undefined;
  line = 0;
  srcV4 = -1;
  dstV4 = -1;
  #src = '';
  #dst = '';
  readonly #v4: V4Strings;

  constructor(v4: V4Strings) {
    this.#v4 = v4;
  }

  get src(): string {
    if (this.#src === '' && this.srcV4 >= 0) this.#src = this.#v4.text(this.srcV4);
    return this.#src;
  }

  set src(v: string) {
    this.#src = v;
  }

  get dst(): string {
    if (this.#dst === '' && this.dstV4 >= 0) this.#dst = this.#v4.text(this.dstV4);
    return this.#dst;
  }

  set dst(v: string) {
    this.#dst = v;
  }

  /** Takes over every field of `ev` (a packet the full parser read). */
  copy(ev: PacketEvent): void {
    this.time = ev.time;
    this.timeSource = ev.timeSource;
    this.host = ev.host;
    this.prefix = ev.prefix;
    this.chain = ev.chain;
    this.inIf = ev.inIf;
    this.outIf = ev.outIf;
    this.physIn = ev.physIn;
    this.physOut = ev.physOut;
    this.mac = ev.mac;
    this.family = ev.family;
    this.#src = ev.src;
    this.#dst = ev.dst;
    this.srcV4 = -1;
    this.dstV4 = -1;
    this.len = ev.len;
    this.tos = ev.tos;
    this.prec = ev.prec;
    this.ttl = ev.ttl;
    this.ipId = ev.ipId;
    this.df = ev.df;
    this.mf = ev.mf;
    this.ce = ev.ce;
    this.fragOffset = ev.fragOffset;
    this.flowLabel = ev.flowLabel;
    this.ipOptions = ev.ipOptions;
    this.ipOptGroups = ev.ipOptGroups;
    this.proto = ev.proto;
    this.sport = ev.sport;
    this.dport = ev.dport;
    this.window = ev.window;
    this.res = ev.res;
    this.flags = ev.flags;
    this.urgp = ev.urgp;
    this.seq = ev.seq;
    this.ack = ev.ack;
    this.tcpOptions = ev.tcpOptions;
    this.icmpType = ev.icmpType;
    this.icmpCode = ev.icmpCode;
    this.icmpId = ev.icmpId;
    this.icmpSeq = ev.icmpSeq;
    this.udpLen = ev.udpLen;
    this.uid = ev.uid;
    this.gid = ev.gid;
    this.mark = ev.mark;
    this.sid = ev.sid;
    this.line = ev.line;
  }

  /** A plain copy (what the full parser would have returned). */
  plain(): PacketEvent {
    const { srcV4: _s, dstV4: _d, ...rest } = this;
    return { ...rest, src: this.src, dst: this.dst };
  }

  /** Starts a line read from bytes: addresses by number, their text not built yet. */
  setAddrs(src: number, dst: number): void {
    this.srcV4 = src;
    this.dstV4 = dst;
    this.#src = '';
    this.#dst = '';
  }
}
