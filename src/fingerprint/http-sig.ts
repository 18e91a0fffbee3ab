// Parses p0f.fp `[http:*]` signatures (`ver:horder:habsent:expsw`) and `ua_os` maps, as fp_http.c does; no HTTP matching.

/** One header in an HTTP signature's ordered list. */
export interface HttpHeaderSpec {
  /** Header name as written. */
  name: string;
  /** `?name`: the header may be absent. */
  optional: boolean;
  /** `name=[value]`: the expected value substring, when given. */
  value: string | null;
}

/** A parsed HTTP signature. */
export interface HttpSignature {
  /** HTTP/1.0 (0), HTTP/1.1 (1), or null for `*`. */
  ver: 0 | 1 | null;
  /** Headers in the order they must appear. */
  order: HttpHeaderSpec[];
  /** Headers that must be absent. */
  absent: string[];
  /** Expected User-Agent / Server text, or null. */
  software: string | null;
}

/** One `ua_os` entry: an OS name and the User-Agent token that maps to it. */
export interface UaOsEntry {
  /** OS name (registered like a label name). */
  name: string;
  /** The User-Agent substring, defaulting to the name. */
  token: string;
}

const HTTP_MAX_HDRS = 32;
const NAME_CHARS = ' ./-_!?()';

function isAlnum(c: string): boolean {
  return /^[A-Za-z0-9]$/.test(c);
}

function isHeaderChar(c: string): boolean {
  return isAlnum(c) || c === '-' || c === '_';
}

/** Parses an `[http:*]` sig value; throws Error with the reason p0f would give. */
export function parseHttpSig(value: string): HttpSignature {
  const at = (i: number): string => (i < value.length ? value[i]! : '\0');
  if (at(1) !== ':') throw new Error('malformed HTTP signature: expected ":" after the version');
  let ver: 0 | 1 | null;
  switch (at(0)) {
    case '0': ver = 0; break;
    case '1': ver = 1; break;
    case '*': ver = null; break;
    default: throw new Error('bad HTTP version (expected 0, 1 or *)');
  }
  let pos = 2;
  const order: HttpHeaderSpec[] = [];
  while (at(pos) !== ':') {
    if (order.length >= HTTP_MAX_HDRS) throw new Error(`too many headers listed (at most ${HTTP_MAX_HDRS})`);
    let optional = false;
    if (at(pos) === '?') { optional = true; pos++; }
    let nxt = pos;
    while (isHeaderChar(at(nxt))) nxt++;
    if (nxt === pos) throw new Error('malformed header name');
    const name = value.slice(pos, nxt);
    pos = nxt;
    let hv: string | null = null;
    if (at(pos) === '=') {
      if (at(pos + 1) !== '[') throw new Error('missing "[" after "="');
      pos += 2;
      nxt = pos;
      while (nxt < value.length && value[nxt] !== ']') nxt++;
      if (nxt === pos || nxt >= value.length) throw new Error('malformed header value (expected name=[value])');
      hv = value.slice(pos, nxt);
      pos = nxt + 1;
    }
    order.push({ name, optional, value: hv });
    if (at(pos) === ',') pos++;
    else if (at(pos) !== ':') throw new Error('malformed HTTP signature: expected "," or ":" after a header');
  }
  pos++;
  const absent: string[] = [];
  while (at(pos) !== ':') {
    if (absent.length >= HTTP_MAX_HDRS) throw new Error(`too many headers listed (at most ${HTTP_MAX_HDRS})`);
    let nxt = pos;
    while (isHeaderChar(at(nxt))) nxt++;
    if (nxt === pos) throw new Error('malformed header name in the absent list');
    absent.push(value.slice(pos, nxt));
    pos = nxt;
    if (at(pos) === ',') pos++;
    else if (at(pos) !== ':') throw new Error('malformed HTTP signature: expected "," or ":" in the absent list');
  }
  pos++;
  let software: string | null = null;
  if (pos < value.length) {
    const rest = value.slice(pos);
    if (rest.includes(':')) throw new Error('malformed HTTP signature: ":" in the software field');
    software = rest;
  }
  return { ver, order, absent, software };
}

/** Parses a `ua_os = Name[=[token]],…` value. */
export function parseUaOs(value: string): UaOsEntry[] {
  const out: UaOsEntry[] = [];
  let pos = 0;
  while (pos < value.length) {
    let nxt = pos;
    while (nxt < value.length && (isAlnum(value[nxt]!) || NAME_CHARS.includes(value[nxt]!))) nxt++;
    if (nxt === pos) throw new Error('malformed system name in ua_os');
    const name = value.slice(pos, nxt);
    pos = nxt;
    let token = name;
    if (value[pos] === '=') {
      if (value[pos + 1] !== '[') throw new Error('missing "[" after "=" in ua_os');
      pos += 2;
      nxt = pos;
      while (nxt < value.length && value[nxt] !== ']') nxt++;
      if (nxt === pos || nxt >= value.length) throw new Error('malformed ua_os token (expected Name=[token])');
      token = value.slice(pos, nxt);
      pos = nxt + 1;
    }
    out.push({ name, token });
    if (value[pos] === ',') pos++;
  }
  return out;
}
