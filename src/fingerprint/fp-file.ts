// The p0f.fp file grammar (readfp.c): classes, sections, label, sys, sig, ua_os — with file and line on every entry and error.
import { pwError } from '../domain/errors.ts';
import { parseHttpSig, parseUaOs } from './http-sig.ts';
import type { HttpSignature, UaOsEntry } from './http-sig.ts';
import { parseTcpSig, SigSyntaxError } from './tcp-sig.ts';
import type { TcpSignature } from './tcp-sig.ts';

/** Characters p0f allows in OS / application names besides letters and digits (config.h NAME_CHARS). */
export const NAME_CHARS = ' ./-_!?()';

/** Where an entry was read. */
export interface SourceLine {
  /** File name as given to the loader. */
  file: string;
  /** 1-based line number. */
  line: number;
}

/** A parsed `label` of a TCP or HTTP section. */
export interface FpLabel {
  /** `g` labels are generic: used only when no specific signature matches. */
  generic: boolean;
  /** Class name as declared in `classes`, or "!" for tools and applications. */
  cls: string;
  /** Index into the registry's classes, or -1 for "!". */
  classId: number;
  /** Name as first spelled in the files (p0f compares names case-insensitively and prints the first spelling). */
  name: string;
  /** Index into the registry's names. */
  nameId: number;
  /** Flavor text, or null when the label has none. */
  flavor: string | null;
  /** Running label number across the files (p0f's label_id). */
  labelId: number;
  /** The label text as written. */
  text: string;
}

/** One entry of a `sys` line: an OS class (`@unix`) or an OS name. */
export type SysEntry = { kind: 'class'; id: number; name: string } | { kind: 'name'; id: number; name: string };

/** A `[tcp:request]` or `[tcp:response]` signature. */
export interface FpTcpEntry extends SourceLine {
  /** true for `[tcp:request]` (SYN), false for `[tcp:response]` (SYN+ACK). */
  toServer: boolean;
  label: FpLabel;
  /** `sys` entries of a tool label (empty for OS labels). */
  sys: readonly SysEntry[];
  sig: TcpSignature;
  /** The sig value as written. */
  text: string;
}

/** An `[mtu]` signature: a link name and an MTU. */
export interface FpMtuEntry extends SourceLine {
  label: string;
  mtu: number;
}

/** An `[http:*]` signature (parsed and kept; probewatch does not match HTTP). */
export interface FpHttpEntry extends SourceLine {
  toServer: boolean;
  label: FpLabel;
  sys: readonly SysEntry[];
  sig: HttpSignature;
  text: string;
}

/** The shared name and class registry: p0f keeps one across the file, probewatch across every file loaded. */
export class NameRegistry {
  readonly classes: string[] = [];
  readonly names: string[] = [];
  #labelId = 0;

  /** Index of a class (case-insensitive), or -1. */
  classId(name: string): number {
    const l = name.toLowerCase();
    return this.classes.findIndex((c) => c.toLowerCase() === l);
  }

  /** Declares a class (idempotent). */
  addClass(name: string): number {
    const i = this.classId(name);
    if (i !== -1) return i;
    this.classes.push(name);
    return this.classes.length - 1;
  }

  /** Looks a name up case-insensitively, registering the spelling on first sight (lookup_name_id). */
  nameId(name: string): number {
    const l = name.toLowerCase();
    const i = this.names.findIndex((n) => n.toLowerCase() === l);
    if (i !== -1) return i;
    this.names.push(name);
    return this.names.length - 1;
  }

  nextLabelId(): number {
    return ++this.#labelId;
  }
}

/** Everything read from one file, in file order. */
export interface FpFile {
  file: string;
  tcp: FpTcpEntry[];
  mtu: FpMtuEntry[];
  http: FpHttpEntry[];
  uaOs: UaOsEntry[];
  /** Number of `sig` lines (p0f's "Loaded N signatures"). */
  sigCount: number;
}

const State = { NeedSect: 0, NeedLabel: 1, NeedSys: 2, NeedSig: 3 } as const;
const Mod = { None: 0, Mtu: 1, Tcp: 2, Http: 3 } as const;

function isAlnum(c: string | undefined): boolean {
  return c !== undefined && /^[A-Za-z0-9]$/.test(c);
}
function isNameChar(c: string | undefined): boolean {
  return c !== undefined && (isAlnum(c) || NAME_CHARS.includes(c));
}
function isBlank(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

/**
 * Parses one p0f.fp text. Names and classes go to `registry` (shared when several files are loaded). Throws a
 * PW_ERR_SIGNATURE_SYNTAX error naming the file, the line and what is wrong, as p0f stops start-up on a bad line.
 *
 * One deliberate leniency: trailing blanks and a CR at the end of a line are ignored (p0f would reject a CRLF file).
 */
export function parseFpFile(text: string, file: string, registry: NameRegistry): FpFile {
  const out: FpFile = { file, tcp: [], mtu: [], http: [], uaOs: [], sigCount: 0 };
  let state: number = State.NeedSect;
  let mod: number = Mod.None;
  let toServer = false;
  let label: FpLabel | null = null;
  let mtuLabel = '';
  let sys: SysEntry[] = [];
  let lineNo = 0;

  const fail = (why: string): never => {
    throw pwError('PW_ERR_SIGNATURE_SYNTAX', [`${file}:${lineNo}: ${why}`], { file, line: lineNo });
  };

  const parseClasses = (val: string): void => {
    let p = 0;
    while (p < val.length) {
      while (isBlank(val[p]) || val[p] === ',') p++;
      let n = p;
      while (isAlnum(val[n])) n++;
      if (n === p || (n < val.length && val[n] !== ',')) fail('malformed class entry (letters and digits, separated by commas)');
      registry.addClass(val.slice(p, n));
      p = n;
    }
  };

  const parseLabel = (val: string): FpLabel => {
    let generic: boolean;
    if (val[0] === 'g') generic = true;
    else if (val[0] === 's') generic = false;
    else return fail('malformed label: expected s: or g: (specific or generic)');
    if (val[1] !== ':') fail('malformed label: expected ":" after s or g');
    let p = 2;
    let n = p;
    while (isAlnum(val[n]) || val[n] === '!') n++;
    if (n === p || val[n] !== ':') fail('malformed label: bad class field');
    const cls = val.slice(p, n);
    let classId = -1;
    if (!(val[p] === '!' && val[p + 1] === ':')) {
      classId = registry.classId(cls);
      if (classId === -1) fail(`unknown class '${cls}' (declare it in "classes = …")`);
    }
    p = n + 1;
    n = p;
    while (isNameChar(val[n])) n++;
    if (n === p || val[n] !== ':') fail('malformed name in label (letters, digits and " ./-_!?()")');
    const name = val.slice(p, n);
    const nameId = registry.nameId(name);
    const flavor = n + 1 < val.length ? val.slice(n + 1) : null;
    return { generic, cls: classId === -1 ? '!' : registry.classes[classId]!, classId, name: registry.names[nameId]!, nameId, flavor, labelId: registry.nextLabelId(), text: val };
  };

  const parseSys = (val: string): SysEntry[] => {
    const list: SysEntry[] = [];
    let p = 0;
    while (p < val.length) {
      while (isBlank(val[p]) || val[p] === ',') p++;
      let isClass = false;
      if (val[p] === '@') { isClass = true; p++; }
      let n = p;
      while (isNameChar(val[n])) n++;
      if (n === p || (n < val.length && val[n] !== ',')) fail('malformed sys entry');
      const name = val.slice(p, n);
      if (isClass) {
        const id = registry.classId(name);
        if (id === -1) fail(`unknown class '${name}' in sys`);
        list.push({ kind: 'class', id, name: registry.classes[id]! });
      } else {
        const id = registry.nameId(name);
        list.push({ kind: 'name', id, name: registry.names[id]! });
      }
      p = n;
    }
    return list;
  };

  const parseLine = (line: string): void => {
    if (line[0] === '[') {
      const rest = line.slice(1);
      if (rest === 'mtu]') {
        mod = Mod.Mtu;
        state = State.NeedLabel;
        return;
      }
      const colon = rest.indexOf(':');
      if (colon === -1) fail('malformed section identifier (expected [mtu], [tcp:request], [tcp:response], [http:request] or [http:response])');
      const m = rest.slice(0, colon);
      const dir = rest.slice(colon + 1);
      if (m === 'tcp') mod = Mod.Tcp;
      else if (m === 'http') mod = Mod.Http;
      else fail(`unrecognized fingerprinting module '${m}'`);
      if (dir === 'request]') toServer = true;
      else if (dir === 'response]') toServer = false;
      else fail('unrecognized traffic direction (expected request] or response])');
      state = State.NeedLabel;
      return;
    }
    let k = 0;
    while (k < line.length && (/^[A-Za-z_]$/.test(line[k]!))) k++;
    const key = line.slice(0, k);
    let v = k;
    while (isBlank(line[v])) v++;
    if (k === 0 || line[v] !== '=') fail('unexpected statement (expected "name = value")');
    v++;
    while (isBlank(line[v])) v++;
    const val = line.slice(v);

    switch (key) {
      case 'classes':
        if (state !== State.NeedSect) fail("misplaced 'classes' (it must come before the first section)");
        parseClasses(val);
        return;
      case 'ua_os':
        if (state !== State.NeedLabel || !toServer || mod !== Mod.Http) fail("misplaced 'ua_os' (only at the start of [http:request])");
        try {
          out.uaOs.push(...parseUaOs(val));
        } catch (e) {
          fail((e as Error).message);
        }
        for (const u of out.uaOs) registry.nameId(u.name);
        return;
      case 'label':
        if (state !== State.NeedLabel && state !== State.NeedSig) fail("misplaced 'label'");
        if (mod === Mod.Mtu) {
          if (val.length === 0) fail('empty MTU label');
          mtuLabel = val;
          state = State.NeedSig;
        } else {
          label = parseLabel(val);
          sys = [];
          state = label.classId < 0 ? State.NeedSys : State.NeedSig;
        }
        return;
      case 'sys':
        if (state !== State.NeedSys) fail("misplaced 'sys' (only right after a label of class '!')");
        sys = parseSys(val);
        state = State.NeedSig;
        return;
      case 'sig':
        if (state !== State.NeedSig) fail("misplaced 'sig' (a label must come first)");
        out.sigCount++;
        if (mod === Mod.Mtu) {
          if (!/^[0-9]+$/.test(val)) fail('malformed MTU value');
          const mtu = Number(val);
          if (mtu <= 0 || mtu > 65535) fail('malformed MTU value (must be 1–65535)');
          out.mtu.push({ file, line: lineNo, label: mtuLabel, mtu });
        } else if (mod === Mod.Tcp) {
          let sig: TcpSignature;
          try {
            sig = parseTcpSig(val);
          } catch (e) {
            if (e instanceof SigSyntaxError) return fail(e.message);
            throw e;
          }
          out.tcp.push({ file, line: lineNo, toServer, label: label!, sys, sig, text: val });
        } else {
          let sig: HttpSignature;
          try {
            sig = parseHttpSig(val);
          } catch (e) {
            return fail((e as Error).message);
          }
          out.http.push({ file, line: lineNo, toServer, label: label!, sys, sig, text: val });
        }
        return;
      default:
        fail(`unrecognized field '${key}'`);
    }
  };

  let start = 0;
  for (;;) {
    lineNo++;
    let eol = text.indexOf('\n', start);
    const last = eol === -1;
    if (last) eol = text.length;
    let b = start;
    while (isBlank(text[b])) b++;
    let e = eol;
    while (e > b && (isBlank(text[e - 1]) || text[e - 1] === '\r')) e--;
    if (b < e && text[b] !== ';') parseLine(text.slice(b, e));
    if (last) break;
    start = eol + 1;
  }
  return out;
}
