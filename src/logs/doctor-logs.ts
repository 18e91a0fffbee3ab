// doctor, log part: are firewall lines arriving in the configured files / journal, can probewatch read them, and is
// anything lost to kernel, syslog or journald rate limits — each finding with the fix.
import { open, stat } from 'node:fs/promises';
import type { Runner } from './doctor-firewall.ts';
import { execRunner } from './doctor-firewall.ts';
import type { Finding } from './doctor-types.ts';
import { FirewallLineParser } from './parse-line.ts';
import { ParseStats } from './parse-stats.ts';
import type { ParserOptions } from './parse-types.ts';

/** Files probewatch looks at when none is configured (Debian/Ubuntu, RHEL, ulogd). */
export const DEFAULT_LOG_FILES = ['/var/log/kern.log', '/var/log/messages', '/var/log/syslog', '/var/log/ulog/syslogemu.log', '/var/log/ulogd.syslogemu'];

/** Options of the log check. */
export interface LogsCheckOptions {
  /** Files to check. */
  files: readonly string[];
  /** Whether the files were configured (a missing configured file is an error; a missing default is not). */
  configured: boolean;
  /** Check journald too. */
  journal: boolean;
  /** journalctl binary. */
  journalctl?: string;
  /** Extra journalctl arguments (e.g. --directory for another journal). */
  journalArgs?: readonly string[];
  /** How much of each file's end to read (bytes, default 4 MiB). */
  tailBytes?: number;
  /** Parser options (time zone, …). */
  parserOptions?: ParserOptions;
  /** Now, ms. */
  now?: () => number;
  /** Command runner (tests). */
  run?: Runner;
}

const LOSS_FIX: Readonly<Record<string, string>> = {
  'callbacks-suppressed': 'the kernel suppressed messages (printk/net ratelimit): sysctl -w net.core.message_cost=0 (and kernel.printk_ratelimit=0), or log less (e.g. a limit on the LOG rule you control)',
  repeated: 'the syslog daemon folded identical lines ("last message repeated N times"): turn that off (rsyslog: $RepeatedMsgReduction off) so every packet is a line',
  'journal-suppressed': 'journald or rsyslog\'s imjournal dropped messages: raise RateLimitIntervalSec/RateLimitBurst in /etc/systemd/journald.conf (or imjournal ratelimit.*), or read the kernel log directly (--journal); "Missed N kernel messages" means the kernel ring buffer overran: boot with a larger log_buf_len',
};

function ago(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}

function summarise(name: string, st: ParseStats, newest: number, now: number, f: Finding[], fixNoLines: string): void {
  const s = st.summary();
  if (s.packets + s.errors === 0) {
    f.push({ id: 'logs.no-lines', severity: 'warn', title: `no firewall lines in ${name} (${s.lines} lines read)`, fix: fixNoLines });
  } else {
    f.push({
      id: 'logs.lines', severity: 'ok',
      title: `${name}: ${s.packets} firewall lines readable${Number.isFinite(newest) ? `, newest ${ago(Math.max(0, now - newest))} ago` : ''}`,
    });
    if (Number.isFinite(newest) && now - newest > 86_400_000) {
      f.push({ id: 'logs.stale', severity: 'info', title: `${name}: no firewall line for ${ago(now - newest)}`, fix: 'check that the LOG rules still match traffic and that the syslog daemon still writes kern.* here' });
    }
  }
  if (s.errors > 0) {
    const reasons = Object.entries(s.byReason).map(([k, v]) => `${k} ${v}`).join(', ');
    const sample = Object.values(s.samples).flat()[0];
    f.push({
      id: 'logs.unreadable-lines', severity: 'warn', title: `${name}: ${s.errors} firewall line(s) could not be read (${reasons})`,
      detail: sample ? `line ${sample.line}: ${JSON.stringify(sample.text.slice(0, 200))}${sample.detail ? ` (${sample.detail})` : ''}` : undefined,
      fix: 'see docs/logs.md "Errors"; truncated or garbled lines usually mean the syslog daemon cuts long lines (raise its max message size) or the kernel ring buffer overflowed',
    });
  }
  for (const [kind, n] of Object.entries(s.possiblyLost)) {
    f.push({ id: `logs.loss.${kind}`, severity: 'warn', title: `${name}: rate-limit notices say ${n} message(s) were dropped or folded (${kind})`, fix: LOSS_FIX[kind] });
  }
}

/** Checks one file's tail. */
async function checkFile(path: string, o: LogsCheckOptions, f: Finding[]): Promise<boolean> {
  let size: number;
  let mtime: number;
  try {
    const st = await stat(path);
    size = st.size;
    mtime = st.mtimeMs;
  } catch (e) {
    if (o.configured) {
      f.push({ id: 'logs.missing', severity: 'error', title: `${path}: ${(e as NodeJS.ErrnoException).code ?? 'cannot stat'}`, fix: 'point --log at the file your syslog daemon writes kernel messages to (e.g. /var/log/kern.log), or use --journal' });
    }
    return false;
  }
  const tail = Math.min(size, o.tailBytes ?? 4 << 20);
  const buf = Buffer.alloc(tail);
  try {
    const fh = await open(path, 'r');
    try { await fh.read(buf, 0, tail, size - tail); } finally { await fh.close(); }
  } catch (e) {
    f.push({ id: 'logs.unreadable', severity: 'error', title: `${path}: ${(e as Error).message}`, fix: 'run probewatch as a user that can read the log (e.g. in group adm), or adjust the file\'s mode' });
    return true;
  }
  const lines = buf.toString('utf8').split('\n');
  if (tail < size) lines.shift(); // starts inside a line
  if (lines.at(-1) === '') lines.pop();
  const parser = new FirewallLineParser(o.parserOptions);
  const st = new ParseStats(1);
  let newest = Number.NEGATIVE_INFINITY;
  lines.forEach((l, i) => {
    const r = parser.parse(l, i + 1);
    st.add(r, l, i + 1);
    if (r.kind === 'packet' && r.event.time > newest) newest = r.event.time;
  });
  const now = o.now?.() ?? Date.now();
  if (now - mtime > 7 * 86_400_000) f.push({ id: 'logs.not-written', severity: 'info', title: `${path} was last written ${ago(now - mtime)} ago` });
  summarise(path, st, newest, now, f, `make the syslog daemon write kernel messages to ${path} (rsyslog: kern.* ${path}), or follow the journal (--journal)`);
  return true;
}

async function checkJournal(o: LogsCheckOptions, f: Finding[]): Promise<void> {
  const run = o.run ?? execRunner;
  const r = await run(o.journalctl ?? 'journalctl', [...(o.journalArgs ?? []), '-o', 'json', '--no-pager', '-n', '5000', '_TRANSPORT=kernel']);
  if (r.code !== 0) {
    f.push({
      id: 'logs.journal-unreadable', severity: o.journal ? 'error' : 'info', title: `journalctl failed (${r.code}): ${r.stderr.trim().split('\n')[0] ?? ''}`,
      fix: 'install systemd\'s journalctl and run as root or a member of systemd-journal; or read a log file (--log)',
    });
    return;
  }
  const parser = new FirewallLineParser(o.parserOptions);
  const st = new ParseStats(1);
  let newest = Number.NEGATIVE_INFINITY;
  r.stdout.split('\n').filter((l) => l !== '').forEach((l, i) => {
    const res = parser.parse(l, i + 1);
    st.add(res, l, i + 1);
    if (res.kind === 'packet' && res.event.time > newest) newest = res.event.time;
  });
  // journald's own rate-limit and overrun notices are not kernel-transport entries: look for them separately
  const j = await run(o.journalctl ?? 'journalctl', [...(o.journalArgs ?? []), '-o', 'json', '--no-pager', '-n', '2000', 'SYSLOG_IDENTIFIER=systemd-journald']);
  if (j.code === 0) {
    j.stdout.split('\n').filter((l) => l !== '').forEach((l, i) => { const res = parser.parse(l, i + 1); if (res.kind === 'loss') st.add(res, l, i + 1); });
  }
  summarise('journal (kernel messages)', st, newest, o.now?.() ?? Date.now(), f, 'check the LOG rules (above) and that journald collects kernel messages (ReadKMsg=yes in journald.conf)');
}

/** Runs the log part of doctor. */
export async function checkLogs(o: LogsCheckOptions): Promise<Finding[]> {
  const f: Finding[] = [];
  let found = 0;
  for (const p of o.files) if (await checkFile(p, o, f)) found++;
  if (o.journal || found === 0) await checkJournal(o, f);
  if (!o.configured && found === 0 && !f.some((x) => x.id === 'logs.lines')) {
    f.push({
      id: 'logs.none', severity: 'error', title: `no firewall log found (looked at ${o.files.join(', ')} and the journal)`,
      fix: 'make the syslog daemon write kernel messages to a file (rsyslog: kern.* /var/log/kern.log) and pass it with --log, or use --journal',
    });
  }
  return f;
}
