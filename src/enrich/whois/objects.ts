// Splits a whois answer into objects of "key: value" attributes (RPSL and ARIN's format) plus its comment lines.

/** One object: attributes in order (keys lower-cased), first attribute naming its class. */
export interface WhoisObject {
  /** Class: the first attribute's key ("inetnum", "route", "netrange", "orgname", …). */
  type: string;
  /** Attributes in order; continuation lines are folded into the previous value with a newline. */
  attrs: [string, string][];
}

/** Comment lines (%/#) and the objects of an answer. */
export interface SplitAnswer {
  comments: string[];
  objects: WhoisObject[];
}

const ATTR = /^([A-Za-z][A-Za-z0-9_-]{0,63}):(?:[ \t]+(.*)|)$/;

/** Splits text into objects at blank lines and comment lines; lines that are not attributes are ignored. */
export function splitObjects(text: string): SplitAnswer {
  const comments: string[] = [];
  const objects: WhoisObject[] = [];
  let cur: WhoisObject | null = null;
  const close = (): void => {
    if (cur && cur.attrs.length > 0) objects.push(cur);
    cur = null;
  };
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.replace(/\s+$/, '');
    if (line.length === 0) { close(); continue; }
    const c = line.charCodeAt(0);
    if (c === 37 /* % */ || c === 35 /* # */) { comments.push(line); close(); continue; }
    if ((c === 32 || c === 9 || c === 43 /* + */) && cur) {
      const last = (cur).attrs.at(-1);
      if (last) last[1] = `${last[1]}\n${line.replace(/^[+\s]+/, '')}`.trim();
      continue;
    }
    const m = ATTR.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const value = (m[2] ?? '').trim();
    cur ??= { type: key, attrs: [] };
    (cur).attrs.push([key, value]);
  }
  close();
  return { comments, objects };
}

/** First value of an attribute (non-empty), or null. */
export function first(o: WhoisObject | undefined, ...keys: string[]): string | null {
  if (!o) return null;
  for (const k of keys) {
    for (const [ak, v] of o.attrs) if (ak === k && v.length > 0) return v;
  }
  return null;
}

/** Every non-empty value of an attribute, in order. */
export function all(o: WhoisObject | undefined, key: string): string[] {
  if (!o) return [];
  return o.attrs.filter(([k, v]) => k === key && v.length > 0).map(([, v]) => v);
}

/** Normalises registry dates ("2019-01-01T00:00:00Z", "2018-04-23", LACNIC's "19980323") to ISO dates, else null. */
export function isoDate(v: string | null): string | null {
  if (!v) return null;
  const t = v.trim();
  let m = /^(\d{4})(\d{2})(\d{2})$/.exec(t);
  if (m) return `${m[1]!}-${m[2]!}-${m[3]!}`;
  m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?/.exec(t);
  if (!m) return null;
  if (!m[2]) return m[1]!;
  const d = new Date(`${m[1]!}T${m[2]}${m[3] ?? 'Z'}`);
  return Number.isNaN(d.getTime()) ? m[1]! : d.toISOString();
}

/** First plausible mailbox in a text, lower-cased. */
export function mailbox(v: string | null): string | null {
  if (!v) return null;
  const m = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/.exec(v);
  return m ? m[0].toLowerCase() : null;
}

/** An AS number from "AS15169", "15169", "AS15169, AS36040" (the first); null when none. */
export function asNumber(v: string | null): number | null {
  if (!v) return null;
  const m = /(?:^|[\s,(])(?:AS)?(\d{1,10})(?:$|[\s,)])/i.exec(` ${v.trim()} `);
  if (!m) return null;
  const n = Number(m[1]);
  return n > 0 && n <= 0xffffffff ? n : null;
}
