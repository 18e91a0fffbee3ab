// The response decision, pure: (per-source state, scan notice, settings) → new state and the actions to take.
// psad's scan_logr (alerts, email_ctr, EMAIL_LIMIT/THROTTLE, ALERT_ALL, external script) and auto_psad_response.
import type { Config } from '../config/schema.ts';
import type { DangerLevel } from '../domain/profile.ts';
import type { BlockRecord, ScanNotice } from '../domain/response.ts';

/** The settings the policy reads, resolved once (regex compiled, timeouts indexed by level). */
export interface PolicyConfig {
  /** MIN_DANGER_LEVEL. */
  minDangerLevel: number;
  /** EMAIL_ALERT_DANGER_LEVEL (also gates the external script, as in psad). */
  emailAlertDangerLevel: number;
  /** ALERT_ALL. */
  alertAll: boolean;
  /** Whether the email sink is on (addresses set, ALERTING_METHODS allows it). */
  email: boolean;
  /** EMAIL_LIMIT (0 = none). */
  emailLimit: number;
  /** ENABLE_EMAIL_LIMIT_PER_DST. */
  emailLimitPerDst: boolean;
  /** EMAIL_LIMIT_STATUS_MSG. */
  emailLimitStatusMsg: boolean;
  /** EMAIL_THROTTLE. */
  emailThrottle: number;
  /** ENABLE_EXT_SCRIPT_EXEC. */
  script: boolean;
  /** EXEC_EXT_SCRIPT_PER_ALERT. */
  scriptPerAlert: boolean;
  /** ENABLE_AUTO_IDS. */
  autoIds: boolean;
  /** AUTO_IDS_DANGER_LEVEL. */
  autoIdsDangerLevel: number;
  /** AUTO_BLOCK_REGEX when ENABLE_AUTO_IDS_REGEX is on, else null. */
  autoBlockRegex: RegExp | null;
  /** Block seconds by level, index 0 unused… 5 (0 = permanent). */
  timeouts: readonly [number, number, number, number, number, number];
}

/** Resolves the policy settings from the `respond` config section. */
export function policyConfig(r: Config['respond'], emailEnabled: boolean): PolicyConfig {
  return {
    minDangerLevel: r.minDangerLevel,
    emailAlertDangerLevel: r.emailAlertDangerLevel,
    alertAll: r.alertAll,
    email: emailEnabled,
    emailLimit: r.emailLimit,
    emailLimitPerDst: r.emailLimitPerDst,
    emailLimitStatusMsg: r.emailLimitStatusMsg,
    emailThrottle: r.emailThrottle,
    script: r.extScriptExec && r.externalScript.trim() !== '',
    scriptPerAlert: r.execExtScriptPerAlert,
    autoIds: r.autoIds,
    autoIdsDangerLevel: r.autoIdsDangerLevel,
    autoBlockRegex: r.autoIdsRegex && r.autoBlockRegex !== '' && r.autoBlockRegex !== 'NONE' ? new RegExp(r.autoBlockRegex) : null,
    timeouts: [r.autoBlockTimeout, r.autoBlockDl1Timeout, r.autoBlockDl2Timeout, r.autoBlockDl3Timeout, r.autoBlockDl4Timeout, r.autoBlockDl5Timeout],
  };
}

/** psad's email counter: emails counted and whether the limit status mail went out. */
export interface EmailCounter {
  /** Alert emails counted (psad's email_ctr). */
  ctr: number;
  /** The limit was reached and reported (psad's stop_email). */
  stop: boolean;
}

/** Per-source response memory; JSON-serialisable so it survives restarts like psad's email_ctr files. */
export interface SourceState {
  /** Per-source email counter (ENABLE_EMAIL_LIMIT_PER_DST=N). */
  email: EmailCounter;
  /** Per-destination email counters (ENABLE_EMAIL_LIMIT_PER_DST=Y). */
  emailByDst: Record<string, EmailCounter>;
  /** Level at which each destination was last alerted (ALERT_ALL=N re-alerts when it changes). */
  alerted: Record<string, number>;
  /** The once-per-source script has run. */
  scriptRan: boolean;
  /** A never-block refusal was already recorded (recorded once, not on every interval). */
  refused: boolean;
}

/** Destinations remembered per source; beyond this the oldest entries are forgotten (a sweep of a /16 stays bounded). */
export const MAX_DESTINATIONS_PER_SOURCE = 512;

/** A fresh state. */
export function emptyState(): SourceState {
  return { email: { ctr: 0, stop: false }, emailByDst: {}, alerted: {}, scriptRan: false, refused: false };
}

/** An action the service carries out. */
export type ResponseAction =
  /** psad's "scan detected" (and "signature match") syslog lines for one destination. */
  | { kind: 'syslog'; dst: string }
  /** One alert email for one destination; `counter` is the value printed as "Total email alerts". */
  | { kind: 'email'; dst: string; counter: number }
  /** EMAIL_LIMIT reached: syslog it every time, and send the status mail when `statusMail`. */
  | { kind: 'email-limit'; dst: string | null; statusMail: boolean }
  /** One webhook delivery covering the alerted destinations. */
  | { kind: 'webhook'; dsts: string[] }
  /** Run EXTERNAL_SCRIPT. */
  | { kind: 'script' }
  /** Add (or lengthen) a block; seconds 0 = permanent. */
  | { kind: 'block'; seconds: number; level: DangerLevel; extend: boolean }
  /** The source qualified for a block but is on the never-block list. */
  | { kind: 'refuse'; reason: string };

/** What else the decision needs: the block in force and the never-block verdict (null = may be blocked). */
export interface DecisionContext {
  /** Current block of the source, if any. */
  blocked: BlockRecord | null;
  /** Why the source must never be blocked, or null. */
  neverBlock: string | null;
  /** Wall-clock ms (to compare with block expiry). */
  now: number;
  /** Whether any alert sink at all is on (syslog or webhook); emails are decided separately. */
  notify: boolean;
}

function bump(c: EmailCounter, cfg: PolicyConfig): 'limit' | 'limit-first' | 'throttled' | 'send' {
  if (cfg.emailLimit > 0 && c.ctr >= cfg.emailLimit) {
    if (c.stop) return 'limit';
    c.stop = true;
    return 'limit-first';
  }
  c.ctr++;
  // psad documents EMAIL_THROTTLE as "1/Nth as many emails" but its code skips only ctr % N == 0 (9 of 10 sent);
  // we do what it documents: the 1st, N+1th, 2N+1th … email goes out
  if (cfg.emailThrottle > 1 && (c.ctr - 1) % cfg.emailThrottle !== 0) return 'throttled';
  return 'send';
}

function remember<V>(rec: Record<string, V>, key: string, value: V): Record<string, V> {
  // insertion order is age order: re-inserting moves `key` to the end, the oldest go when full
  const entries = Object.entries(rec).filter(([k]) => k !== key);
  entries.push([key, value]);
  return Object.fromEntries(entries.slice(-MAX_DESTINATIONS_PER_SOURCE));
}

/** Decides what to do for one notice. Never mutates its inputs; returns the next state and the actions in order. */
export function decide(prev: SourceState, n: ScanNotice, cfg: PolicyConfig, ctx: DecisionContext): { state: SourceState; actions: ResponseAction[] } {
  const state: SourceState = structuredClone(prev);
  const actions: ResponseAction[] = [];

  if (n.level >= cfg.minDangerLevel && n.level > 0) {
    const dsts = n.destinations.map((d) => d.dst).filter((d) => cfg.alertAll || state.alerted[d] !== n.level);
    if (dsts.length > 0) {
      if (ctx.notify) for (const d of dsts) actions.push({ kind: 'syslog', dst: d });
      if (cfg.email && n.level >= cfg.emailAlertDangerLevel) {
        if (!cfg.emailLimitPerDst) {
          const v = bump(state.email, cfg);
          if (v === 'send') for (const d of dsts) actions.push({ kind: 'email', dst: d, counter: state.email.ctr });
          else if (v !== 'throttled') actions.push({ kind: 'email-limit', dst: null, statusMail: v === 'limit-first' && cfg.emailLimitStatusMsg });
        } else {
          for (const d of dsts) {
            const c = state.emailByDst[d] ?? { ctr: 0, stop: false };
            const v = bump(c, cfg);
            state.emailByDst = remember(state.emailByDst, d, c);
            if (v === 'send') actions.push({ kind: 'email', dst: d, counter: c.ctr });
            else if (v !== 'throttled') actions.push({ kind: 'email-limit', dst: d, statusMail: v === 'limit-first' && cfg.emailLimitStatusMsg });
          }
        }
      }
      if (ctx.notify) actions.push({ kind: 'webhook', dsts });
      if (cfg.script && n.level >= cfg.emailAlertDangerLevel && (cfg.scriptPerAlert || !state.scriptRan)) {
        actions.push({ kind: 'script' });
        state.scriptRan = true;
      }
      for (const d of dsts) state.alerted = remember(state.alerted, d, n.level);
    }
  }

  // auto_psad_response runs whatever MIN_DANGER_LEVEL says; it only looks at AUTO_IDS_DANGER_LEVEL
  if (cfg.autoIds && n.level >= cfg.autoIdsDangerLevel && n.level > 0) {
    const re = cfg.autoBlockRegex;
    const regexOk = re === null || n.prefixes.some((p) => re.test(p));
    if (regexOk) {
      if (ctx.neverBlock !== null) {
        if (!state.refused) actions.push({ kind: 'refuse', reason: ctx.neverBlock });
        state.refused = true;
      } else {
        const seconds = cfg.timeouts[n.level];
        const b = ctx.blocked;
        if (!b) {
          actions.push({ kind: 'block', seconds, level: n.level, extend: false });
        } else if (b.expiresAt !== null && n.level > b.level) {
          // psad never touches a block once added; a source that climbs to a level with a longer (or permanent)
          // timeout gets it, so a DL5 scanner blocked at DL3 is not let go after the DL3 timeout
          const until = seconds === 0 ? null : ctx.now + seconds * 1000;
          if (until === null || until > b.expiresAt) actions.push({ kind: 'block', seconds, level: n.level, extend: true });
        }
      }
    }
  }
  return { state, actions };
}
