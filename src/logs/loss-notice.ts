// Recognises rate-limit notices in non-firewall lines: kernel "callbacks suppressed", syslog "repeated", journald loss.
import type { LossNotice } from '../domain/events.ts';

/** Kind and count of a notice, or null. `prevWasFirewall` gates "last message repeated" (it repeats the line before). */
export function lossNoticeIn(s: string, from: number, prevWasFirewall: boolean): { kind: LossNotice['kind']; count: number } | null {
  let k = s.indexOf('uppressed', from);
  if (k > 0) {
    // kernel ___ratelimit: "net_ratelimit: 42 callbacks suppressed"; old printk: "printk: 7 messages suppressed."
    const before = s.charCodeAt(k - 1);
    if (before === 115 /* s */ && (endsWithAt(s, k - 1, 'callbacks s') || endsWithAt(s, k - 1, 'messages s'))) {
      const word = s.lastIndexOf(' ', k - 3);
      const n = numberBefore(s, word);
      if (n >= 0) return { kind: 'callbacks-suppressed', count: n };
    }
    // journald: "Suppressed 1234 messages from /system.slice/foo.service"
    if (before === 83 /* S */) {
      const n = numberAfter(s, k + 9);
      if (n >= 0 && s.startsWith(' messages', k + 9 + 1 + String(n).length)) return { kind: 'journal-suppressed', count: n };
    }
  }
  k = s.indexOf('Missed ', from);
  if (k >= 0) {
    // journald: "Missed 12 kernel messages" — the kmsg buffer overran before journald read it
    const n = numberAfter(s, k + 6);
    if (n >= 0 && s.startsWith(' kernel messages', k + 7 + String(n).length)) return { kind: 'journal-suppressed', count: n };
  }
  k = s.indexOf(' messages lost due to rate-limiting', from);
  if (k > 0) {
    // rsyslog imjournal: "imjournal: 1234 messages lost due to rate-limiting"
    const n = numberBefore(s, k);
    if (n >= 0) return { kind: 'journal-suppressed', count: n };
  }
  k = s.indexOf('last message repeated ', from);
  if (k >= 0 && prevWasFirewall) {
    const n = numberAfter(s, k + 21);
    if (n >= 0) return { kind: 'repeated', count: n };
  }
  return null;
}

function endsWithAt(s: string, endIdx: number, suffix: string): boolean {
  const start = endIdx - suffix.length + 1;
  return start >= 0 && s.startsWith(suffix, start);
}

/** The decimal number that ends at index `end` (exclusive), or -1. */
function numberBefore(s: string, end: number): number {
  let i = end;
  while (i > 0 && s.charCodeAt(i - 1) >= 48 && s.charCodeAt(i - 1) <= 57) i--;
  if (i === end || end - i > 12) return -1;
  const c = i > 0 ? s.charCodeAt(i - 1) : 32;
  if (c !== 32 && c !== 58) return -1;
  return Number(s.slice(i, end));
}

/** The decimal number after the blank at index `blank`, or -1. */
function numberAfter(s: string, blank: number): number {
  if (s.charCodeAt(blank) !== 32) return -1;
  let i = blank + 1;
  const a = i;
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  if (i === a || i - a > 12) return -1;
  return Number(s.slice(a, i));
}

/** rsyslog's reduction "message repeated N times: [ original ]" at `at`: N and where the original starts, or null. */
export function rsyslogRepeat(s: string, at: number): { count: number; inner: number } | null {
  if (!s.startsWith('message repeated ', at)) return null;
  const n = numberAfter(s, at + 16);
  if (n < 0) return null;
  const k = at + 17 + String(n).length;
  if (!s.startsWith(' times: [', k)) return null;
  return { count: n, inner: k + 9 };
}
