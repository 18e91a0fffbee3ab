// `probewatch serve`: the Service in-process (readiness, tokens, reload, stop) and the real CLI as a child process
// (flags, environment, SIGHUP, SIGTERM exit 0), plus the systemd unit.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { KERNEL_LOGS, settingFlags, withDefaults, defaultDataDir } from '../../src/cli/serve.ts';
import { loadConfig } from '../../src/config/load.ts';
import { parseListen, Service, stderrLogger } from '../../src/service.ts';
import type { Intake } from '../../src/service.ts';
import { ChangeLog } from '../../src/store/changes.ts';
import { openStore } from '../../src/store/db.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dirs: string[] = [];
const tmp = (): string => { const d = mkdtempSync(join(tmpdir(), 'pw-serve-')); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const quiet = { ...process.env, PROBEWATCH_DRY_RUN: '1', PROBEWATCH_WHOIS: 'false', PROBEWATCH_RDNS: 'false' };

describe('serve settings', () => {
  it('parses listen addresses', () => {
    expect(parseListen('127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListen('localhost:9000')).toEqual({ host: 'localhost', port: 9000 });
    for (const bad of ['8080', '::1:8080', '1.2.3.4:70000', 'a b:1', '']) expect(() => parseListen(bad), bad).toThrow(/api\.listen/);
  });

  it('offers every setting flag, booleans with --no-, lists repeatable', () => {
    const f = settingFlags();
    expect(f.listen).toEqual({ type: 'string' });
    expect(f['token-file']).toEqual({ type: 'string' });
    expect(f.mmdb).toEqual({ type: 'string', multiple: true });
    expect(f['no-whois']).toEqual({ type: 'boolean' });
    expect(f['no-rdns']).toEqual({ type: 'boolean' });
  });

  it('puts state where the user can write it when nobody said where', () => {
    expect(defaultDataDir({ HOME: '/home/ann' }, 1000)).toBe('/home/ann/.local/state/probewatch');
    expect(defaultDataDir({ XDG_STATE_HOME: '/x/state' }, 1000)).toBe('/x/state/probewatch');
    expect(defaultDataDir({}, 0)).toBe('/var/lib/probewatch');
    const given = withDefaults(loadConfig({ env: {}, flags: { 'data-dir': '/srv/pw' } }));
    const k = given.logs;
    // with nothing configured the kernel log is read: the first readable classic file, else journald
    const readable = (f: string): boolean => { try { accessSync(f, constants.R_OK); return true; } catch { return false; } };
    const file = KERNEL_LOGS.find(readable);
    if (file) expect(k).toMatchObject({ files: [file], journal: false });
    else expect(k.journal).toBe(['/usr/bin/journalctl', '/bin/journalctl'].some(readable));
    const explicit = withDefaults(loadConfig({ env: {}, flags: { 'data-dir': '/srv/pw', log: ['/tmp/x.log'] } }));
    expect(explicit.logs).toMatchObject({ files: ['/tmp/x.log'], journal: false });
    expect(given.core.dataDir).toBe('/srv/pw');
  });
});

describe('Service', () => {
  it('answers /readyz 503 until every intake is ready, reloads tokens, and stops cleanly', async () => {
    const dir = tmp();
    let ready = false;
    const intake: Intake = { name: 'log:/test.log', start: () => Promise.resolve(), stop: () => Promise.resolve(), ready: () => ready, detail: () => (ready ? 'reading' : 'waiting for the file') };
    const lines: string[] = [];
    const config = loadConfig({ env: quiet, flags: { 'data-dir': dir, listen: '127.0.0.1:0' } }).config;
    const svc = await Service.start({ config, intakes: [intake], logger: stderrLogger('info', (l) => { lines.push(l); }) });
    try {
      const token = readFileSync(join(dir, 'api.token'), 'utf8').trim();
      expect(statSync(join(dir, 'api.token')).mode & 0o777).toBe(0o600);
      expect(lines.join('')).toMatch(/created .*api\.token/);
      const r1 = await fetch(`${svc.address}/readyz`);
      expect(r1.status).toBe(503);
      expect(await r1.json()).toEqual({ ready: false, checks: [{ name: 'store', ready: true, detail: `open (${dir})` }, { name: 'log:/test.log', ready: false, detail: 'waiting for the file' }] });
      ready = true;
      expect((await fetch(`${svc.address}/readyz`)).status).toBe(200);
      expect((await fetch(`${svc.address}/stats`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      // SIGHUP path: a rotated token file is picked up without a restart
      writeFileSync(join(dir, 'api.token'), 'rotated-token-0123456789abcdef\n');
      chmodSync(join(dir, 'api.token'), 0o600);
      svc.reload();
      expect((await fetch(`${svc.address}/stats`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
      expect((await fetch(`${svc.address}/stats`, { headers: { authorization: 'Bearer rotated-token-0123456789abcdef' } })).status).toBe(200);
      const metrics = await (await fetch(`${svc.address}/metrics`, { headers: { authorization: 'Bearer rotated-token-0123456789abcdef' } })).text();
      expect(metrics).toContain('probewatch_intake_ready{intake="log:/test.log"} 1');
      expect(metrics).toContain('probewatch_process_');
    } finally {
      await svc.stop();
    }
    expect(svc.db.open).toBe(false);
    await svc.stopped;
  });

  it('refuses a world-readable token file and a bad listen address before opening anything', async () => {
    const dir = tmp();
    const tf = join(dir, 'tokens');
    writeFileSync(tf, 'some-token-0123456789abcdef\n');
    chmodSync(tf, 0o644);
    const config = loadConfig({ env: quiet, flags: { 'data-dir': dir, listen: '127.0.0.1:0', 'token-file': tf } }).config;
    await expect(Service.start({ config, logger: stderrLogger('fatal') })).rejects.toThrow(/accessible by other users/);
    const bad = loadConfig({ env: quiet, flags: { 'data-dir': dir, listen: 'nowhere' } }).config;
    await expect(Service.start({ config: bad, logger: stderrLogger('fatal') })).rejects.toThrow(/HOST:PORT/);
  });
});

describe('Service with live capture', () => {
  it('rebuilds the stored profile bodies of an older store in the background and never serves one of another shape', async () => {
    const dir = tmp();
    // a store written before (or under another schema): sources, and a body stored under another shape with the
    // current version, which must not be served
    const db = openStore(dir);
    const changes = new ChangeLog(db);
    const ips = ['192.0.2.10', '198.51.100.11', '2001:db8::12'];
    db.transaction(() => {
      for (const ip of ips) {
        db.prepare('INSERT INTO sources (ip, family, first_seen, last_seen, packets, danger_level, updated_at) VALUES (?, ?, 1, 2, 3, 1, 4)').run(ip, ip.includes(':') ? 6 : 4);
        changes.touch(ip, 'detect', 5);
      }
      db.prepare("INSERT INTO api_meta (key, value) VALUES ('docs_shape', 'an-older-shape'), ('docs_cursor', 'done')").run();
      db.prepare('INSERT INTO api_profile_docs (ip, version, body) SELECT ip, version, ? FROM sources WHERE ip = ?').run(Buffer.from('{"stale":true}'), ips[0]);
    })();
    db.close();
    const lines: string[] = [];
    const config = loadConfig({ env: { ...quiet, PROBEWATCH_API_TOKENS: 'read:docs-token-0123456789abcdef' }, flags: { 'data-dir': dir, listen: '127.0.0.1:0' } }).config;
    const svc = await Service.start({ config, intakes: [], logger: stderrLogger('info', (l) => { lines.push(l); }) });
    try {
      expect(lines.join('')).toMatch(/dropped 1, rebuilding/);
      const h = { authorization: 'Bearer docs-token-0123456789abcdef' };
      const first = await fetch(`${svc.address}/sources/${ips[0]!}`, { headers: h });
      expect(await first.text()).not.toContain('stale');
      // the last batch is written before the cursor is cleared: wait for both
      for (let i = 0; i < 40 && ((svc.store.docs?.count() ?? 0) < ips.length || svc.store.docs?.rebuildCursor() != null); i++) await new Promise((r) => setTimeout(r, 250));
      expect(svc.store.docs?.count()).toBe(ips.length);
      expect(svc.store.docs?.rebuildCursor()).toBeNull();
      for (const ip of ips) {
        const res = await fetch(`${svc.address}/sources/${ip}`, { headers: h });
        const body = Buffer.from(await res.arrayBuffer());
        expect(body.equals(svc.store.docs!.get(ip)!.body)).toBe(true);
        expect(JSON.parse(body.toString('utf8'))).toMatchObject({ ip, dangerLevel: 0 });
      }
    } finally {
      await svc.stop();
    }
  });

  it('fingerprints SYNs on a configured interface into the profile, and refuses an interface it cannot open', async () => {
    if (process.getuid?.() !== 0) {
      process.stderr.write('SKIPPED: live capture needs root or CAP_NET_RAW\n');
      return;
    }
    const dir = tmp();
    const config = loadConfig({ env: { ...quiet, PROBEWATCH_API_TOKENS: 'read:capture-token-0123456789ab' }, flags: { 'data-dir': dir, listen: '127.0.0.1:0', interface: ['lo'] } }).config;
    const svc = await Service.start({ config, logger: stderrLogger('fatal') });
    try {
      const h = { authorization: 'Bearer capture-token-0123456789ab' };
      expect((await (await fetch(`${svc.address}/readyz`)).json())).toMatchObject({ ready: true, checks: [{ name: 'store' }, { name: 'capture:lo', ready: true, detail: 'capturing' }] });
      // our own connections to the API are kernel SYNs on lo from 127.0.0.1
      let os: { current: { name: string; via: string } | null } | undefined;
      for (let i = 0; i < 40 && !os?.current; i++) {
        await new Promise((r) => setTimeout(r, 250));
        const r = await fetch(`${svc.address}/sources/127.0.0.1`, { headers: { ...h, connection: 'close' } });
        if (r.status === 200) os = ((await r.json()) as { os: typeof os }).os;
      }
      expect(os?.current).toMatchObject({ name: 'Linux', via: 'live' });
      // the indexer keeps the profile's body (api.profileDocs); once it has caught up, the answer is that body. Each
      // request is itself a SYN on lo that may change the profile in between: retry until one answer meets its version
      const version = (): number => svc.db.prepare<[string], number>('SELECT version FROM sources WHERE ip = ?').pluck().get('127.0.0.1')!;
      let same = false;
      for (let i = 0; i < 40 && !same; i++) {
        const stored = svc.store.docs?.get('127.0.0.1');
        if (stored?.version !== version()) { await new Promise((r) => setTimeout(r, 250)); continue; }
        const answer = await fetch(`${svc.address}/sources/127.0.0.1`, { headers: { ...h, connection: 'close' } });
        const body = Buffer.from(await answer.arrayBuffer());
        if (answer.headers.get('etag')?.endsWith(`-${stored.version}"`) !== true) continue;
        expect(body.equals(stored.body)).toBe(true);
        same = true;
      }
      expect(same).toBe(true);
    } finally {
      await svc.stop();
    }
    const bad = loadConfig({ env: quiet, flags: { 'data-dir': tmp(), listen: '127.0.0.1:0', interface: ['pw-no-such-if0'] } }).config;
    await expect(Service.start({ config: bad, logger: stderrLogger('fatal') })).rejects.toThrow(/pw-no-such-if0/);
  });
});

/** Starts `probewatch serve` as a child; resolves with its base URL once it listens. */
async function child(args: string[], env: NodeJS.ProcessEnv): Promise<{ proc: ChildProcess; url: string; stderr: string[] }> {
  const proc = spawn(process.execPath, [join(root, 'bin/probewatch.js'), 'serve', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: proc.stderr });
    rl.on('line', (l) => {
      stderr.push(l);
      const m = /API listening on (http:\/\/\S+)/.exec(l);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code) => { reject(new Error(`serve exited ${String(code)}: ${stderr.join('\n')}`)); });
  });
  return { proc, url, stderr };
}

const exited = (p: ChildProcess): Promise<number | null> => new Promise((r) => { p.once('exit', (c) => { r(c); }); });

describe('probewatch serve (child process)', () => {
  it('takes settings from flags and PROBEWATCH_* variables, reloads on SIGHUP and exits 0 on SIGTERM', async () => {
    const dir = tmp();
    const env = { ...quiet, PROBEWATCH_API_TOKENS: 'read:env-token-0123456789abcdef', PROBEWATCH_LOG_LEVEL: 'info' };
    writeFileSync(join(dir, 'empty.log'), '');
    const { proc, url, stderr } = await child(['--data-dir', dir, '--listen', '127.0.0.1:0', '--no-whois', '--no-rdns', '--log', join(dir, 'empty.log')], env);
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/sources`, { headers: { authorization: 'Bearer env-token-0123456789abcdef' } })).status).toBe(200);
      proc.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 300));
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const t = Date.now();
      proc.kill('SIGTERM');
      expect(await exited(proc)).toBe(0);
      expect(Date.now() - t).toBeLessThan(10_000);
      expect(stderr.join('\n')).toMatch(/configuration reloaded/);
      expect(stderr.join('\n')).toMatch(/stopping: received SIGTERM[\s\S]*stopped/);
    } finally {
      proc.kill('SIGKILL');
    }
  });

  it('on a fresh machine creates its data directory and an admin token file (0600) that the API accepts', async () => {
    const dir = join(tmp(), 'not', 'yet');
    writeFileSync(join(dir, '..', '..', 'empty.log'), '');
    const { proc, url } = await child(['--data-dir', dir, '--listen', '127.0.0.1:0', '--no-whois', '--no-rdns', '--log', join(dir, '..', '..', 'empty.log')], quiet);
    try {
      const file = join(dir, 'api.token');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const token = readFileSync(file, 'utf8').trim();
      expect(token.length).toBeGreaterThanOrEqual(32);
      expect((await fetch(`${url}/sources`)).status).toBe(401);
      expect((await fetch(`${url}/sources`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      proc.kill('SIGTERM');
      expect(await exited(proc)).toBe(0);
    } finally {
      proc.kill('SIGKILL');
    }
  });

  it('exits 2 with the usage for an unknown flag', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin/probewatch.js'), 'serve', '--frobnicate'], { env: quiet, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Unknown option '--frobnicate'[\s\S]*probewatch serve \[--config FILE\]/);
  });
});

describe('systemd unit', () => {
  const unit = readFileSync(join(root, 'packaging/probewatch.service'), 'utf8');
  it('runs as its own user with only CAP_NET_RAW and CAP_NET_ADMIN', () => {
    expect(unit).toMatch(/^User=probewatch$/m);
    expect(unit).toMatch(/^CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN$/m);
    expect(unit).toMatch(/^AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN$/m);
    for (const d of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'KillSignal=SIGTERM', 'ExecReload=/bin/kill -HUP $MAINPID']) expect(unit).toContain(d);
  });

  it('passes systemd-analyze verify and keeps a low exposure score', () => {
    const probe = spawnSync('systemd-analyze', ['--version']);
    if (probe.error) {
      process.stderr.write('SKIPPED: systemd-analyze not installed (apt-get install systemd); the unit was not verified\n');
      return;
    }
    const dir = tmp();
    // verify needs an existing ExecStart binary: point it at env(1), the unit is otherwise unchanged
    const file = join(dir, 'probewatch.service');
    writeFileSync(file, unit.replace(/^ExecStart=.*$/m, 'ExecStart=/usr/bin/env probewatch serve'));
    const v = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(0);
    const s = spawnSync('systemd-analyze', ['security', '--offline=yes', '--threshold=30', file], { encoding: 'utf8' });
    expect(s.status, s.stdout + s.stderr).toBe(0);
    const score = Number(/Overall exposure level for .*: ([\d.]+)/.exec(s.stdout)?.[1]);
    expect(score).toBeLessThan(3);
  });
});
