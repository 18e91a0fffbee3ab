// Port lists in psad's "tcp/61000-61356, udp/53" syntax (IGNORE_PORTS and auto_dl criteria).

/** Ports and ranges of one protocol. */
export class PortSpec {
  readonly ports = new Set<number>();
  /** [low, high] pairs, inclusive. */
  readonly ranges: [number, number][] = [];

  has(port: number): boolean {
    if (this.ports.has(port)) return true;
    for (const [lo, hi] of this.ranges) if (port >= lo && port <= hi) return true;
    return false;
  }
}

/**
 * Parses psad's parse_port_range (psad:3977): comma-separated "tcp/N" or "udp/LO-HI" fields, case-insensitive; a range
 * whose low end is not below its high end is dropped, as psad drops it. Anything else in a field is ignored.
 */
export function parsePortSpec(text: string): Map<string, PortSpec> {
  const out = new Map<string, PortSpec>();
  const get = (p: string): PortSpec => {
    let s = out.get(p);
    if (!s) out.set(p, (s = new PortSpec()));
    return s;
  };
  for (const field of text.split(/\s*,\s*/)) {
    let m = /(tcp|udp)\/(\d+)\s*-\s*(\d+)/i.exec(field);
    if (m) {
      const [lo, hi] = [Number(m[2]), Number(m[3])];
      if (lo < hi) get(m[1]!.toLowerCase()).ranges.push([lo, hi]);
      continue;
    }
    m = /(tcp|udp)\/(\d+)/i.exec(field);
    if (m) get(m[1]!.toLowerCase()).ports.add(Number(m[2]));
  }
  return out;
}
