// The pure response policy: psad's alert gating (MIN_DANGER_LEVEL, EMAIL_ALERT_DANGER_LEVEL, ALERT_ALL), email_ctr
// with EMAIL_LIMIT / EMAIL_THROTTLE / per-destination counting, the external script, and auto-block decisions.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import type { DangerLevel } from '../../src/domain/profile.ts';
import { MAX_DESTINATIONS_PER_SOURCE, decide, emptyState, policyConfig } from '../../src/respond/policy.ts';
import type { DecisionContext, PolicyConfig, ResponseAction, SourceState } from '../../src/respond/policy.ts';
import { notice } from './helpers/notices.ts';

function cfg(over: Partial<Config['respond']> = {}, email = true): PolicyConfig {
  const base = loadConfig({ env: {} }).config.respond;
  return policyConfig({ ...base, ...over }, email);
}
const ctx = (o: Partial<DecisionContext> = {}): DecisionContext => ({ blocked: null, neverBlock: null, now: 0, notify: true, ...o });
const kinds = (a: ResponseAction[]): string[] => a.map((x) => x.kind);

/** Feeds `levels` (one notice per interval) through the policy and returns the actions per interval. */
function run(c: PolicyConfig, levels: DangerLevel[], dsts = ['192.0.2.10']): ResponseAction[][] {
  let s: SourceState = emptyState();
  let prev: DangerLevel = 0;
  return levels.map((l) => {
    const r = decide(s, notice('198.51.100.7', l, dsts, prev), c, ctx());
    s = r.state;
    prev = l;
    return r.actions;
  });
}

describe('alert gating', () => {
  it('alerts nothing below MIN_DANGER_LEVEL and emails only from EMAIL_ALERT_DANGER_LEVEL', () => {
    const out = run(cfg({ minDangerLevel: 2, emailAlertDangerLevel: 3 }), [1, 2, 3]);
    expect(kinds(out[0]!)).toEqual([]);
    expect(kinds(out[1]!)).toEqual(['syslog', 'webhook']);
    expect(kinds(out[2]!)).toEqual(['syslog', 'email', 'webhook']);
  });

  it('ALERT_ALL=Y alerts every interval, ALERT_ALL=N only when the level changes or a new destination appears', () => {
    expect(run(cfg({ alertAll: true }), [2, 2, 2]).map(kinds)).toEqual([['syslog', 'email', 'webhook'], ['syslog', 'email', 'webhook'], ['syslog', 'email', 'webhook']]);
    const n = run(cfg({ alertAll: false }), [2, 2, 3, 3]).map(kinds);
    expect(n).toEqual([['syslog', 'email', 'webhook'], [], ['syslog', 'email', 'webhook'], []]);
    let s = emptyState();
    const c = cfg({ alertAll: false });
    s = decide(s, notice('198.51.100.7', 2, ['192.0.2.10']), c, ctx()).state;
    const r = decide(s, notice('198.51.100.7', 2, ['192.0.2.10', '192.0.2.11']), c, ctx());
    expect(r.actions.filter((a) => a.kind === 'syslog')).toEqual([{ kind: 'syslog', dst: '192.0.2.11' }]);
  });

  it('counts emails per source: EMAIL_LIMIT stops them with one status mail, syslog keeps going', () => {
    const out = run(cfg({ emailLimit: 2 }), [2, 2, 2, 2, 2]);
    expect(out.map((a) => a.filter((x) => x.kind === 'email').length)).toEqual([1, 1, 0, 0, 0]);
    expect(out[2]!.find((x) => x.kind === 'email-limit')).toEqual({ kind: 'email-limit', dst: null, statusMail: true });
    expect(out[3]!.find((x) => x.kind === 'email-limit')).toEqual({ kind: 'email-limit', dst: null, statusMail: false });
    expect(out.every((a) => a.some((x) => x.kind === 'syslog'))).toBe(true);
    expect(run(cfg({ emailLimit: 1, emailLimitStatusMsg: false }), [2, 2])[1]!.find((x) => x.kind === 'email-limit')).toMatchObject({ statusMail: false });
  });

  it('EMAIL_THROTTLE sends the 1st, N+1th, 2N+1th email (1/Nth, as psad documents)', () => {
    const out = run(cfg({ emailThrottle: 3 }), Array<DangerLevel>(9).fill(2));
    expect(out.map((a) => a.filter((x) => x.kind === 'email').map((x) => (x as { counter: number }).counter))).toEqual([[1], [], [], [4], [], [], [7], [], []]);
  });

  it('ENABLE_EMAIL_LIMIT_PER_DST counts per destination', () => {
    const out = run(cfg({ emailLimit: 1, emailLimitPerDst: true }), [2, 2], ['192.0.2.10', '192.0.2.11']);
    expect(out[0]!.filter((x) => x.kind === 'email')).toEqual([{ kind: 'email', dst: '192.0.2.10', counter: 1 }, { kind: 'email', dst: '192.0.2.11', counter: 1 }]);
    expect(out[1]!.filter((x) => x.kind === 'email-limit')).toEqual([
      { kind: 'email-limit', dst: '192.0.2.10', statusMail: true }, { kind: 'email-limit', dst: '192.0.2.11', statusMail: true },
    ]);
  });

  it('without the email sink nothing is counted and no email action appears', () => {
    const out = run(cfg({ emailLimit: 1 }, false), [2, 2, 2]);
    expect(out.flat().some((a) => a.kind === 'email' || a.kind === 'email-limit')).toBe(false);
  });
});

describe('external script', () => {
  it('runs once per source by default, on every alert with EXEC_EXT_SCRIPT_PER_ALERT, only from EMAIL_ALERT_DANGER_LEVEL', () => {
    const once = run(cfg({ extScriptExec: true, externalScript: '/bin/true SRCIP', emailAlertDangerLevel: 2 }), [1, 2, 2, 3]);
    expect(once.map((a) => a.filter((x) => x.kind === 'script').length)).toEqual([0, 1, 0, 0]);
    const each = run(cfg({ extScriptExec: true, externalScript: '/bin/true', execExtScriptPerAlert: true }), [1, 2, 2]);
    expect(each.map((a) => a.filter((x) => x.kind === 'script').length)).toEqual([1, 1, 1]);
    expect(run(cfg({ extScriptExec: false, externalScript: '/bin/true' }), [5]).flat().some((a) => a.kind === 'script')).toBe(false);
  });
});

describe('auto-block decision', () => {
  const on = cfg({ autoIds: true, autoIdsDangerLevel: 3, autoBlockDl3Timeout: 600, autoBlockDl4Timeout: 7200, autoBlockDl5Timeout: 0 });
  it('blocks from AUTO_IDS_DANGER_LEVEL with the level\'s timeout, whatever MIN_DANGER_LEVEL says', () => {
    expect(decide(emptyState(), notice('198.51.100.7', 2), on, ctx()).actions.some((a) => a.kind === 'block')).toBe(false);
    expect(decide(emptyState(), notice('198.51.100.7', 3), on, ctx()).actions.find((a) => a.kind === 'block')).toEqual({ kind: 'block', seconds: 600, level: 3, extend: false });
    expect(decide(emptyState(), notice('198.51.100.7', 5), on, ctx()).actions.find((a) => a.kind === 'block')).toEqual({ kind: 'block', seconds: 0, level: 5, extend: false });
    const quiet = { ...on, minDangerLevel: 5 };
    expect(kinds(decide(emptyState(), notice('198.51.100.7', 4), quiet, ctx()).actions)).toEqual(['block']);
  });

  it('does not block twice, but lengthens a block when the level rises to a longer timeout', () => {
    const blocked = { ip: '198.51.100.7', family: 4 as const, createdAt: 0, expiresAt: 600_000, level: 3 as const, origin: 'auto' as const, reason: '' };
    expect(decide(emptyState(), notice('198.51.100.7', 3), on, ctx({ blocked, now: 1000 })).actions.some((a) => a.kind === 'block')).toBe(false);
    expect(decide(emptyState(), notice('198.51.100.7', 4), on, ctx({ blocked, now: 1000 })).actions.find((a) => a.kind === 'block')).toEqual({ kind: 'block', seconds: 7200, level: 4, extend: true });
    expect(decide(emptyState(), notice('198.51.100.7', 5), on, ctx({ blocked, now: 1000 })).actions.find((a) => a.kind === 'block')).toMatchObject({ seconds: 0, extend: true });
    const permanent = { ...blocked, expiresAt: null };
    expect(decide(emptyState(), notice('198.51.100.7', 5), on, ctx({ blocked: permanent })).actions.some((a) => a.kind === 'block')).toBe(false);
  });

  it('never blocks a never-block address, and records the refusal once', () => {
    const r1 = decide(emptyState(), notice('192.0.2.1', 5), on, ctx({ neverBlock: 'an address of this machine' }));
    expect(r1.actions.filter((a) => a.kind === 'block')).toEqual([]);
    expect(r1.actions.find((a) => a.kind === 'refuse')).toEqual({ kind: 'refuse', reason: 'an address of this machine' });
    const r2 = decide(r1.state, notice('192.0.2.1', 5), on, ctx({ neverBlock: 'an address of this machine' }));
    expect(r2.actions.some((a) => a.kind === 'refuse' || a.kind === 'block')).toBe(false);
  });

  it('with ENABLE_AUTO_IDS_REGEX blocks only sources whose log prefixes match AUTO_BLOCK_REGEX', () => {
    const rx = cfg({ autoIds: true, autoIdsDangerLevel: 1, autoIdsRegex: true, autoBlockRegex: 'ESTAB' });
    expect(decide(emptyState(), notice('198.51.100.7', 5), rx, ctx()).actions.some((a) => a.kind === 'block')).toBe(false);
    expect(decide(emptyState(), notice('198.51.100.7', 5, undefined, 0, { prefixes: ['SID2003 ESTAB'] }), rx, ctx()).actions.some((a) => a.kind === 'block')).toBe(true);
  });
});

describe('state', () => {
  it('never mutates its input, survives JSON round trips and stays bounded under a wide sweep', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 30 }), fc.boolean(), fc.integer({ min: 0, max: 4 }), (levels, all, limit) => {
      const c = cfg({ alertAll: all, emailLimit: limit, extScriptExec: true, externalScript: '/bin/true' });
      let s = emptyState();
      for (const l of levels) {
        const frozen = JSON.stringify(s);
        const r = decide(JSON.parse(frozen) as SourceState, notice('198.51.100.7', l as DangerLevel), c, ctx());
        expect(JSON.parse(JSON.stringify(r.state))).toEqual(r.state);
        if (limit > 0) expect(r.state.email.ctr).toBeLessThanOrEqual(limit);
        s = r.state;
      }
    }));
    const dsts = Array.from({ length: MAX_DESTINATIONS_PER_SOURCE + 50 }, (_, i) => `2001:db8::${i.toString(16)}`);
    const r = decide(emptyState(), notice('198.51.100.7', 2, dsts), cfg({ emailLimitPerDst: true }), ctx());
    expect(Object.keys(r.state.alerted)).toHaveLength(MAX_DESTINATIONS_PER_SOURCE);
    expect(Object.keys(r.state.emailByDst)).toHaveLength(MAX_DESTINATIONS_PER_SOURCE);
  });
});
