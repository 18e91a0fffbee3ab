// Whois full-text search text ("bank|military|gov"): parsed into alternatives of plain word tokens, nothing else survives.
import { pwError } from './errors.ts';

/** Longest accepted search text. */
export const MAX_SEARCH_LENGTH = 256;
/** Most alternatives in one search. */
export const MAX_SEARCH_ALTERNATIVES = 16;

/**
 * Parses `a|b c|d*` into alternatives: each is a phrase of word tokens (letters and digits), optionally a prefix
 * search when it ends with `*`. Punctuation splits words; operators of the underlying engine cannot be expressed,
 * so the text can never change the query's meaning. Throws PW_ERR_SEARCH_SYNTAX for empty, control-character or
 * over-long input.
 */
export function parseSearch(text: string): string[] {
  if (text.length > MAX_SEARCH_LENGTH) throw pwError('PW_ERR_SEARCH_SYNTAX', [`longer than ${MAX_SEARCH_LENGTH} characters`]);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) throw pwError('PW_ERR_SEARCH_SYNTAX', ['control characters are not allowed']);
  const alts = text.split('|');
  if (alts.length > MAX_SEARCH_ALTERNATIVES) throw pwError('PW_ERR_SEARCH_SYNTAX', [`more than ${MAX_SEARCH_ALTERNATIVES} alternatives`]);
  const out: string[] = [];
  for (const alt of alts) {
    const words = alt.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu);
    if (!words) continue;
    const prefix = /\*\s*$/.test(alt);
    out.push(words.join(' ') + (prefix ? '*' : ''));
  }
  if (out.length === 0) throw pwError('PW_ERR_SEARCH_SYNTAX', ['no words to search for']);
  return out;
}
