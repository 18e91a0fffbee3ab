// The encoding of a parsed log batch in the ingest inbox: what `probewatch ingest` writes and serve reads back.
import type { LogBatch } from '../logs/batch.ts';

/** Version of the payload encoding; a serve skips (and keeps) rows of a version it does not know. */
export const INBOX_FORMAT = 1;

/** A batch as stored: everything but its source and offset (handed-over batches never move a read offset). */
export function encodeBatch(b: LogBatch): string {
  return JSON.stringify({ packets: b.packets, losses: b.losses, errors: b.errors, lines: b.lines, skipped: b.skipped });
}

/** The batch back; throws on a payload that is not one (a damaged row). */
export function decodeBatch(source: string, payload: string): LogBatch {
  const v = JSON.parse(payload) as Partial<LogBatch> | null;
  if (typeof v !== 'object' || v === null || !Array.isArray(v.packets) || !Array.isArray(v.losses) || !Array.isArray(v.errors)
    || typeof v.lines !== 'number' || typeof v.skipped !== 'number') {
    throw new Error('not an encoded log batch');
  }
  return { source, packets: v.packets, losses: v.losses, errors: v.errors, lines: v.lines, skipped: v.skipped };
}
