// p0f's connection table (process.c flow_by_age + per-host flows) as numbers only: typed-array slabs indexed by flow id.
import type { HostTable } from './host-table.ts';

/**
 * Tracked connections, oldest→newest by creation, each also on its client host's list (a flow is found from its
 * client, and a client rarely has more than one open). Nothing is allocated per flow; ids are reused.
 */
export class FlowTable {
  /** Live flows. */
  size = 0;
  oldest = -1;
  newest = -1;

  /** Per flow id: hosts and ports, creation time (seconds), p0f's next_cli_seq / next_srv_seq (NaN: unknown), state. */
  client = new Int32Array(0);
  server = new Int32Array(0);
  cliPort = new Int32Array(0);
  srvPort = new Int32Array(0);
  created = new Float64Array(0);
  nextCliSeq = new Float64Array(0);
  nextSrvSeq = new Float64Array(0);
  /** MSS of the flow's SYN, tried as a window divisor on the SYN+ACK. */
  synMss = new Int32Array(0);
  acked = new Uint8Array(0);
  sendsyn = new Uint8Array(0);
  live = new Uint8Array(0);
  older = new Int32Array(0);
  newer = new Int32Array(0);
  /** Links of the client host's flow list. */
  cliNext = new Int32Array(0);
  cliPrev = new Int32Array(0);

  readonly #hosts: HostTable;
  #free = new Int32Array(0);
  #freeTop = 0;
  #next = 0;

  constructor(hosts: HostTable, capacity = 1024) {
    this.#hosts = hosts;
    this.#grow(Math.max(16, capacity));
  }

  /** The flow from `cli`:`cport` to `srv`:`sport` (live host ids), or -1. */
  find(cli: number, srv: number, cport: number, sport: number): number {
    for (let f = this.#hosts.flowHead(cli); f !== -1; f = this.cliNext[f]!) {
      if (this.srvPort[f] === sport && this.cliPort[f] === cport && this.server[f] === srv) return f;
    }
    return -1;
  }

  /** Adds a flow as the newest; the caller counts it in both hosts' use counts. */
  create(cli: number, srv: number, cport: number, sport: number, now: number, nextCliSeq: number): number {
    let f: number;
    if (this.#freeTop > 0) f = this.#free[--this.#freeTop]!;
    else {
      if (this.#next === this.live.length) this.#grow(this.live.length * 2);
      f = this.#next++;
    }
    this.client[f] = cli; this.server[f] = srv; this.cliPort[f] = cport; this.srvPort[f] = sport; this.created[f] = now;
    this.nextCliSeq[f] = nextCliSeq; this.nextSrvSeq[f] = 0; this.synMss[f] = 0; this.acked[f] = 0; this.sendsyn[f] = 0; this.live[f] = 1;
    const n = this.newest;
    this.older[f] = n;
    this.newer[f] = -1;
    if (n !== -1) this.newer[n] = f;
    else this.oldest = f;
    this.newest = f;
    const hosts = this.#hosts;
    const h = hosts.flowHead(cli);
    this.cliNext[f] = h;
    this.cliPrev[f] = -1;
    if (h !== -1) this.cliPrev[h] = f;
    hosts.setFlowHead(cli, f);
    this.size++;
    return f;
  }

  /** Removes a live flow and releases its hosts' use counts. */
  destroy(f: number): void {
    this.live[f] = 0;
    const o = this.older[f]!;
    const n = this.newer[f]!;
    if (n !== -1) this.older[n] = o;
    else this.newest = o;
    if (o !== -1) this.newer[o] = n;
    else this.oldest = n;
    const hosts = this.#hosts;
    const cli = this.client[f]!;
    const cn = this.cliNext[f]!;
    const cp = this.cliPrev[f]!;
    if (cp !== -1) this.cliNext[cp] = cn;
    else hosts.setFlowHead(cli, cn);
    if (cn !== -1) this.cliPrev[cn] = cp;
    hosts.use(cli, -1);
    hosts.use(this.server[f]!, -1);
    this.size--;
    this.#free[this.#freeTop++] = f;
  }

  #grow(cap: number): void {
    const i32 = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => { const b = new Int32Array(cap); b.set(a); return b; };
    const f64 = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => { const b = new Float64Array(cap); b.set(a); return b; };
    const u8 = (a: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> => { const b = new Uint8Array(cap); b.set(a); return b; };
    this.client = i32(this.client); this.server = i32(this.server); this.cliPort = i32(this.cliPort); this.srvPort = i32(this.srvPort);
    this.synMss = i32(this.synMss); this.older = i32(this.older); this.newer = i32(this.newer);
    this.cliNext = i32(this.cliNext); this.cliPrev = i32(this.cliPrev); this.#free = i32(this.#free);
    this.created = f64(this.created); this.nextCliSeq = f64(this.nextCliSeq); this.nextSrvSeq = f64(this.nextSrvSeq);
    this.acked = u8(this.acked); this.sendsyn = u8(this.sendsyn); this.live = u8(this.live);
  }
}
