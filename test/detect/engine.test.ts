// The detector in psad compatibility: psad.md's verified danger-level table, filters, signatures, auto_dl, invalid ICMP,
// labels, daemon intervals and timeouts, bounded pairs.
import { describe, expect, it } from 'vitest';
import { TcpFlag } from '../../src/domain/events.ts';
import { Detector } from '../../src/detect/engine.ts';
import { MemoryDirectory } from '../../src/detect/memory-directory.ts';
import { detector, ev, ports, rules, run, T0, text } from './helpers.ts';

const compat = rules({ compat: true });

describe('danger levels (psad -A, verified against psad 2.4.6 in psad.md §2)', () => {
  const table: [string, () => ReturnType<typeof ev>[], number][] = [
    ['4 SYN to 4 ports', () => ports('198.51.100.1', 4), 0],
    ['5 SYN to 1 port', () => Array.from({ length: 5 }, () => ev({ src: '198.51.100.2' })), 0],
    ['5 SYN to 2 ports', () => [...ports('198.51.100.3', 4), ev({ src: '198.51.100.3', dport: 40000 })], 1],
    ['1 SYN each to 10 hosts, same port', () => Array.from({ length: 10 }, (_, i) => ev({ src: '198.51.100.4', dst: `203.0.113.${i + 1}` })), 1],
    ['1 SYN each to 25 hosts', () => Array.from({ length: 25 }, (_, i) => ev({ src: '198.51.100.5', dst: `203.0.113.${i + 1}` })), 2],
    ['150 ports', () => ports('198.51.100.6', 150), 3],
    ['1500 ports', () => ports('198.51.100.7', 1500), 4],
    ['5 IP protocols', () => [47, 50, 51, 132, 2].map((proto) => ev({ src: '198.51.100.8', proto, flags: undefined, sport: undefined, dport: undefined, window: undefined })), 1],
    ['1 SYN to 1433 (signature)', () => [ev({ src: '198.51.100.9', dport: 1433 })], 2],
    ['2 packets to each of 5 hosts', () => Array.from({ length: 10 }, (_, i) => ev({ src: '198.51.100.10', dst: `203.0.113.${(i % 5) + 1}` })), 0],
    ['5 ICMP echo requests reach DL1 (range = packets)', () => Array.from({ length: 5 }, () => ev({ src: '198.51.100.11', proto: 1, flags: undefined, sport: undefined, dport: undefined, icmpType: 8, icmpCode: 0, icmpId: 1, icmpSeq: 1 })), 2],
  ];
  it.each(table)('%s', (_name, make, want) => {
    const events = make();
    const got = run(compat, events);
    const src = events[0]!.src;
    expect(got.get(src)).toBe(want);
  });

  it('raises to DL5 with 10000 packets or 500 hosts', () => {
    expect(run(compat, ports('198.51.100.20', 10000, 40000).map((e, i) => ({ ...e, dport: 40000 + (i % 2000) }))).get('198.51.100.20')).toBe(5);
    const hosts = Array.from({ length: 500 }, (_, i) => ev({ src: '198.51.100.21', dst: `10.0.${Math.floor(i / 250)}.${i % 250}` }));
    expect(run(compat, hosts).get('198.51.100.21')).toBe(5);
  });
});

describe('filters', () => {
  it('ignores ACK/RST (conntrack), ports, protocols, interfaces, prefixes, IPv6 as configured', () => {
    const r = rules({ compat: true, ignorePorts: ['tcp/41000-41999', 'udp/53'], ignoreProtocols: ['icmp'], ignoreInterfaces: ['eth1'], ignoreLogPrefixes: '^ACCEPT', enableIpv6Detection: false });
    const { d } = detector(r);
    expect(d.ingest(ev({ flags: TcpFlag.ACK }))).toBe('conntrack');
    expect(d.ingest(ev({ flags: TcpFlag.RST | TcpFlag.ACK }))).toBe('conntrack');
    expect(d.ingest(ev({ dport: 41500 }))).toBe('port');
    expect(d.ingest(ev({ proto: 17, flags: undefined, dport: 53 }))).toBe('port');
    expect(d.ingest(ev({ proto: 1, flags: undefined, dport: undefined, icmpType: 3, icmpCode: 3 }))).toBe('protocol');
    expect(d.ingest(ev({ inIf: 'eth1' }))).toBe('interface');
    expect(d.ingest(ev({ prefix: 'ACCEPT in' }))).toBe('log-prefix');
    expect(d.ingest(ev({ src: '2001:db8::5' }))).toBe('ipv6-disabled');
    expect(d.ingest(ev({ dport: 42000 }))).toBe('counted');
    expect(d.totals.counted).toBe(1);
    expect(d.totals.skipped.get('conntrack')).toBe(2);
  });

  it('FW_SEARCH_ALL N keeps only lines matching FW_MSG_SEARCH (or carrying a fwsnort SID)', () => {
    const r = rules({ compat: true, fwSearchAll: false, fwMsgSearch: ['DROP'] });
    const { d } = detector(r);
    expect(d.ingest(ev(), 'kernel: DROP IN=eth0 OUT=')).toBe('counted');
    expect(d.ingest(ev({ prefix: 'REJECT' }), 'kernel: REJECT IN=eth0 OUT=')).toBe('fw-search');
    expect(d.ingest(ev({ prefix: 'SID2003 ' }), 'kernel: SID2003 IN=eth0 OUT=')).toBe('counted');
  });

  it('MAX_SCAN_IP_PAIRS stops new pairs but keeps counting known ones', () => {
    const { d } = detector(rules({ compat: true, maxScanIpPairs: 2 }));
    expect(d.ingest(ev({ dst: '203.0.113.1' }))).toBe('counted');
    expect(d.ingest(ev({ dst: '203.0.113.2' }))).toBe('counted');
    expect(d.ingest(ev({ dst: '203.0.113.3' }))).toBe('max-pairs');
    expect(d.ingest(ev({ dst: '203.0.113.1', dport: 40001 }))).toBe('counted');
  });

  it('gives every source with a counted packet a profile, even at level 0', () => {
    const { d, dir } = detector(compat);
    d.ingest(ev({ src: '192.0.2.200' }));
    d.finish();
    expect(dir.get('192.0.2.200')?.dl).toBe(0);
    expect(dir.get('192.0.2.200')?.packets).toBe(1);
  });
});

describe('auto_dl, invalid ICMP, signatures, snort_rule_dl', () => {
  it('auto_dl forces a level or ignores a source, by network, protocol and port', () => {
    const r = rules({ compat: true }, {
      autoDl: text('auto_dl', '192.0.2.5 5;\n192.0.2.0/28 3 tcp/40000-40010;\n198.51.100.0/255.255.255.0 0;\n2001:DB8::/32 4 udp;\nbad line\n'),
    });
    expect(r.warnings.some((w) => w.includes('line 5'))).toBe(true);
    const got = run(r, [
      ev({ src: '192.0.2.5' }), ev({ src: '192.0.2.6', dport: 40005 }), ev({ src: '192.0.2.7', dport: 41000 }),
      ev({ src: '198.51.100.7' }), ev({ src: '2001:db8::9', proto: 17, flags: undefined }), ev({ src: '2001:db8::10' }),
    ]);
    expect(Object.fromEntries(got)).toEqual({ '192.0.2.5': 5, '192.0.2.6': 3, '192.0.2.7': 0, '2001:db8::9': 4, '2001:db8::10': 0 });
  });

  it('invalid ICMP type or code raises the source to 2; valid ones do not', () => {
    const icmp = (src: string, icmpType: number, icmpCode: number, proto = 1) => ev({
      src, proto, flags: undefined, sport: undefined, dport: undefined, icmpType, icmpCode, icmpId: 7, icmpSeq: 1,
    });
    // without signatures, so only the type/code check can raise a level
    const noSigs = rules({ compat: true }, { signatures: text('signatures', '') });
    const got = run(noSigs, [icmp('192.0.2.1', 8, 2), icmp('192.0.2.2', 37, 0), icmp('192.0.2.3', 3, 3),
      icmp('2001:db8::1', 135, 22, 58), icmp('2001:db8::2', 135, 0, 58)]);
    expect(Object.fromEntries(got)).toEqual({ '192.0.2.1': 2, '192.0.2.2': 2, '192.0.2.3': 0, '2001:db8::1': 2, '2001:db8::2': 0 });
  });

  it('records signature hits per source with the rule level, and snort_rule_dl overrides or silences rules', () => {
    const { d, dir } = detector(rules({ compat: true }, { snortRuleDl: text('snort_rule_dl', '100205 4\n1421 0\n') }));
    expect(d.ingest(ev({ src: '192.0.2.1', dport: 1433 }))).toBe('counted');
    expect(d.ingest(ev({ src: '192.0.2.2', dport: 705 }))).toBe('signature-dl0');
    d.finish();
    const s = dir.get('192.0.2.1')!;
    expect(s.dl).toBe(4);
    expect([...s.sigs.values()].map((h) => [h.sid, h.msg, h.count])).toEqual([[100205, 'MISC Microsoft SQL Server communication attempt', 1]]);
    expect(s.history.at(-1)).toMatchObject({ level: 4, reason: 'signature' });
    expect(dir.get('192.0.2.2')).toBeUndefined();
  });

  it('fwsnort SIDs count with the rule from the rules files at level 2', () => {
    const r = rules({ compat: true }, { fwsnortRules: [text('web.rules', 'alert tcp any any -> any 80 (msg:"WEB thing"; content:"x"; sid:2003; classtype:web-application-attack;)\n')] });
    const { d, dir } = detector(r);
    d.ingest(ev({ src: '192.0.2.1', prefix: 'SID2003 ESTAB', dport: 80 }));
    d.ingest(ev({ src: '192.0.2.2', prefix: 'SID9999', dport: 80 }));
    d.finish();
    expect(dir.get('192.0.2.1')?.dl).toBe(2);
    expect([...dir.get('192.0.2.1')!.sigs.values()][0]).toMatchObject({ sid: 2003, msg: 'WEB thing', fwsnort: true });
    expect(dir.get('192.0.2.2')?.dl).toBe(0);
  });
});

describe('scan types', () => {
  it('labels nmap scans by flags, UDP and protocol scans, Mirai, Masscan and Topera', () => {
    const { d, dir } = detector(compat);
    const all = [
      ...ports('192.0.2.1', 20, 40000, { flags: TcpFlag.FIN }),
      ...ports('192.0.2.2', 20, 40000, { flags: TcpFlag.URG | TcpFlag.PSH | TcpFlag.FIN }),
      ...ports('192.0.2.3', 20, 40000, { flags: 0 }),
      ...ports('192.0.2.4', 20, 40000, { proto: 17, flags: undefined }),
      ...Array.from({ length: 10 }, () => ev({ src: '192.0.2.5', dport: 23 })), ev({ src: '192.0.2.5', dport: 2323 }),
      ...ports('2001:db8::7', 20, 40000, { ipOptGroups: 9 }),
      ev({ src: '192.0.2.8', tcpOptions: '020405B4' }), ...ports('192.0.2.8', 10, 41000),
    ];
    for (const e of all) d.ingest(e);
    d.finish();
    const labels = (ip: string) => [...dir.get(ip)!.pairs.values()].flatMap((p) => p.scanTypes);
    expect(labels('192.0.2.1')).toEqual(['Nmap -sF scan']);
    expect(labels('192.0.2.2')).toEqual(['Nmap -sX scan']);
    expect(labels('192.0.2.3')).toEqual(['Nmap -sN scan']);
    expect(labels('192.0.2.4')).toEqual(['Nmap -sU scan']);
    expect(labels('192.0.2.5')).toEqual(['Mirai botnet default credentials scan']);
    expect(labels('2001:db8::7')).toEqual(['Topera SYN scan']);
    expect(labels('192.0.2.8')).toEqual(['Masscan SYN scan']);
  });
});

describe('Mirai', () => {
  it("counts a known source's SYNs to tcp/23 before auto_dl can skip them, as psad does", () => {
    // 192.0.2.6's packets to tcp/23 are ignored (auto_dl 0 with a port: own mode honours it, where psad ignores the
    // whole source), yet they make its SYN to tcp/2323 a Mirai scan
    const { d, dir } = detector(rules({ compat: false }, { autoDl: text('auto_dl', '192.0.2.6 0 tcp/23;\n') }), 'timed');
    // known, and at level 1 by the end (labels are given from level 1)
    for (const e of ports('192.0.2.6', 6, 40000)) d.ingest(e);
    for (let i = 0; i < 10; i++) d.ingest(ev({ src: '192.0.2.6', dport: 23 }));
    d.ingest(ev({ src: '192.0.2.6', dport: 2323 }));
    // nine are not enough
    for (const e of ports('192.0.2.7', 6, 40000)) d.ingest(e);
    for (let i = 0; i < 9; i++) d.ingest(ev({ src: '192.0.2.7', dport: 23 }));
    d.ingest(ev({ src: '192.0.2.7', dport: 2323 }));
    d.finish();
    expect(d.totals.skipped.get('auto-dl')).toBe(10);
    const labels = (ip: string) => [...dir.get(ip)!.pairs.values()].flatMap((p) => p.scanTypes);
    expect(labels('192.0.2.6')).toContain('Mirai botnet default credentials scan');
    expect(labels('192.0.2.7')).not.toContain('Mirai botnet default credentials scan');
    expect(dir.get('192.0.2.7')!.mirai).toEqual({ '203.0.113.1': 9 });
  });
});

describe('daemon semantics by event time (follow)', () => {
  const daemon = rules({ compat: true });
  it('assigns levels per CHECK_INTERVAL and counts destinations per interval only (psad)', () => {
    const { d, dir } = detector(daemon, 'timed');
    // a slow sweep: one host per minute, 30 hosts, same port
    for (let i = 0; i < 30; i++) d.ingest(ev({ src: '192.0.2.1', dst: `203.0.113.${i + 1}`, time: T0 + i * 60_000 }));
    d.finish();
    expect(dir.get('192.0.2.1')?.dl).toBe(0);
  });

  it('times pairs out SCAN_TIMEOUT after their first packet, keeping the level', () => {
    const { d, dir } = detector(daemon, 'timed');
    for (let i = 0; i < 10; i++) d.ingest(ev({ src: '192.0.2.1', dport: 40000 + i, time: T0 + i * 1000 }));
    d.ingest(ev({ src: '192.0.2.1', dport: 40100, time: T0 + 3_700_000 }));
    d.finish();
    const s = dir.get('192.0.2.1')!;
    expect(s.dl).toBe(1);
    const pair = s.pairs.get('203.0.113.1')!;
    expect(pair.absnum).toBe(1);
    expect(pair.packets).toBe(11);
  });

  it('reports level changes with the interval they happened in', () => {
    const { d } = detector(daemon, 'timed');
    const results: number[] = [];
    for (const e of ports('192.0.2.1', 5, 40000, { time: T0 })) d.ingest(e);
    d.ingest(ev({ src: '192.0.2.9', time: T0 + 10_000 }), undefined, (r) => results.push(...r.changes.map((c) => c.change.level)));
    expect(results).toEqual([1]);
  });

  it('without change lists (analyze), gives the same levels and histories and lists no changes', () => {
    const events = [...ports('192.0.2.1', 1500, 40000, { time: T0 }), ev({ src: '192.0.2.2', dport: 1433, time: T0 + 1000 }),
      ...Array.from({ length: 25 }, (_, i) => ev({ src: '192.0.2.3', dst: `203.0.113.${i + 1}`, time: T0 + 2000 }))];
    const listed = detector(compat);
    const dir = new MemoryDirectory();
    const quiet = new Detector(compat, dir, 'single', undefined, { changes: false });
    for (const e of events) {
      listed.d.ingest(e);
      quiet.ingest(e);
    }
    const a = listed.d.finish()!;
    const b = quiet.finish()!;
    expect(a.changes.length).toBeGreaterThan(3);
    expect(b.changes).toEqual([]);
    for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) {
      expect(dir.get(ip)!.history).toEqual(listed.src(ip)!.history);
      expect(dir.get(ip)!.dl).toBe(listed.src(ip)!.dl);
    }
    expect(a.changes.map((c) => c.change)).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3'].flatMap((ip) => listed.src(ip)!.history));
  });
});
