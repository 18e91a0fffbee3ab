// Input-wide counters for reports (psad's %proto_ctrs, %top_*_ports, %ipt_prefixes, %top_sigs): bounded aggregates,
// never per-source data.

/** Why a packet was not counted. */
export type SkipReason =
  | 'log-prefix' | 'interface' | 'fw-search' | 'ipv6-disabled' | 'protocol' | 'conntrack' | 'port' | 'auto-dl'
  | 'signature-dl0' | 'max-pairs';

/** Packets psad would reject as malformed even though the line parsed. */
export type PsadRejectReason = 'psad-no-interface' | 'psad-tcp-flags' | 'psad-icmp-echo-fields';

/** What happened to one packet. */
export type Outcome = 'counted' | SkipReason | PsadRejectReason;

/** A signature's hits over the whole input. */
export interface SigTotal {
  msg: string;
  proto: string;
  count: number;
  /** Distinct sources with at least one hit. */
  sources: number;
}

/** Protocol names by the index of their bit in the scan table's protocol sets (PROTO_TCP = 1 << 0, …). */
export const PROTO_BIT_NAMES = ['tcp', 'udp', 'udplite', 'icmp', 'icmp6'] as const;

/** Bound on distinct log prefixes kept (prefixes come from firewall rules, so this is never reached in practice). */
const MAX_PREFIXES = 1000;

/** Aggregates over every packet detection saw. */
export class Totals {
  /** Packets offered to the detector. */
  events = 0;
  /** Packets counted towards scan state. */
  counted = 0;
  /** Packets by outcome other than counted. */
  readonly skipped = new Map<Outcome, number>();
  /** A few line numbers per outcome. */
  readonly samples = new Map<Outcome, number[]>();
  /** Counted packets by protocol bit index (tcp, udp, udplite, icmp, icmp6) and by name for the others. */
  readonly #byBit = new Float64Array(PROTO_BIT_NAMES.length);
  readonly #byName = new Map<string, number>();
  /** Packets by log prefix; the last prefix's packets are added when it changes (it nearly never does). */
  readonly #prefixes = new Map<string, number>();
  #lastPrefix = '';
  #lastCount = 0;
  /** Signature hits by sid. */
  readonly sigs = new Map<number, SigTotal>();
  /** Sources that have a profile. */
  sources = 0;

  note(outcome: Exclude<Outcome, 'counted'>, line: number): void {
    this.skipped.set(outcome, (this.skipped.get(outcome) ?? 0) + 1);
    let s = this.samples.get(outcome);
    if (!s) this.samples.set(outcome, (s = []));
    if (s.length < 5) s.push(line);
  }

  /** Counts a packet with log prefix `p`. */
  prefix(p: string): void {
    if (p === this.#lastPrefix && this.#lastCount > 0) {
      this.#lastCount++;
      return;
    }
    this.#flushPrefix();
    this.#lastPrefix = p;
    this.#lastCount = 1;
  }

  #flushPrefix(): void {
    const p = this.#lastPrefix;
    const k = this.#lastCount;
    if (k === 0) return;
    this.#lastCount = 0;
    const n = this.#prefixes.get(p);
    if (n !== undefined) this.#prefixes.set(p, n + k);
    else if (this.#prefixes.size < MAX_PREFIXES) this.#prefixes.set(p, k);
  }

  /** Packets by log prefix (psad counts every prefix that passed IGNORE_LOG_PREFIXES), first seen first. */
  get prefixes(): Map<string, number> {
    this.#flushPrefix();
    return this.#prefixes;
  }

  /** Counts a counted packet of protocol `name`; `bit` is its index among PROTO_BIT_NAMES, or -1. */
  protocol(name: string, bit: number): void {
    if (bit >= 0) this.#byBit[bit]!++;
    else this.#byName.set(name, (this.#byName.get(name) ?? 0) + 1);
  }

  /** Counted packets by protocol name. */
  get protocols(): Map<string, number> {
    const out = new Map<string, number>();
    PROTO_BIT_NAMES.forEach((name, i) => {
      if (this.#byBit[i]! > 0) out.set(name, this.#byBit[i]!);
    });
    for (const [k, v] of this.#byName) out.set(k, v);
    return out;
  }

  /** The signature of the last hit (scans hit one signature many times in a row). */
  #lastSig: SigTotal | null = null;
  #lastSid = -1;

  sig(sid: number, msg: string, proto: string, newSource: boolean): void {
    let t = sid === this.#lastSid ? this.#lastSig : this.sigs.get(sid);
    if (!t) this.sigs.set(sid, (t = { msg, proto, count: 0, sources: 0 }));
    this.#lastSid = sid;
    this.#lastSig = t;
    t.count++;
    if (newSource) t.sources++;
  }
}
