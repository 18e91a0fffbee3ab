// Alert sinks end to end through ResponseService: syslog to a datagram socket (psad's lines, parsed the way the
// OSSEC/Wazuh psad decoders parse them) and RFC 5424 over TCP, email to a fake SMTP server (limits and throttles),
// webhooks to a receiver (HMAC signature, retries, bounded queue).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { createResponseService } from '../../src/respond/create.ts';
import type { ResponseService } from '../../src/respond/response-service.ts';
import { TcpSyslogSink, rfc5424Frame } from '../../src/respond/syslog-sink.ts';
import { WebhookSink, webhookSignature } from '../../src/respond/webhook-sink.ts';
import { notice } from './helpers/notices.ts';
import { FakeDevLog, FakeSmtp, FakeSyslogTcp, FakeWebhook, until } from './helpers/servers.ts';
import { TestStore } from './helpers/store.ts';

const smtp = new FakeSmtp();
const hook = new FakeWebhook();
const devlog = new FakeDevLog();
const dir = mkdtempSync(join(tmpdir(), 'pwrsp-sinks-'));
const stores: TestStore[] = [];
beforeAll(async () => {
  await smtp.start();
  await hook.start();
  devlog.start(join(dir, 'log.sock'));
});
afterAll(async () => {
  devlog.stop();
  await smtp.stop();
  await hook.stop();
  for (const s of stores) s.remove();
  rmSync(dir, { recursive: true, force: true });
});

function respondCfg(over: Partial<Config['respond']>): Config['respond'] {
  return {
    ...loadConfig({ env: {} }).config.respond,
    blockBackend: 'none', syslogTarget: `unix:${join(dir, 'log.sock')}`, smtpHost: '127.0.0.1', smtpPort: smtp.port,
    emailAddresses: ['soc@example.org', 'root@example.org'], webhookUrl: hook.url, webhookSecret: 's3cret', webhookBackoff: 0.02, hostname: 'sensor1',
    ...over,
  };
}

async function service(over: Partial<Config['respond']> = {}): Promise<ResponseService> {
  const st = new TestStore();
  stores.push(st);
  return createResponseService(respondCfg(over), { blocks: st.blocks, log: st.log });
}

// the OSSEC/Wazuh psad decoder (ossec-hids PR #1253), in JavaScript syntax: program psad, then these regexes
const OSSEC_SCAN = /^scan detected .* (\S+) -> (\S+) .+ DL: (\d)/;
const OSSEC_SIG = /src: (\S+) signature match: .+ port: (\d+)/;

describe('syslog', () => {
  it('writes psad\'s lines to the local datagram socket in glibc syslog(3) format, as psad did', async () => {
    devlog.lines.length = 0;
    const svc = await service();
    const n = notice('198.51.100.7', 3);
    n.destinations[0]!.signatures = [{ sid: 100205, msg: 'MISC Microsoft SQL Server communication attempt', proto: 'tcp', dport: 1433, flags: 'SYN', chain: 'INPUT', packets: 2, psadId: true, fwsnort: false }];
    await svc.handle(n);
    await until(() => devlog.lines.length >= 2);
    expect(devlog.lines[0]).toMatch(/^<190>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d psad: src: 198\.51\.100\.7 signature match: "MISC Microsoft SQL Server communication attempt" \(sid: 100205\) tcp port: 1433$/);
    expect(devlog.lines[1]).toMatch(/ psad: scan detected \(Nmap -sT or -sS scan\): 198\.51\.100\.7 -> 192\.0\.2\.10 tcp: \[1000-1500\] flags: SYN tcp pkts: 501 DL: 3 total scan dsts: 1$/);
    const msg = (l: string): string => l.replace(/^<\d+>\S+ +\d+ \S+ psad: /, '');
    expect(OSSEC_SCAN.exec(msg(devlog.lines[1]!))?.slice(1)).toEqual(['198.51.100.7', '192.0.2.10', '3']);
    expect(OSSEC_SIG.exec(msg(devlog.lines[0]!))?.slice(1)).toEqual(['198.51.100.7', '1433']);
    await svc.stop();
  });

  it('sends RFC 5424 frames with octet counting over TCP, queueing until the receiver is up', async () => {
    const rx = new FakeSyslogTcp();
    await rx.start();
    const port = rx.port;
    await rx.stop();
    const sink = new TcpSyslogSink({ host: '127.0.0.1', port, pri: 190, app: 'psad', hostname: 'sensor1', maxQueue: 100 });
    sink.send(['scan detected (Nmap -sT or -sS scan): 198.51.100.7 -> 192.0.2.10 tcp: [22] flags: SYN tcp pkts: 1 DL: 1 total scan dsts: 1', 'naïve ünïcode line']);
    await new Promise((r) => setTimeout(r, 200));
    const rx2 = new FakeSyslogTcp();
    await rx2.start(port);
    await until(() => rx2.frames.length === 2, 8000);
    expect(rx2.frames[0]).toMatch(/^<190>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z sensor1 psad \d+ scan - scan detected \(Nmap -sT or -sS scan\): 198\.51\.100\.7 -> 192\.0\.2\.10 /);
    expect(rx2.frames[1]).toMatch(/ status - naïve ünïcode line$/);
    await sink.close();
    await rx2.stop();
    // the frame length counts bytes, not characters
    const f = rfc5424Frame(190, { host: 'h', app: 'a', procId: '1', msgId: 'm' }, 'é', 0);
    expect(Number(f.toString('utf8').split(' ')[0])).toBe(f.length - f.indexOf(0x20) - 1);
  }, 15_000);
});

describe('email', () => {
  it('sends psad\'s alert to every address, with danger level, ports, flags, chains, OS guess, geo and whois', async () => {
    smtp.mails.length = 0;
    const svc = await service({ mailAlertPrefix: '[psad-alert]' });
    const n = notice('198.51.100.7', 3, ['192.0.2.10'], 2, {
      context: { os: ['Linux:3.11 and newer'], geo: { country: 'NL', city: 'Amsterdam', asn: 64500, org: 'Example Hosting' }, whois: 'netname: EXAMPLE-NET\ncountry: NL\n' },
    });
    await svc.handle(n);
    expect(smtp.mails).toHaveLength(1);
    const m = smtp.mails[0]!;
    expect(m.to.sort()).toEqual(['root@example.org', 'soc@example.org']);
    expect(m.subject).toBe('[psad-alert] DL3 src: 198.51.100.7 dst: 192.0.2.10');
    for (const s of ['         Danger level: [3] (out of 5)', '    Scanned TCP ports: [1000-1500: 501 packets]', '            TCP flags: [SYN: 501 packets, Nmap: -sT or -sS]',
      '       iptables chain: INPUT (prefix "DROP"), 501 packets', '             OS guess: Linux:3.11 and newer', '                  Geo: NL, Amsterdam (AS64500 Example Hosting)',
      '   Total email alerts: 1', '[+] Whois Information (source IP):', 'netname: EXAMPLE-NET']) {
      expect(m.data).toContain(s);
    }
    await svc.stop();
  });

  it('holds EMAIL_LIMIT (one status mail, then silence) and EMAIL_THROTTLE, while syslog keeps every alert', async () => {
    smtp.mails.length = 0;
    devlog.lines.length = 0;
    const svc = await service({ emailLimit: 2, webhookUrl: '' });
    for (let i = 0; i < 5; i++) await svc.handle(notice('198.51.100.7', 2));
    expect(smtp.mails.map((m) => m.subject)).toEqual([
      '[probewatch-alert] DL2 src: 198.51.100.7 dst: 192.0.2.10', '[probewatch-alert] DL2 src: 198.51.100.7 dst: 192.0.2.10',
      '[probewatch-status] reached email message limit for 198.51.100.7 on sensor1',
    ]);
    await until(() => devlog.lines.length >= 8);
    expect(devlog.lines.filter((l) => l.includes('scan detected'))).toHaveLength(5);
    expect(devlog.lines.filter((l) => l.includes('email limit reached for src: 198.51.100.7'))).toHaveLength(3);
    await svc.stop();

    smtp.mails.length = 0;
    const thr = await service({ emailThrottle: 3, webhookUrl: '' });
    for (let i = 0; i < 7; i++) await thr.handle(notice('203.0.113.9', 2));
    expect(smtp.mails.map((m) => /Total email alerts: (\d+)/.exec(m.data)?.[1])).toEqual(['1', '4', '7']);
    await thr.stop();
  });

  it('ALERTING_METHODS noemail switches email off, nosyslog syslog', async () => {
    smtp.mails.length = 0;
    devlog.lines.length = 0;
    const svc = await service({ alertingMethods: 'noemail,nosyslog', webhookUrl: '' });
    await svc.handle(notice('198.51.100.7', 5));
    await new Promise((r) => setTimeout(r, 100));
    expect(smtp.mails).toHaveLength(0);
    expect(devlog.lines).toHaveLength(0);
    await svc.stop();
  });
});

describe('webhook', () => {
  it('POSTs signed JSON and retries through failures', async () => {
    hook.requests.length = 0;
    hook.failNext = 2;
    const svc = await service({ emailAddresses: [], syslogTarget: '' });
    await svc.handle(notice('198.51.100.7', 4, ['192.0.2.10', '192.0.2.11'], 3));
    expect(hook.requests.map((r) => r.status)).toEqual([503, 503, 204]);
    const ok = hook.requests[2]!;
    const ts = Number(ok.headers['x-probewatch-timestamp']);
    expect(ok.headers['x-probewatch-signature']).toBe(webhookSignature('s3cret', ts, ok.body));
    expect(ok.headers['x-probewatch-delivery']).toBe(hook.requests[0]!.headers['x-probewatch-delivery']);
    const doc = JSON.parse(ok.body) as { type: string; source: { ip: string; dangerLevel: number; levelChanged: boolean }; destinations: { ip: string; syslog: string }[] };
    expect(doc).toMatchObject({ type: 'alert', source: { ip: '198.51.100.7', dangerLevel: 4, levelChanged: true } });
    expect(doc.destinations.map((d) => d.ip)).toEqual(['192.0.2.10', '192.0.2.11']);
    expect(doc.destinations[0]!.syslog).toContain('DL: 4 total scan dsts: 2');
    await svc.stop();
  });

  it('drops the oldest deliveries beyond the queue bound instead of growing', async () => {
    hook.requests.length = 0;
    hook.failNext = 1000;
    const sink = new WebhookSink({ url: hook.url, secret: '', retries: 2, backoff: 0.05, timeout: 2, maxQueue: 2 });
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => sink.send('alert', { i })));
    expect(sink.dropped).toBe(2);
    expect(results.filter((r) => r.error === 'dropped: webhook queue full')).toHaveLength(2);
    expect(results.filter((r) => r.attempts === 3 && r.status === 503)).toHaveLength(3);
    expect(hook.requests).toHaveLength(9);
    hook.failNext = 0;
    await sink.close();
  }, 15_000);
});
