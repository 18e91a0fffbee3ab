// Splits a configured command ("/path/to/script --ip SRCIP -v") into an argument vector once, at config time, with
// POSIX-like quoting but no expansion of any kind: `$(…)`, backticks, `;`, `|`, globs are ordinary characters.
import { pwError } from '../domain/errors.ts';

/** The placeholder psad replaces with the source address. */
export const SRCIP = 'SRCIP';

/** Splits `text` into words: whitespace separates, '…' is literal, "…" allows \" and \\, a bare \ escapes one char. */
export function splitCommand(text: string, what = 'command'): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) throw pwError('PW_ERR_SCRIPT_COMMAND', [what, 'unterminated single quote']);
      cur += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inWord = true;
      for (;;) {
        if (i >= text.length) throw pwError('PW_ERR_SCRIPT_COMMAND', [what, 'unterminated double quote']);
        const d = text[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
          cur += text[i + 1]!;
          i += 2;
        } else {
          cur += d;
          i++;
        }
      }
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[i + 1]!;
      inWord = true;
      i += 2;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) out.push(cur);
  if (out.length === 0) throw pwError('PW_ERR_SCRIPT_COMMAND', [what, 'empty command']);
  return out;
}

/** The argv for one run: every "SRCIP" (whole argument or inside one, as in --ip=SRCIP) becomes the address. */
export function substitute(argv: readonly string[], ip: string): string[] {
  // the address is canonical (hex digits, dots, colons only) and goes in as one argv element: nothing to quote
  return argv.map((a) => a.split(SRCIP).join(ip));
}
