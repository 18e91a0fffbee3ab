// The p0f.fp grammar and TCP signature parser: the stock files load, and bad lines fail where and why p0f fails.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isProbewatchError } from '../../src/domain/errors.ts';
import { SignatureDb } from '../../src/fingerprint/database.ts';
import { NameRegistry, parseFpFile } from '../../src/fingerprint/fp-file.ts';
import { formatTcpSig, parseTcpSig } from '../../src/fingerprint/tcp-sig.ts';
import { MODERN_FP, P0F_FP, stockDb } from './helpers.ts';

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isProbewatchError(e)) return e.message;
    return (e as Error).message;
  }
  return 'ok';
}

const head = 'classes = win,unix,other\n\n[tcp:request]\nlabel = s:unix:Test:x\n';

describe('stock p0f.fp', () => {
  it('loads all 322 signatures of p0f 3.09b, grouped as p0f groups them', () => {
    const db = stockDb();
    expect(db.sigCount).toBe(322);
    expect(db.mtu.length).toBe(25);
    expect(db.tcp.filter((r) => r.entry.toServer).length).toBe(91);
    expect(db.tcp.filter((r) => !r.entry.toServer).length).toBe(101);
    expect(db.http.length).toBe(105);
    expect(db.registry.classes).toEqual(['win', 'unix', 'other']);
    expect(db.shadowed).toEqual([]);
  });

  it('keeps the file spelling of each name and tool labels with their sys lines', () => {
    const nmap = stockDb().tcp.find((r) => r.entry.label.name === 'NMap')!;
    expect(nmap.tool).toBe(true);
    expect(nmap.entry.label.cls).toBe('!');
    expect(nmap.entry.sys.map((s) => s.name)).toEqual(['unix', 'win']);
    expect(nmap.sig.badTtl).toBe(true);
    expect(stockDb().link(1500)).toBe('Ethernet or modem');
    expect(stockDb().link(1501)).toBeNull();
  });

  it('prints every stock TCP signature back in its own notation', () => {
    for (const r of stockDb().tcp) {
      const again = parseTcpSig(formatTcpSig(r.sig));
      expect(again).toEqual(r.sig);
    }
  });

  it('loads modern.fp before p0f.fp; the files shadow nothing of each other by accident', () => {
    const db = new SignatureDb([
      { name: 'signatures/modern.fp', text: readFileSync(MODERN_FP, 'utf8') },
      { name: 'signatures/p0f.fp', text: readFileSync(P0F_FP, 'utf8') },
    ]);
    expect(db.tcp[0]!.entry.file).toBe('signatures/modern.fp');
    // modern.fp covers no stock signature exactly: stock labels stay reachable
    expect(db.shadowed).toEqual([]);
    for (const r of db.tcp.filter((x) => x.entry.file === 'signatures/modern.fp')) expect(r.entry.text).toMatch(/^\*:/);
  });
});

describe('TCP sig values, as p0f 3.09b parses them (outcomes checked against the real p0f)', () => {
  // each row: the sig value and p0f's verdict ('ok' or the start of its message, lower-cased)
  const rows: [string, string][] = [
    ['*:64-:0:*:mss*20,7:mss,sok,ts,nop,ws:df,id+:0', 'ok'],
    ['*:64-:12:*:mss*20,7:mss:df:0', 'ok'],
    ['*:64-5:0:*:mss*20,7:mss:df:0', 'malformed signature'],
    ['*:0:0:*:1,7:mss:df:0', 'bogus initial ttl'],
    ['*:64+200:0:*:1,7:mss:df:0', 'bogus initial ttl'],
    ['*:64::*:1,7:mss:df:0', 'ok'],
    ['*:64:0:*:%1,7:mss:df:0', 'bogus "%" window value'],
    ['*:64:0:*:mss*0,7:mss:df:0', 'bogus mss/mtu window multiplier'],
    ['*:64:0:*:1,7:eol+1,mss:df:0', 'eol must be the last option'],
    ['*:64:0:*:1,7:mss,eol+1:df:0', 'ok'],
    ['6:64:0:*:1,7:mss:df:0', '"df" is not valid for ipv6'],
    ['4:64:0:*:1,7:mss:flow:0', '"flow" is not valid for ipv4'],
    ['*:64:0:*:1,7:mss:df:1', 'malformed payload class'],
    ['*:64:0:*:1,7:mss,?256:df:0', 'bogus "?" option'],
    ['*:64:0:*:1,7::df,:0', 'ok'],
    ['*:64:0:*:,7:mss::0', 'ok'],
    ['*:64:0:*:1,:mss::0', 'ok'],
    ['*:64:0:*:1,7:mss:zz:0', 'unrecognized quirk'],
    [`*:64:0:*:1,7:${Array(25).fill('nop').join(',')}::0`, 'too many tcp options'],
    ['5:64:0:*:1,7:mss::0', 'unrecognized ip version'],
  ];
  it.each(rows)('%s → %s', (sig, verdict) => {
    const msg = errorOf(() => parseFpFile(`${head}sig = ${sig}\n`, 't.fp', new NameRegistry()));
    if (verdict === 'ok') expect(msg).toBe('ok');
    else expect(msg.toLowerCase()).toContain(`t.fp:5: ${verdict}`);
  });

  it('reads N+D as p0f adds it up, and N- swallowing the next character', () => {
    expect(parseTcpSig('*:54+10:0:*:*,*:mss::0').ttl).toBe(64);
    const s = parseTcpSig('*:64-:12:*:*,*:mss::0');
    expect(s).toMatchObject({ ttl: 64, badTtl: true, olen: 2 });
    expect(parseTcpSig('*:64::*:*,*:mss::0').olen).toBe(0);
  });

  it('parses every window form and the wildcards', () => {
    expect(parseTcpSig('*:64:0:*:*,*:mss::*')).toMatchObject({ mss: null, win: { kind: 'any' }, scale: null, pclass: null });
    expect(parseTcpSig('4:64:0:1460:%8192,0:mss::+')).toMatchObject({ ver: 4, mss: 1460, win: { kind: 'mod', n: 8192 }, pclass: 1 });
    expect(parseTcpSig('6:64:0:*:mtu*4,2:mss:flow:0').win).toEqual({ kind: 'mtu', n: 4 });
    expect(parseTcpSig('*:64:0:*:mss*44,8:mss,nop,ws,sack,?30,eol+3::0')).toMatchObject({ layout: [2, 1, 3, 5, 30, 0], eolPad: 3 });
  });
});

describe('p0f.fp file grammar', () => {
  const cases: [string, string, string][] = [
    ['[tcp:request]\nclasses = win\n', 't.fp:2', "misplaced 'classes'"],
    ['classes = win,\n', 't.fp:1', 'malformed class entry'],
    ['classes = win\n[tcp:sideways]\n', 't.fp:2', 'unrecognized traffic direction'],
    ['classes = win\n[udp:request]\n', 't.fp:2', "unrecognized fingerprinting module 'udp'"],
    ['classes = win\n[tcp]\n', 't.fp:2', 'malformed section identifier'],
    ['classes = win\n[tcp:request]\nsig = *:64:0:*:*,*:mss::0\n', 't.fp:3', "misplaced 'sig'"],
    ['classes = win\n[tcp:request]\nlabel = s:unix:Linux:\n', 't.fp:3', "unknown class 'unix'"],
    ['classes = win\n[tcp:request]\nlabel = x:win:W:\n', 't.fp:3', 'malformed label'],
    ['classes = win\n[tcp:request]\nlabel = s:win:W#:\n', 't.fp:3', 'malformed name'],
    ['classes = win\n[tcp:request]\nlabel = s:!:Tool:\nsig = *:64:0:*:*,*:mss::0\n', 't.fp:4', "misplaced 'sig'"],
    ['classes = win\n[tcp:request]\nlabel = s:win:W:\nsys = Linux\n', 't.fp:4', "misplaced 'sys'"],
    ['classes = win\n[tcp:request]\nlabel = s:!:T:\nsys = @unix\n', 't.fp:4', "unknown class 'unix' in sys"],
    ['classes = win\nfoo = 1\n', 't.fp:2', "unrecognized field 'foo'"],
    ['classes = win\n  what\n', 't.fp:2', 'unexpected statement'],
    ['classes = win\n[mtu]\nlabel = Ethernet\nsig = 15x0\n', 't.fp:4', 'malformed mtu value'],
    ['classes = win\n[mtu]\nlabel = Ethernet\nsig = 70000\n', 't.fp:4', 'malformed mtu value'],
    ['classes = win\n[http:request]\nlabel = s:win:W:\nua_os = Linux\n', 't.fp:4', "misplaced 'ua_os'"],
    ['classes = win\n[http:request]\nlabel = s:win:W:\nsig = 2:Host:: \n', 't.fp:4', 'bad http version'],
    ['classes = win\n[tcp:request]\nlabel = s:win:W:\nsig = *:64:0:*:*,*:mss::0\nsig = *:64:0:*:*,*:mss::0\n', 't.fp:5', 'signature is already covered by line 4'],
  ];
  it.each(cases)('%j fails at %s: %s', (text, where, why) => {
    expect(errorOf(() => new SignatureDb([{ name: 't.fp', text }])).toLowerCase()).toContain(`${where}: ${why}`);
  });

  it('reads ua_os, HTTP signatures and sys lines', () => {
    const f = parseFpFile([
      'classes = win,unix',
      '[http:request]',
      'ua_os = Linux,Windows,iOS=[iPhone],Mac OS X=[Macintosh]',
      'label = s:!:wget:',
      'sys = Linux, @win',
      'sig = *:User-Agent,?Host,Accept=[*/*],Connection=[Keep-Alive]:Keep-Alive,Accept-Encoding:Wget/',
    ].join('\n'), 'h.fp', new NameRegistry());
    expect(f.uaOs).toEqual([{ name: 'Linux', token: 'Linux' }, { name: 'Windows', token: 'Windows' }, { name: 'iOS', token: 'iPhone' }, { name: 'Mac OS X', token: 'Macintosh' }]);
    expect(f.http[0]!.sig).toEqual({
      ver: null,
      order: [{ name: 'User-Agent', optional: false, value: null }, { name: 'Host', optional: true, value: null }, { name: 'Accept', optional: false, value: '*/*' }, { name: 'Connection', optional: false, value: 'Keep-Alive' }],
      absent: ['Keep-Alive', 'Accept-Encoding'],
      software: 'Wget/',
    });
    expect(f.http[0]!.sys).toEqual([{ kind: 'name', id: 0, name: 'Linux' }, { kind: 'class', id: 0, name: 'win' }]);
  });

  it('compares names case-insensitively and prints the first spelling, across files', () => {
    const db = new SignatureDb([
      { name: 'a.fp', text: 'classes = unix\n[tcp:request]\nlabel = s:unix:FreeBSD:a\nsig = *:64:0:*:*,*:mss::0\n' },
      { name: 'b.fp', text: 'classes = unix\n[tcp:request]\nlabel = s:UNIX:freebsd:b\nsig = *:64:0:*:*,*:mss,nop::0\n' },
    ]);
    expect(db.tcp.map((r) => r.entry.label.name)).toEqual(['FreeBSD', 'FreeBSD']);
    expect(db.tcp[1]!.entry.label.cls).toBe('unix');
  });

  it('reports a later file\'s signature that an earlier one covers, instead of refusing to start', () => {
    const sig = 'sig = *:64:0:*:*,*:mss::0\n';
    const db = new SignatureDb([
      { name: 'a.fp', text: `classes = unix\n[tcp:request]\nlabel = s:unix:A:\n${sig}` },
      { name: 'b.fp', text: `classes = unix\n[tcp:request]\nlabel = s:unix:B:\n${sig}` },
    ]);
    expect(db.shadowed.map((s) => [s.entry.file, s.entry.line, s.by.file, s.by.line])).toEqual([['b.fp', 4, 'a.fp', 4]]);
  });

  it('ignores comments, blank lines, indentation and CRLF line ends', () => {
    const f = parseFpFile('; c\r\n  classes = unix\r\n\r\n[tcp:request]\r\n\tlabel = s:unix:X:\r\nsig   =   *:64:0:*:*,*:mss::0  \r\n', 'c.fp', new NameRegistry());
    expect(f.tcp[0]!.line).toBe(6);
    expect(f.tcp[0]!.sig.layout).toEqual([2]);
  });
});
