// Every deviation of probewatch's own mode from psad 2.4.6 (docs/detect.md), shown on the same input in both modes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importPsadConf } from '../../src/config/psad-conf.ts';
import { TcpFlag } from '../../src/domain/events.ts';
import { detector, ev, ports, rules, run, T0, text } from './helpers.ts';

const both = (opts: Parameters<typeof rules>[0] = {}, data: Parameters<typeof rules>[1] = {}) => ({
  psad: rules({ ...opts, compat: true }, data),
  own: rules({ ...opts, compat: false }, data),
});

const labels = (r: ReturnType<typeof rules>, events: ReturnType<typeof ev>[], ip: string, mode: 'single' | 'timed' = 'single'): string[] => {
  const { d, dir } = detector(r, mode);
  for (const e of events) d.ingest(e);
  d.finish();
  return [...(dir.get(ip)?.pairs.values() ?? [])].flatMap((p) => p.scanTypes).sort();
};

describe('deviations of probewatch own mode (docs/detect.md)', () => {
  it('D1: the interval signature level is the highest, not the last matching packet', () => {
    // SCAN FIN (sid 621) raised to 5 by snort_rule_dl, then XMAS packets (sid 1228, level 2) last
    const m = both({}, { snortRuleDl: text('snort_rule_dl', '621 5\n') });
    const events = [...ports('192.0.2.1', 3, 40000, { flags: TcpFlag.FIN }), ...ports('192.0.2.1', 2, 40010, { flags: TcpFlag.URG | TcpFlag.PSH | TcpFlag.FIN })];
    expect(run(m.psad, events).get('192.0.2.1')).toBe(2);
    expect(run(m.own, events).get('192.0.2.1')).toBe(5);
  });

  it('D2: port sweeps are shown', () => {
    const m = both();
    const sweep = Array.from({ length: 12 }, (_, i) => ev({ src: '192.0.2.2', dst: `203.0.113.${i + 1}`, dport: 41083 }));
    expect(labels(m.psad, sweep, '192.0.2.2')).not.toContain('Port sweep SYN scan');
    expect(labels(m.own, sweep, '192.0.2.2')).toContain('Port sweep SYN scan');
  });

  it('D3: DL1_UNIQUE_HOSTS 0 disables sweep criteria instead of making every source DL1', () => {
    const m = both({ uniqueHosts: [0, 20, 50, 100, 500] });
    const events = ports('192.0.2.3', 4);
    expect(run(m.psad, events).get('192.0.2.3')).toBe(1);
    expect(run(m.own, events).get('192.0.2.3')).toBe(0);
  });

  it('D4: slow sweeps add up over intervals', () => {
    const m = both();
    const slow = Array.from({ length: 25 }, (_, i) => ev({ src: '192.0.2.4', dst: `203.0.113.${i + 1}`, time: T0 + i * 30_000 }));
    expect(run(m.psad, slow, 'timed').get('192.0.2.4')).toBe(0);
    expect(run(m.own, slow, 'timed').get('192.0.2.4')).toBe(2);
  });

  it('D5: IP-level signature keywords and "ip" rules apply to IPv6', () => {
    const m = both();
    // "BAD-TRAFFIC same SRC/DST" (ip rule, sameip) and "SCAN myscan" (sport 10101, ttl > 220)
    const same = [ev({ src: '2001:db8::5', dst: '2001:db8::5' })];
    expect(run(m.psad, same).get('2001:db8::5')).toBe(0);
    expect(run(m.own, same).get('2001:db8::5')).toBe(2);
    const myscan = [ev({ src: '2001:db8::6', sport: 10101, ttl: 64 })];
    expect(run(m.psad, myscan).get('2001:db8::6')).toBe(2);
    expect(run(m.own, myscan).get('2001:db8::6')).toBe(0);
  });

  it('D6: Masscan needs options from the same sender, not from anyone', () => {
    const m = both();
    const events = [ev({ src: '192.0.2.60', tcpOptions: '020405B4' }), ...ports('192.0.2.6', 10)];
    expect(labels(m.psad, events, '192.0.2.6')).toEqual(['Masscan SYN scan']);
    expect(labels(m.own, events, '192.0.2.6')).toEqual(['Nmap -sT or -sS scan']);
  });

  it('D7: year inference is the parser\'s (no 356-day subtraction in own mode)', async () => {
    const { FirewallLineParser } = await import('../../src/logs/parse-line.ts');
    const now = Date.UTC(2026, 0, 10);
    const line = 'Dec 31 23:00:00 h kernel: DROP IN=eth0 OUT= SRC=192.0.2.7 DST=203.0.113.1 LEN=40 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=1 DPT=2 WINDOW=1 RES=0x00 SYN URGP=0';
    const own = new FirewallLineParser({ now: () => now, timezone: 'UTC' }).parse(line);
    const psad = new FirewallLineParser({ now: () => now, psadCompat: true }).parse(line);
    expect(own.kind === 'packet' && new Date(own.event.time).toISOString()).toBe('2025-12-31T23:00:00.000Z');
    expect(psad.kind === 'packet' && new Date(psad.event.time).toISOString()).toBe('2026-01-09T23:00:00.000Z');
  });

  it('D8: flags:0 matches NULL packets (SCAN NULL) and Snort flag modifiers work', () => {
    const m = both();
    const nulls = ports('192.0.2.8', 2, 40000, { flags: 0 });
    expect(run(m.psad, nulls).get('192.0.2.8')).toBe(0);
    expect(run(m.own, nulls).get('192.0.2.8')).toBe(2);
    const plus = both({}, { signatures: text('signatures', 'alert tcp any any -> any 41234 (msg:"X"; flags:S+; psad_id:1; psad_dl:3;)\n') });
    const synAck = [ev({ src: '192.0.2.80', dport: 41234, flags: TcpFlag.SYN | TcpFlag.ECE })];
    expect(run(plus.psad, synAck).get('192.0.2.80')).toBe(0);
    expect(run(plus.own, synAck).get('192.0.2.80')).toBe(3);
  });

  it('D9: ICMP echo id and sequence are read from ID and SEQ', () => {
    // "ICMP Broadscan Smurf Scanner" (sid 478): echo request, icmp_id 0, icmp_seq 0, dsize 4
    const m = both();
    const echo = (len: number, icmpSeq: number) => ev({
      src: '192.0.2.9', proto: 1, flags: undefined, sport: undefined, dport: undefined, len, icmpType: 8, icmpCode: 0, icmpId: 0, icmpSeq,
    });
    const sids = (r: ReturnType<typeof rules>, e: ReturnType<typeof ev>) => {
      const { d, dir } = detector(r);
      d.ingest(e);
      return [...dir.get('192.0.2.9')!.sigs.keys()];
    };
    // psad compares CODE (0) as icmp_id and ID (0) as icmp_seq, so SEQ=5 does not matter (and its dsize is LEN-24)
    expect(sids(m.psad, echo(28, 5))).toContain(478);
    // own mode: icmp_seq is SEQ, and dsize is LEN - 20 - 8
    expect(sids(m.own, echo(32, 5))).not.toContain(478);
    expect(sids(m.own, echo(32, 0))).toContain(478);
  });

  it('D10: protocols are counted once each, not once per ICMP packet', () => {
    const m = both({ protocolScanThreshold: 3 });
    const events = Array.from({ length: 3 }, () => ev({ src: '192.0.2.10', proto: 47, flags: undefined, sport: undefined, dport: undefined }));
    const tot = (r: ReturnType<typeof rules>) => {
      const { d, dir } = detector(r);
      for (const e of events) d.ingest(e);
      return dir.get('192.0.2.10')!.pairs.get('203.0.113.1')!;
    };
    expect(tot(m.psad).totProtocols).toBe(3);
    expect(tot(m.own).wprotos).toEqual(['47']);
    expect(run(m.psad, events).get('192.0.2.10')).toBe(0);
  });

  it('D11: port 0 matches "any", open ranges are not capped at psad\'s widths', () => {
    const sig = 'alert udp any any -> any any (msg:"big"; psad_dsize:>2000; psad_id:1; psad_dl:3;)\nalert tcp any any -> any any (msg:"zero"; flags:S; psad_id:2; psad_dl:4;)\n';
    const m = both({}, { signatures: text('signatures', sig) });
    const big = [ev({ src: '192.0.2.11', proto: 17, flags: undefined, udpLen: 3008, dport: 41000 })];
    expect(run(m.psad, big).get('192.0.2.11')).toBe(0);
    expect(run(m.own, big).get('192.0.2.11')).toBe(3);
    const zero = [ev({ src: '192.0.2.12', dport: 0 })];
    expect(run(m.psad, zero).get('192.0.2.12')).toBe(0);
    expect(run(m.own, zero).get('192.0.2.12')).toBe(4);
  });

  it('D12: an auto_dl ignore entry honours its protocol; the most specific entry wins', () => {
    const m = both({}, { autoDl: text('auto_dl', '192.0.2.0/24 0 udp;\n192.0.2.13 4;\n') });
    expect(run(m.psad, [ev({ src: '192.0.2.14' })]).get('192.0.2.14')).toBeUndefined();
    expect(run(m.own, [ev({ src: '192.0.2.14' })]).get('192.0.2.14')).toBe(0);
    expect(run(m.own, [ev({ src: '192.0.2.13', proto: 17, flags: undefined })]).get('192.0.2.13')).toBe(4);
  });

  it('D13: a fwsnort SID without a rule file is still a hit', () => {
    const m = both();
    const e = [ev({ src: '192.0.2.15', prefix: 'SID2003 ESTAB' })];
    expect(run(m.psad, e).get('192.0.2.15')).toBe(0);
    expect(run(m.own, e).get('192.0.2.15')).toBe(2);
  });

  it('D14: own-mode analyze applies SCAN_TIMEOUT by event time (like follow); psad -A is one interval', () => {
    const m = both();
    const spread = [...ports('192.0.2.16', 10, 40000, { time: T0 }), ...ports('192.0.2.16', 10, 41000, { time: T0 + 7_200_000 })];
    expect(run(m.psad, spread, 'single').get('192.0.2.16')).toBe(2);
    expect(run(m.own, spread, 'timed').get('192.0.2.16')).toBe(1);
  });

  it('D15: SCAN_TIMEOUT counts from the last packet, not the first', () => {
    const m = both();
    // one packet a minute for 70 minutes: psad restarts the counters after an hour, own mode keeps the scan open
    const steady = Array.from({ length: 70 }, (_, i) => ev({ src: '192.0.2.17', dport: 40000 + i, time: T0 + i * 60_000 }));
    const absnum = (r: ReturnType<typeof rules>) => {
      const { d, dir } = detector(r, 'timed');
      for (const e of steady) d.ingest(e);
      d.finish();
      return dir.get('192.0.2.17')!.pairs.get('203.0.113.1')!.absnum;
    };
    expect(absnum(m.psad)).toBeLessThan(70);
    expect(absnum(m.own)).toBe(70);
  });

  it('D16: a line matching several FW_MSG_SEARCH patterns is analysed once', async () => {
    const { analysisCopies } = await import('../../src/detect/rules.ts');
    const m = both({ fwSearchAll: false, fwMsgSearch: ['DROP', 'DPT=4'] });
    const line = 'kernel: DROP IN=eth0 OUT= SRC=192.0.2.18 DST=203.0.113.1 PROTO=TCP SPT=1 DPT=40000';
    expect(analysisCopies(m.psad, line)).toBe(2);
    // the runner only duplicates in compatibility mode (src/cli/analysis.ts); the own-mode detector takes each line once
    expect(analysisCopies(m.psad, 'kernel: SID12 IN=eth0 OUT= DPT=40000')).toBe(1);
    expect(analysisCopies(m.psad, 'kernel: ACCEPT IN=eth0 OUT= DPT=1')).toBe(0);
  });

  it('D17: labels use every packet: Mirai stays, ACK scans are named', () => {
    const m = both({ ignoreConntrackBugPkts: false });
    const mirai = [...Array.from({ length: 10 }, () => ev({ src: '192.0.2.19', dport: 23 })), ev({ src: '192.0.2.19', dport: 2323 }), ev({ src: '192.0.2.19', dport: 41000 })];
    expect(labels(m.psad, mirai, '192.0.2.19')).toEqual(['Nmap -sT or -sS scan']);
    expect(labels(m.own, mirai, '192.0.2.19')).toEqual(['Mirai botnet default credentials scan']);
    const ack = ports('192.0.2.20', 20, 40000, { flags: TcpFlag.ACK });
    expect(labels(m.psad, ack, '192.0.2.20')).toEqual([]);
    expect(labels(m.own, ack, '192.0.2.20')).toEqual(['Nmap -sA scan']);
  });

  it('D18: IGNORE_PROTOCOLS 58 ignores ICMPv6', () => {
    const m = both({ ignoreProtocols: ['58'] });
    const e = ev({ src: '2001:db8::18', proto: 58, flags: undefined, sport: undefined, dport: undefined, icmpType: 128, icmpCode: 0 });
    expect(detector(m.psad).d.ingest(e)).toBe('counted');
    expect(detector(m.own).d.ingest(e)).toBe('protocol');
  });

  it('D19: packets psad rejects as malformed are counted', () => {
    const m = both();
    const noIf = ev({ src: '192.0.2.21', inIf: '', outIf: '' });
    const cwr = ev({ src: '192.0.2.21', flags: TcpFlag.CWR });
    const echo = ev({ src: '192.0.2.21', proto: 1, flags: undefined, sport: undefined, dport: undefined, icmpType: 8, icmpCode: 0 });
    const { d: p } = detector(m.psad);
    expect([p.ingest(noIf), p.ingest(cwr), p.ingest(echo)]).toEqual(['psad-no-interface', 'psad-tcp-flags', 'psad-icmp-echo-fields']);
    const { d: o } = detector(m.own);
    expect([o.ingest(noIf), o.ingest(cwr), o.ingest(echo)]).toEqual(['counted', 'counted', 'counted']);
  });

  it('every deviation in docs/detect.md has a test here, and the importer keeps psad semantics', () => {
    const docs = readFileSync(new URL('../../docs/detect.md', import.meta.url), 'utf8');
    const ids = [...docs.matchAll(/^\| (D\d+) \|/gm)].map((m) => m[1]!);
    const self = readFileSync(new URL(import.meta.url), 'utf8');
    expect(ids.length).toBeGreaterThanOrEqual(19);
    for (const id of ids) expect(self, `test for ${id}`).toContain(`it('${id}:`);
    expect(typeof importPsadConf).toBe('function');
  });
});
