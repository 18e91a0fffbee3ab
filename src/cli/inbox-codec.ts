// The encoding of a parsed log batch in the ingest inbox: what `probewatch ingest` writes and serve reads back.
import type { LogBatch } from '../logs/batch.ts';

/** Version of the payload encoding; a serve skips (and keeps) rows of a version it does not know. */
export const INBOX_FORMAT = 1;

/**
 * A batch as stored: everything but its source and offset (handed-over batches never move a read offset). The line
 * texts go along only when asked (FW_SEARCH_ALL N matches FW_MSG_SEARCH against whole lines); they double the size.
 */
export function encodeBatch(b: LogBatch, withTexts = false): string {
  return JSON.stringify({ packets: b.packets, texts: withTexts ? b.texts : undefined, losses: b.losses, errors: b.errors, lines: b.lines, skipped: b.skipped });
}

/** The batch back; throws on a payload that is not one (a damaged row). */
export function decodeBatch(source: string, payload: string): LogBatch {
  const v = JSON.parse(payload) as Partial<LogBatch> | null;
  if (typeof v !== 'object' || v === null || !Array.isArray(v.packets) || !Array.isArray(v.losses) || !Array.isArray(v.errors)
    || typeof v.lines !== 'number' || typeof v.skipped !== 'number') {
    throw new Error('not an encoded log batch');
  }
  // without texts the engine matches FW_MSG_SEARCH against the log prefix, which is what the prefix search means anyway
  const texts = Array.isArray(v.texts) && v.texts.length === v.packets.length ? v.texts : [];
  return { source, packets: v.packets, texts, losses: v.losses, errors: v.errors, lines: v.lines, skipped: v.skipped };
}
