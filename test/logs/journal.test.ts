// JournalFollower: real journalctl over a journal written by systemd-journal-remote (follow, cursor resume), and a
// scripted stand-in that exits mid-stream (restart from the last cursor, nothing lost or repeated).
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { LogOffset } from '../../src/domain/log-offset.ts';
import { JournalFollower } from '../../src/logs/journal.ts';
import type { JournalNotice } from '../../src/logs/journal.ts';
import { FirewallLineParser } from '../../src/logs/parse-line.ts';

const REMOTE = '/lib/systemd/systemd-journal-remote';
const dir = mkdtempSync(join(tmpdir(), 'pwlog-journal-'));
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

function msg(seq: number): string {
  return `DROP IN=eth0 OUT= MAC=02:00:00:00:00:02:0e:79:ae:75:9c:85:08:00 SRC=198.51.100.${seq % 250} DST=203.0.113.1 LEN=44 TOS=0x00 PREC=0x00 TTL=53 ID=${seq} PROTO=TCP SPT=36906 DPT=${seq + 1} WINDOW=1024 RES=0x00 SYN URGP=0 OPT (020405B4) UID=${seq} GID=0 `;
}

/** journald export format (what systemd-journal-remote reads) for kernel entries. */
function exportEntries(from: number, to: number, extra: string[] = []): string {
  const out: string[] = [];
  const base = 1_764_167_000_000_000;
  for (let i = from; i < to; i++) {
    out.push([`__REALTIME_TIMESTAMP=${base + i * 1000}`, `__MONOTONIC_TIMESTAMP=${1000 + i}`, '_BOOT_ID=0123456789abcdef0123456789abcdef',
      '_TRANSPORT=kernel', 'SYSLOG_IDENTIFIER=kernel', '_HOSTNAME=jsensor', `MESSAGE=${msg(i)}`].join('\n'));
  }
  for (const m of extra) {
    out.push([`__REALTIME_TIMESTAMP=${base + to * 1000}`, `__MONOTONIC_TIMESTAMP=${1000 + to}`, '_BOOT_ID=0123456789abcdef0123456789abcdef',
      '_TRANSPORT=kernel', '_HOSTNAME=jsensor', `MESSAGE=${m}`].join('\n'));
  }
  return `${out.join('\n\n')}\n\n`;
}

function writeJournal(file: string, text: string): void {
  const src = join(dir, `export-${Date.now()}-${Math.random()}.txt`);
  writeFileSync(src, text);
  execFileSync(REMOTE, [`--output=${file}`, src], { stdio: 'ignore' });
}

function collector(extra: Partial<ConstructorParameters<typeof JournalFollower>[0]>) {
  const uids: number[] = [];
  const notices: JournalNotice[] = [];
  let offset: LogOffset | undefined;
  let losses = 0;
  const j = new JournalFollower({
    parser: new FirewallLineParser({ timezone: 'UTC' }), flushIntervalMs: 30, restartDelayMs: 50,
    onBatch: (b) => { for (const p of b.packets) uids.push(p.uid!); losses += b.losses.length; if (b.offset) offset = b.offset; },
    onNotice: (n) => notices.push(n),
    ...extra,
  });
  return { j, uids, notices, offset: () => offset, losses: () => losses };
}

async function until(pred: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe.skipIf(!existsSync(REMOTE))('JournalFollower with real journalctl (needs systemd-journal-remote)', () => {
  it('reads, follows, and resumes after the stored cursor', async () => {
    const file = join(dir, 'k.journal');
    writeJournal(file, exportEntries(0, 50, ['net_ratelimit: 7 callbacks suppressed']));
    const a = collector({ extraArgs: [`--file=${file}`] });
    await a.j.start();
    await until(() => a.uids.length === 50 && a.losses() === 1);
    writeJournal(file, exportEntries(50, 60));
    await until(() => a.uids.length === 60);
    expect(a.uids).toEqual(range(0, 60));
    await a.j.stop();
    const stored = a.offset()!;
    expect(stored).toMatchObject({ source: 'journal', identity: 'journal' });
    expect(stored.position).toMatch(/^s=[0-9a-f]+;i=/);

    writeJournal(file, exportEntries(60, 70));
    const b = collector({ extraArgs: [`--file=${file}`], start: stored, follow: false });
    await b.j.start();
    await b.j.done;
    expect(b.uids).toEqual(range(60, 70));
  }, 30_000);
});
if (!existsSync(REMOTE)) {
  process.stderr.write(`SKIPPED real-journal test: ${REMOTE} missing (apt-get install systemd-journal-remote)\n`);
}

describe('JournalFollower restarts', () => {
  it('restarts an exited journalctl after the last cursor', async () => {
    const jsonl = join(dir, 'fake.jsonl');
    let text = '';
    for (let i = 0; i < 30; i++) {
      text += `${JSON.stringify({ __CURSOR: `c${i}`, __REALTIME_TIMESTAMP: String(1_764_167_000_000_000 + i), _HOSTNAME: 'f', MESSAGE: msg(i) })}\n`;
    }
    writeFileSync(jsonl, text);
    process.env.FAKE_JOURNAL = jsonl;
    process.env.FAKE_EXIT_AFTER = '7';
    const fake = fileURLToPath(new URL('./helpers/fake-journalctl.ts', import.meta.url));
    const c = collector({ journalctl: fake, batchSize: 3 });
    await c.j.start();
    await until(() => c.uids.length === 30);
    appendFileSync(jsonl, `${JSON.stringify({ __CURSOR: 'c30', __REALTIME_TIMESTAMP: '1', MESSAGE: msg(30) })}\n`);
    await until(() => c.uids.length === 31);
    await c.j.stop();
    expect(c.uids).toEqual(range(0, 31));
    expect(c.notices.filter((n) => n.kind === 'exited').length).toBeGreaterThanOrEqual(4);
    expect(c.offset()).toMatchObject({ position: 'c30' });
    delete process.env.FAKE_EXIT_AFTER;
  }, 30_000);
});
