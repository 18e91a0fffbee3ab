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
  /** Counted packets by protocol name. */
  readonly protocols = new Map<string, number>();
  /** Packets by log prefix (psad counts every prefix that passed IGNORE_LOG_PREFIXES). */
  readonly prefixes = new Map<string, number>();
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

  prefix(p: string): void {
    const n = this.prefixes.get(p);
    if (n !== undefined) this.prefixes.set(p, n + 1);
    else if (this.prefixes.size < MAX_PREFIXES) this.prefixes.set(p, 1);
  }

  sig(sid: number, msg: string, proto: string, newSource: boolean): void {
    let t = this.sigs.get(sid);
    if (!t) this.sigs.set(sid, (t = { msg, proto, count: 0, sources: 0 }));
    t.count++;
    if (newSource) t.sources++;
  }
}
