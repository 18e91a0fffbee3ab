// psad's icmp_types / icmp6_types files: which ICMP(v6) types and codes are valid (others raise a source to level 2).

/** Valid types, each with its text and valid codes. */
export interface IcmpTypeTable {
  /** Type → description and the set of valid codes. */
  readonly types: ReadonlyMap<number, { text: string; codes: ReadonlySet<number> }>;
}

/** Result of checking one packet: valid, a type not in the table, or a code not valid for its type. */
export type IcmpCheck = 'ok' | 'bad-type' | 'bad-code';

/**
 * Parses the file exactly as psad's import_icmp_types (psad:4633) does: a type line "N text" (an "Unassigned" text makes
 * the type invalid), then indented "N text" code lines. psad also gives every type the pseudo code -1; a type listed
 * without codes therefore accepts no real code.
 */
export function parseIcmpTypes(text: string): IcmpTypeTable {
  const types = new Map<number, { text: string; codes: Set<number> }>();
  let current = -1;
  for (const raw of text.split('\n')) {
    // Perl reads lines with their "\n"; psad's code-line regex needs whitespace after the number, which "\n" gives
    const line = `${raw.replace(/\r$/, '')}\n`;
    if (/^\s*#/.test(line)) continue;
    let m = /^(\d+)\s+(.*)/.exec(line);
    if (m) {
      current = Number(m[1]);
      const t = m[2]!.trim();
      if (/unassigned/i.test(t)) current = -1;
      else types.set(current, { text: t, codes: new Set([-1]) });
      continue;
    }
    m = /^\s+(\d+)\s+(.*)/.exec(line);
    if (m && current > -1) {
      if (/unassigned/i.test(m[2]!)) continue;
      types.get(current)?.codes.add(Number(m[1]));
    }
  }
  return { types };
}

/** Checks a type and code against the table (psad's check_icmp_type, psad:3239). */
export function checkIcmp(table: IcmpTypeTable, type: number, code: number): IcmpCheck {
  const t = table.types.get(type);
  if (!t) return 'bad-type';
  return t.codes.has(code) ? 'ok' : 'bad-code';
}
