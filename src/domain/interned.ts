// The internalized copy of a string built at run time, so that === on it compares pointers instead of characters.

/**
 * `s` as V8's string table holds it. V8 compares two different string objects character by character (its StringEqual
 * builtin, ~40 instructions and a call) unless both are internalized: the table keeps one object per content, so two
 * internalized strings are equal exactly when they are the same object. Literals are internalized; concatenations and
 * slices of input are not. Property names are, so the key of a fresh object comes back as the table's copy. (A string
 * that reads as an array index is kept as a number and listed as a new string: equal, but not internalized.)
 */
export function interned(s: string): string {
  return Object.keys({ [s]: 0 })[0] ?? s;
}
