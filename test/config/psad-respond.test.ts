// psad.conf keys that both detection and response read (MIN_DANGER_LEVEL, HOME_NET) land in both sections, and a psad.conf
// with psad's alerting, script and auto-IDS keys drives the response rules the way psad does.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolve } from '../../src/config/load.ts';
import { importPsadConf } from '../../src/config/psad-conf.ts';
import type { DangerLevel } from '../../src/domain/profile.ts';
import { guardFrom } from '../../src/respond/create.ts';
import { decide, emptyState, policyConfig } from '../../src/respond/policy.ts';
import type { ResponseAction, SourceState } from '../../src/respond/policy.ts';
import { notice } from '../respond/helpers/notices.ts';

const dir = mkdtempSync(join(tmpdir(), 'pw-psadresp-'));
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });
const STOCK = new URL('../../fixtures/psad/psad.conf', import.meta.url).pathname;

/** The stock psad.conf with an override file (read first, so its values win) holding the keys under test. */
function load(override: string) {
  const o = join(dir, `o${String(Math.random()).slice(2)}.conf`);
  writeFileSync(o, override);
  return resolve(importPsadConf(STOCK, [o]).layers).config;
}

const OVERRIDE = `
EMAIL_ALERT_DANGER_LEVEL    3;
MIN_DANGER_LEVEL            2;
HOME_NET                    192.0.2.0/24, 2001:db8:aa::/48;
HOSTNAME                    fw-gw1;
ENABLE_AUTO_IDS             Y;
AUTO_IDS_DANGER_LEVEL       4;
AUTO_BLOCK_DL4_TIMEOUT      600;
AUTO_BLOCK_DL5_TIMEOUT      0;
EMAIL_LIMIT                 2;
EMAIL_THROTTLE              0;
ALERT_ALL                   N;
ENABLE_EXT_SCRIPT_EXEC      Y;
EXTERNAL_SCRIPT             /usr/local/bin/on-scan SRCIP;
EXEC_EXT_SCRIPT_PER_ALERT   N;
IGNORE_PORTS                tcp/61000-61356, udp/53;
IGNORE_PROTOCOLS            igmp;
IGNORE_INTERFACES           lo;
IGNORE_LOG_PREFIXES         ACCEPT;
`;

const kinds = (a: ResponseAction[]): string[] => a.map((x) => x.kind);

describe('psad.conf → detect and respond', () => {
  it('maps every shared and response key into both sections', () => {
    const c = load(OVERRIDE);
    expect(c.detect.minDangerLevel).toBe(2);
    expect(c.respond.minDangerLevel).toBe(2);
    expect(c.detect.homeNet).toEqual(['192.0.2.0/24', '2001:db8:aa::/48']);
    expect(c.respond.homeNet).toEqual(['192.0.2.0/24', '2001:db8:aa::/48']);
    expect(c.respond.hostname).toBe('fw-gw1');
    expect(c.respond).toMatchObject({
      emailAlertDangerLevel: 3, autoIds: true, autoIdsDangerLevel: 4, autoBlockDl4Timeout: 600, autoBlockDl5Timeout: 0,
      emailLimit: 2, emailThrottle: 0, alertAll: false, extScriptExec: true, externalScript: '/usr/local/bin/on-scan SRCIP',
      execExtScriptPerAlert: false,
    });
    expect(c.detect.ignorePorts).toEqual(['tcp/61000-61356', 'udp/53']);
    expect(c.detect.ignoreProtocols).toEqual(['igmp']);
    expect(c.detect.ignoreInterfaces).toEqual(['lo']);
    expect(c.detect.ignoreLogPrefixes).toBe('ACCEPT');
  });

  it('drives the response rules as psad: gating, email_ctr limit, ALERT_ALL N, one script per source, auto-IDS timeouts', () => {
    const c = load(OVERRIDE);
    const p = policyConfig(c.respond, true);
    let s: SourceState = emptyState();
    let prev: DangerLevel = 0;
    const step = (level: DangerLevel, dsts = ['198.51.100.9']): ResponseAction[] => {
      const r = decide(s, notice('203.0.113.77', level, dsts, prev), p, { blocked: null, neverBlock: null, now: 0, notify: true });
      s = r.state;
      prev = level;
      return r.actions;
    };
    expect(step(1)).toEqual([]); // below MIN_DANGER_LEVEL: nothing at all
    expect(kinds(step(2))).toEqual(['syslog', 'webhook']); // alerted, no email below EMAIL_ALERT_DANGER_LEVEL
    expect(step(2)).toEqual([]); // ALERT_ALL N: same level, same destinations
    expect(kinds(step(3))).toEqual(['syslog', 'email', 'webhook', 'script']); // the script once per source
    const dl4 = step(4);
    expect(kinds(dl4)).toEqual(['syslog', 'email', 'webhook', 'block']);
    expect(dl4.find((a) => a.kind === 'block')).toMatchObject({ seconds: 600, level: 4 });
    const dl5 = step(5, ['198.51.100.9', '198.51.100.10']);
    // EMAIL_LIMIT 2 reached: a status mail instead of the email; DL5 makes the block permanent (timeout 0)
    expect(dl5.find((a) => a.kind === 'email-limit')).toMatchObject({ statusMail: true });
    expect(dl5.some((a) => a.kind === 'email')).toBe(false);
    expect(dl5.some((a) => a.kind === 'script')).toBe(false);
  });

  it('HOME_NET from psad.conf is never blocked; "any" (psad\'s default) guards nothing extra', () => {
    const g = guardFrom(load(OVERRIDE).respond, { localAddresses: () => [] });
    expect(g.reason('192.0.2.44')).toMatch(/HOME_NET|home/i);
    expect(g.reason('2001:db8:aa::5')).toMatch(/HOME_NET|home/i);
    expect(g.reason('203.0.113.77')).toBeNull();
    const stock = guardFrom(load('HOSTNAME x;\n').respond, { localAddresses: () => [] });
    expect(stock.reason('192.0.2.44')).toBeNull();
  });

  it('HOME_NET in netmask form, bracketed, with IPv6, or NOT_USED reads the same for detection and the guard', () => {
    const c = load('HOME_NET [192.168.10.0/255.255.255.0, 198.51.100.64/255.255.255.192, 2001:db8:aa::/48];\n');
    const g = guardFrom(c.respond, { localAddresses: () => [], homeNet: c.detect.homeNet });
    expect(g.reason('192.168.10.7')).toBe('192.168.10.7 is in HOME_NET (192.168.10.0/24)');
    expect(g.reason('198.51.100.100')).toBe('198.51.100.100 is in HOME_NET (198.51.100.64/26)');
    expect(g.reason('198.51.100.130')).toBeNull();
    expect(g.reason('2001:db8:aa::5')).toMatch(/in HOME_NET \(2001:db8:aa::\/48\)/);
    expect(g.reason('192.168.11.7')).toBeNull();
    const unused = load('HOME_NET NOT_USED;\n');
    expect(guardFrom(unused.respond, { localAddresses: () => [], homeNet: unused.detect.homeNet }).reason('192.168.10.7')).toBeNull();
    // a typo is a coded error naming the setting, not a silently unprotected network (psad skips what it cannot read)
    const bad = load('HOME_NET 192.168.10.0/255.255.0.255, 10.0.0.0/8;\n');
    expect(() => guardFrom(bad.respond, { localAddresses: () => [] })).toThrow(
      expect.objectContaining({ code: 'PW_ERR_HOME_NET', message: expect.stringMatching(/"192\.168\.10\.0\/255\.255\.0\.255" in respond\.homeNet: netmask .* not contiguous/) }),
    );
    expect(() => guardFrom({ ...bad.respond, homeNet: [] }, { localAddresses: () => [], homeNet: bad.detect.homeNet })).toThrow(/in detect\.homeNet/);
  });
});
