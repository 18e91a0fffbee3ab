// psad's ip_options file and its IP-options decoder, for the `ipopts` signature keyword.

/** Option number → its length (-1: length byte follows) and the ipopts keyword. */
export type IpOptionTable = ReadonlyMap<number, { len: number; keyword: string }>;

/** Parses "<number> <len> <keyword> <description>" lines (psad's import_ip_options, psad:3901). */
export function parseIpOptions(text: string): IpOptionTable {
  const out = new Map<number, { len: number; keyword: string }>();
  for (const line of text.split('\n')) {
    if (!/\S/.test(line) || /^\s*#/.test(line)) continue;
    const m = /^\s*(\d+)\s+(\S+)\s+(\w+)\s+(.*)\s*/.exec(line);
    if (m) out.set(Number(m[1]), { len: Number(m[2]), keyword: m[3]! });
  }
  return out;
}

/**
 * The ipopts keywords present in logged IP options hex (psad's parse_ip_options, psad:2912): walks the bytes, skipping
 * each known option by its fixed length or its length byte; an odd-length string yields nothing.
 */
export function ipOptionKeywords(table: IpOptionTable, hex: string): Set<string> {
  const found = new Set<string>();
  if (hex.length % 2 !== 0) return found;
  const bytes: number[] = [];
  for (let i = 0; i < hex.length; i += 2) bytes.push(parseInt(hex.slice(i, i + 2), 16));
  const last = bytes.length - 1;
  for (let i = 0; i <= last; i++) {
    const opt = table.get(bytes[i]!);
    if (!opt) continue;
    if (opt.len !== -1) {
      if (opt.len !== 1) i += opt.len;
    } else {
      if (i + 1 > last) return found;
      const optLen = (bytes[i + 1] ?? 0) - 2;
      if (i + optLen > last) return found;
      i += optLen;
    }
    found.add(opt.keyword);
  }
  return found;
}
