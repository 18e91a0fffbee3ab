// `probewatch ingest` beside a running `probewatch serve` (both real child processes on one SQLite file): the log
// batches are handed over through the store's inbox and counted once by serve, also across a kill -9 of serve; a dead
// serve's lease does not hold ingest up; a serve started during a direct-mode ingest waits for it to hand over.
import { execFile, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { Service, stderrLogger } from '../../src/service.ts';
import { openStore } from '../../src/store/db.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(root, 'bin/probewatch.js');
const env = { ...process.env, PROBEWATCH_DRY_RUN: '1', PROBEWATCH_WHOIS: 'false', PROBEWATCH_RDNS: 'false', PROBEWATCH_LOG_LEVEL: 'info' };
const SRC = '203.0.113.9';
const dirs: string[] = [];
const procs: ChildProcess[] = [];
afterAll(() => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `n` SYN lines from `src`, ISO-stamped from `start` one second apart (ports cycle so the source looks like a scan). */
function lines(src: string, n: number, start: number, idBase = 0): string {
  let t = '';
  for (let i = 0; i < n; i++) {
    const stamp = new Date(start + i * 1000).toISOString();
    t += `${stamp} fw1 kernel: DROP IN=eth0 OUT= SRC=${src} DST=192.0.2.1 LEN=44 TOS=0x00 PREC=0x00 TTL=47 ID=${idBase + i} PROTO=TCP SPT=40001 DPT=${1000 + (i % 500)} WINDOW=1024 RES=0x00 SYN URGP=0 \n`;
  }
  return t;
}

/** A data directory with a config both processes read: a followed live log, small batches, quick leases. */
function setup(store: Record<string, string> = {}): { dir: string; data: string; live: string; cfg: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pw-handoff-'));
  dirs.push(dir);
  const live = join(dir, 'live.log');
  writeFileSync(live, '');
  const cfg = join(dir, 'probewatch.yaml');
  writeFileSync(cfg, [
    'core:', `  dataDir: ${join(dir, 'data')}`,
    'logs:', `  files: [${live}]`, '  pollInterval: 0.05', '  batchSize: 10',
    'detect:', '  checkInterval: 1',
    'store:', ...Object.entries({ leaseHeartbeat: '0.2', leaseStale: '2', inboxPoll: '0.1', ...store }).map(([k, v]) => `  ${k}: ${v}`),
    'enrich:', '  whois: false', '  rdns: false',
    'respond:', '  dryRun: true',
    'api:', '  listen: 127.0.0.1:0', '  tokens: ["read:handoff-token-0123456789ab"]',
  ].join('\n'));
  return { dir, data: join(dir, 'data'), live, cfg };
}

/** Starts serve as a child; resolves once it listens. */
async function serve(cfg: string): Promise<{ proc: ChildProcess; stderr: string[] }> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--config', cfg], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  procs.push(proc);
  const stderr: string[] = [];
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: proc.stderr }).on('line', (l) => {
      stderr.push(l);
      if (l.includes('API listening on')) resolve();
    });
    proc.once('exit', (c) => { reject(new Error(`serve exited ${String(c)}: ${stderr.join('\n')}`)); });
  });
  return { proc, stderr };
}

/** Runs `probewatch ingest` as a child. */
function ingest(args: string[]): { proc: ChildProcess; done: Promise<{ status: number; stderr: string }> } {
  let proc!: ChildProcess;
  const done = new Promise<{ status: number; stderr: string }>((resolve) => {
    proc = execFile(process.execPath, [BIN, 'ingest', ...args], { env, encoding: 'utf8' }, (e, _o, stderr) => {
      resolve({ status: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stderr });
    });
  });
  procs.push(proc);
  return { proc, done };
}

const exited = (p: ChildProcess): Promise<unknown> => (p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => { p.once('exit', r); }));

/** One query on the store (read-only, a fresh connection each time). */
function q(data: string, sql: string, ...args: unknown[]): number | string | undefined {
  const db = openStore(data, { readonly: true });
  try {
    return db.prepare(sql).pluck().get(...args) as number | string | undefined;
  } finally {
    db.close();
  }
}
const packets = (data: string): number => Number(q(data, 'SELECT packets FROM sources WHERE ip = ?', SRC) ?? 0);

/** Waits until `f()` is true (polling), or fails with `what`. */
async function until(f: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);

describe('ingest beside a running serve', () => {
  it('hands the lines over: counts of a source serve is following add up exactly', { timeout: 120_000 }, async () => {
    const s = setup();
    const srv = await serve(s.cfg);
    try {
      appendFileSync(s.live, lines(SRC, 30, Date.now() - 60_000));
      await until(() => packets(s.data) === 30, 'serve to count the first live lines');
      const backfill = join(s.dir, 'old.log');
      writeFileSync(backfill, lines(SRC, 400, T0) + lines('198.51.100.20', 5, T0) + 'not a firewall line\n');
      const ing = ingest(['--config', s.cfg, '--data-dir', s.data, backfill]);
      appendFileSync(s.live, lines(SRC, 30, Date.now() - 30_000, 100));
      const r = await ing.done;
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/406 lines, 405 packets counted/);
      expect(r.stderr).toMatch(/406 lines handed over to and counted by the running serve/);
      await until(() => packets(s.data) >= 460, 'serve to count everything');
      await sleep(600);
      expect(packets(s.data)).toBe(460);
      expect(q(s.data, 'SELECT packets FROM sources WHERE ip = ?', '198.51.100.20')).toBe(5);
      expect(q(s.data, 'SELECT count(*) FROM ingest_inbox')).toBe(0);
      expect(q(s.data, "SELECT group_concat(holder) FROM store_leases")).toBe('serve');
      // a level is assigned by serve's own interval close (handed-over lines keep the daemon's interval semantics)
      await until(() => Number(q(s.data, 'SELECT danger_level FROM sources WHERE ip = ?', SRC) ?? 0) >= 1, 'a danger level');
      srv.proc.kill('SIGTERM');
      await exited(srv.proc);
      expect(srv.proc.exitCode).toBe(0);
      expect(q(s.data, 'SELECT count(*) FROM store_leases')).toBe(0);
    } finally {
      srv.proc.kill('SIGKILL');
    }
  });

  it('loses and double-counts nothing when serve is killed -9 in the middle: ingest finishes alone, a restarted serve adds nothing', { timeout: 120_000 }, async () => {
    const s = setup({ inboxMaxRows: '1000' });
    const srv = await serve(s.cfg);
    appendFileSync(s.live, lines(SRC, 25, Date.now() - 60_000));
    await until(() => packets(s.data) === 25, 'serve to count the live lines');
    const backfill = join(s.dir, 'old.log');
    writeFileSync(backfill, lines(SRC, 2000, T0));
    const ing = ingest(['--config', s.cfg, '--data-dir', s.data, backfill]);
    // kill serve once it has counted part of the hand-over
    await until(() => packets(s.data) > 25 + 100, 'serve to start counting the hand-over');
    srv.proc.kill('SIGKILL');
    await exited(srv.proc);
    const counted = packets(s.data);
    const left = q(s.data, 'SELECT count(*) FROM ingest_inbox');
    expect(left, 'serve was killed after it had counted everything: the test did not hit the middle').toBeGreaterThan(0);
    expect(counted).toBeLessThan(2025);
    const r = await ing.done;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/2000 lines, 2000 packets counted/);
    expect(packets(s.data)).toBe(2025);
    expect(q(s.data, 'SELECT count(*) FROM ingest_inbox')).toBe(0);
    // the restarted serve resumes the live log at its offset and finds no batch left: the count stays
    const again = await serve(s.cfg);
    try {
      appendFileSync(s.live, lines(SRC, 5, Date.now() - 10_000, 500));
      await until(() => packets(s.data) === 2030, 'the restarted serve to count new live lines');
      await sleep(500);
      expect(packets(s.data)).toBe(2030);
    } finally {
      again.proc.kill('SIGTERM');
      await exited(again.proc);
    }
  });

  it('with --no-wait leaves the batches to serve, which counts them exactly once even after a kill -9 and restart', { timeout: 120_000 }, async () => {
    const s = setup({ inboxMaxRows: '1000', inboxPoll: '30s' });
    const srv = await serve(s.cfg);
    const backfill = join(s.dir, 'old.log');
    writeFileSync(backfill, lines(SRC, 300, T0));
    const r = await ingest(['--config', s.cfg, '--data-dir', s.data, '--no-wait', backfill]).done;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/300 lines handed over to the running serve, 300 of them not counted yet/);
    expect(q(s.data, 'SELECT count(*) FROM ingest_inbox')).toBe(30);
    srv.proc.kill('SIGKILL');
    await exited(srv.proc);
    const fast = s.cfg.replace(/\.yaml$/, '-fast.yaml');
    writeFileSync(fast, readFileSync(s.cfg, 'utf8').replace('inboxPoll: 30s', 'inboxPoll: 0.1'));
    const again = await serve(fast);
    try {
      await until(() => q(s.data, 'SELECT count(*) FROM ingest_inbox') === 0, 'the restarted serve to empty the inbox');
      await sleep(300);
      expect(packets(s.data)).toBe(300);
    } finally {
      again.proc.kill('SIGTERM');
      await exited(again.proc);
    }
  });
});

describe('ingest and leases', () => {
  it('does not wait for a dead serve: a lease of a gone pid or an old heartbeat is ignored', { timeout: 90_000 }, () => {
    const s = setup();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const db = openStore(s.data);
    db.prepare('INSERT INTO store_leases VALUES (?, ?, ?, ?, ?)').run('serve', Number(gone), hostname(), Date.now(), Date.now() + 3_600_000);
    db.close();
    const backfill = join(s.dir, 'old.log');
    writeFileSync(backfill, lines(SRC, 50, T0));
    const r = spawnSync(process.execPath, [BIN, 'ingest', '--config', s.cfg, '--data-dir', s.data, backfill], { env, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/handed over/);
    expect(packets(s.data)).toBe(50);
    // another host's lease, not renewed for longer than store.leaseStale
    const db2 = openStore(s.data);
    db2.prepare('UPDATE store_leases SET host = ?, pid = 1, heartbeat_at = ? WHERE holder = ?').run('elsewhere.example', Date.now() - 5000, 'serve');
    db2.close();
    const r2 = spawnSync(process.execPath, [BIN, 'ingest', '--config', s.cfg, '--data-dir', s.data, backfill], { env, encoding: 'utf8', timeout: 60_000 });
    expect(r2.status, r2.stderr).toBe(0);
    expect(r2.stderr).not.toMatch(/handed over/);
    expect(packets(s.data)).toBe(100);
    expect(q(s.data, "SELECT count(*) FROM store_leases WHERE holder LIKE 'ingest:%'")).toBe(0);
  });

  it('a serve starting while an ingest runs detection itself waits until that ingest hands over', { timeout: 90_000 }, async () => {
    const s = setup();
    const config = loadConfig({ env: {}, file: s.cfg }).config;
    const db = openStore(s.data);
    // a live direct-mode ingest: this process stands in for it
    db.prepare('INSERT INTO store_leases VALUES (?, ?, ?, ?, ?)').run(`ingest:${hostname()}:${process.pid}`, process.pid, hostname(), Date.now(), Date.now());
    const beat = setInterval(() => { db.prepare('UPDATE store_leases SET heartbeat_at = ?').run(Date.now()); }, 100);
    let started = false;
    const svcP = Service.start({ config, logger: stderrLogger('fatal') }).then((svc) => { started = true; return svc; });
    await sleep(800);
    expect(started).toBe(false);
    clearInterval(beat);
    db.prepare("DELETE FROM store_leases WHERE holder LIKE 'ingest:%'").run();
    db.close();
    const svc = await svcP;
    try {
      expect(q(s.data, "SELECT pid FROM store_leases WHERE holder = 'serve'")).toBe(process.pid);
    } finally {
      await svc.stop();
    }
  });
});
