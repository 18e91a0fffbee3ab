// Turns parsed search alternatives into an FTS5 MATCH expression built only from quoted phrases.

/** `["bank", "armed forces", "gov*"]` → `"bank" OR "armed forces" OR "gov"*`; input must come from domain parseSearch. */
export function ftsQuery(alternatives: readonly string[]): string {
  const parts: string[] = [];
  for (const alt of alternatives) {
    const prefix = alt.endsWith('*');
    const words = (prefix ? alt.slice(0, -1) : alt).match(/[\p{L}\p{N}]+/gu);
    if (!words) continue;
    // quoted phrase: FTS5 reads everything inside "" as tokens; the tokens have no quotes, so nothing can escape
    parts.push(`"${words.join(' ')}"${prefix ? '*' : ''}`);
  }
  if (parts.length === 0) throw new RangeError('empty search (parseSearch refuses it before it gets here)');
  return parts.join(' OR ');
}
