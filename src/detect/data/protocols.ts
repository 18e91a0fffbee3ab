// psad's protocols file (/etc/protocols format): IP protocol numbers ↔ names, for IGNORE_PROTOCOLS and reports.

/** Protocol number → name and description. */
export type ProtocolTable = ReadonlyMap<number, { name: string; desc: string }>;

/** Parses "name number ALIAS # description" lines as psad's import_protocol_strings (psad:9364). */
export function parseProtocols(text: string): ProtocolTable {
  const out = new Map<number, { name: string; desc: string }>();
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    const m = /^\s*(\S+)\s+(\d+)\s+\S+\s+#\s+(.*)/.exec(line);
    if (m) out.set(Number(m[2]), { name: m[1]!, desc: m[3]!.trim() });
  }
  return out;
}
