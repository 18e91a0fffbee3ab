// fwsnort / Snort rule files (only sid, msg, protocol and classtype matter: the firewall already matched the payload)
// and Snort's classification.config priorities.

/** What psad keeps of a Snort rule for a "SID<n>" log prefix (import_snort_rules, psad:4061). */
export interface FwsnortRule {
  sid: number;
  msg: string;
  proto: string;
  classtype: string;
}

/** Parses the "alert …" lines of a *.rules file; lines without a sid are skipped as psad skips them. */
export function parseFwsnortRules(text: string): FwsnortRule[] {
  const out: FwsnortRule[] = [];
  for (const line of text.split('\n')) {
    if (!/^\s*alert/.test(line)) continue;
    const sid = /[\s;]sid:\s*(\d+)\s*;/.exec(line);
    if (!sid) continue;
    out.push({
      sid: Number(sid[1]),
      msg: /msg:\s*"(.*?)"\s*;/.exec(line)?.[1] ?? '',
      proto: /^\s*alert\s+(\w+)/.exec(line)?.[1]?.toLowerCase() ?? '',
      classtype: /[\s;]classtype:\s*(.*?)\s*;/.exec(line)?.[1] ?? '',
    });
  }
  return out;
}

/** psad's convert_snort_priority (psad:4178): Snort priority 1→5, 2→4, 3→3, 4→2, anything else → 1. */
export function snortPriorityToDl(priority: number): number {
  switch (priority) {
    case 1: return 5;
    case 2: return 4;
    case 3: return 3;
    case 4: return 2;
    default: return 1;
  }
}

/** Parses "config classification: NAME,Description,PRIORITY" lines into classtype → danger level. */
export function parseClassification(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    // psad's regex (psad:4167) takes the last digit of the line as the priority
    const m = /config\s+classification:\s+(\S+),.*(\d+)/.exec(line);
    if (m) out.set(m[1]!, snortPriorityToDl(Number(m[2])));
  }
  return out;
}
