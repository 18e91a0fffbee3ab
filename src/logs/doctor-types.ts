// doctor's result type: one finding per thing checked, with its severity and the fix.

/** How bad a finding is: ok (checked, fine), info, warn (works, but loses something), error (probewatch sees nothing). */
export type Severity = 'ok' | 'info' | 'warn' | 'error';

/** One thing doctor checked. */
export interface Finding {
  /** Stable id ("fw.no-tcp-options", "logs.no-lines", …) for scripts. */
  id: string;
  /** Severity. */
  severity: Severity;
  /** One line saying what was found. */
  title: string;
  /** More (the rule, the file, counts). */
  detail?: string;
  /** What to do about it, concretely. */
  fix?: string;
}
