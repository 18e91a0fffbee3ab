// Whois search text ("bank|military|gov"): split into alternatives, each a case-insensitive substring; bounded and checked.
import { pwError } from './errors.ts';

/** Longest accepted search text. */
export const MAX_SEARCH_LENGTH = 256;
/** Most alternatives in one search. */
export const MAX_SEARCH_ALTERNATIVES = 16;

/**
 * Parses `a|b c|d` into alternatives (trimmed, empty ones dropped), each matched as a case-insensitive substring of the
 * whois answer — egrep -i semantics without regular expressions. The store quotes every alternative, so no character
 * of the text is ever query syntax. Throws PW_ERR_SEARCH_SYNTAX for empty, control-character or over-long input.
 */
export function parseSearch(text: string): string[] {
  if (text.length > MAX_SEARCH_LENGTH) throw pwError('PW_ERR_SEARCH_SYNTAX', [`longer than ${MAX_SEARCH_LENGTH} characters`]);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) throw pwError('PW_ERR_SEARCH_SYNTAX', ['control characters are not allowed']);
  const alts = text.split('|').map((a) => a.normalize('NFKC').trim()).filter((a) => a.length > 0);
  if (alts.length > MAX_SEARCH_ALTERNATIVES) throw pwError('PW_ERR_SEARCH_SYNTAX', [`more than ${MAX_SEARCH_ALTERNATIVES} alternatives`]);
  if (alts.length === 0) throw pwError('PW_ERR_SEARCH_SYNTAX', ['nothing to search for']);
  return [...new Set(alts)];
}
