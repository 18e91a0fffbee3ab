// The diagnostic log callback enrichment components report through (wired to the process logger by the composition root).

/** Severity of a diagnostic message. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A diagnostic sink: level, one-line message, structured fields. */
export type EnrichLog = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

/** A log that drops everything (tests, one-shot commands that print their own output). */
export const silentLog: EnrichLog = () => undefined;

/** A log writing `level msg {fields}` lines to stderr from `min` up. */
export function stderrLog(min: LogLevel = 'info'): EnrichLog {
  const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
  return (level, msg, fields) => {
    if (order[level] < order[min]) return;
    process.stderr.write(`probewatch enrich ${level}: ${msg}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`);
  };
}
