// The log prefix as psad reads it from the text between the header and the kernel fields.

/**
 * The prefix from its raw, blank-trimmed text: what follows the last "kernel:" in it, without a kernel uptime stamp
 * "[ secs.usec]" (psad's IGNORE_KERNEL_TIMESTAMP: s|\[\s*\d+\.\d+\s*\]\s*||), trimmed.
 */
export function cleanPrefix(raw: string): string {
  let p = raw;
  const k = p.lastIndexOf('kernel:');
  if (k >= 0) p = p.slice(k + 7);
  if (p.includes('[')) p = p.replace(/\[\s*\d+\.\d+\s*\]\s*/, '');
  return p.trim();
}
