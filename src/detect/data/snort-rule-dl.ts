// psad's snort_rule_dl file: "<sid> <danger level>" lines overriding a signature's level (0 ignores the signature).

/**
 * Parses the file as psad's import_snort_rule_dl (psad:4210): lines starting with digits, "<sid> <dl>", levels outside
 * 0–5 skipped; a later line for the same sid wins.
 */
export function parseSnortRuleDl(text: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!/^\s*\d/.test(line)) continue;
    const m = /^\s*(\d+)\s+(\d+)/.exec(line);
    if (!m) continue;
    const dl = Number(m[2]);
    if (dl >= 0 && dl < 6) out.set(Number(m[1]), dl);
  }
  return out;
}
