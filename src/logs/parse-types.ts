// The public result types of the firewall log line parser: packet, skip, counted error (by reason) or loss notice.
//
// Stable interface (other areas build on it):
//   ParseResult = {kind:'packet', event} | {kind:'skip'} | {kind:'error', reason, detail?} | {kind:'loss', notice}
//   A 'packet' is always a complete PacketEvent; anything the parser cannot read completely is an 'error' and is
//   never also a packet ("never half-counted").
import type { LossNotice, PacketEvent } from '../domain/events.ts';

/**
 * Why a firewall line (one that carries the kernel's `IN=… OUT=` header) could not be turned into a packet.
 * The set is closed so reports and metrics can enumerate it.
 */
export type ErrorReason =
  /** A required field is absent (e.g. no TOS= on an IPv4 line, no WINDOW= on TCP); detail names it. */
  | 'missing-field'
  /** The line stops before the fields the protocol requires (cut by the syslog daemon, a full disk, a crash). */
  | 'truncated'
  /** A numeric field is not a number or exceeds its width (LEN > 65535, TTL > 255, TOS not hex, …). */
  | 'bad-number'
  /** SPT=/DPT= is not a number in 0–65535. */
  | 'bad-port'
  /** SRC=/DST= is not an address, the families differ, or (psad compatibility) IPv6 is compressed. */
  | 'bad-address'
  /** PROTO= is neither a known name nor a number 0–255. */
  | 'bad-protocol'
  /** A word between WINDOW= and URGP= is not a TCP flag. */
  | 'bad-flags'
  /** Neither IN= nor OUT= names an interface, so no chain can be inferred (psad rejects these too). */
  | 'no-interface'
  /** Two packets' fields interleaved (a field repeats, an unknown bare word) — the kernel ring buffer mixing lines. */
  | 'garbled'
  /** The kernel itself said the packet was cut ("INCOMPLETE [n bytes]", "TRUNCATED"), so required fields are missing. */
  | 'incomplete-packet'
  /** The line held bytes that were not valid UTF-8 (decoded as U+FFFD). */
  | 'invalid-utf8'
  /** The line held control characters (NUL, ESC, …): binary data, not a log line. */
  | 'binary'
  /** The line is longer than `maxLineLength`; only its head was looked at. */
  | 'too-long'
  /** A journald JSON line (`journalctl -o json`) that does not parse or lacks MESSAGE. */
  | 'bad-json'
  /** psad compatibility only: a form psad rejects though the kernel prints it (non-first fragments). */
  | 'psad-rejects';

/** Every ErrorReason, in report order. */
export const ERROR_REASONS: readonly ErrorReason[] = [
  'missing-field', 'truncated', 'bad-number', 'bad-port', 'bad-address', 'bad-protocol', 'bad-flags', 'no-interface',
  'garbled', 'incomplete-packet', 'invalid-utf8', 'binary', 'too-long', 'bad-json', 'psad-rejects',
];

/** A parsed packet: every field the line carried, canonical addresses. */
export interface PacketResult {
  /** Discriminant. */
  kind: 'packet';
  /** The packet. */
  event: PacketEvent;
}

/** Not a firewall line (or a notice about a non-firewall message): ignore it, count it as read. */
export interface SkipResult {
  /** Discriminant. */
  kind: 'skip';
}

/** A firewall line that could not be read completely: count it under `reason`, never as a packet. */
export interface ErrorResult {
  /** Discriminant. */
  kind: 'error';
  /** The class of the problem. */
  reason: ErrorReason;
  /** Human detail, e.g. the field name ("DPT") or the bad value; bounded length, attacker text. */
  detail?: string;
}

/** A rate-limit notice: packets may have been lost before they were logged. */
export interface LossResult {
  /** Discriminant. */
  kind: 'loss';
  /** What the notice said. */
  notice: LossNotice;
}

/** What one line gives. */
export type ParseResult = PacketResult | SkipResult | ErrorResult | LossResult;

/** Parser options; every one has a default that is right for a local Linux syslog file. */
export interface ParserOptions {
  /**
   * Zone for stamps without an offset ("Nov 26 14:22:44", ISO without Z): an IANA name ("Europe/Berlin"), "UTC",
   * or undefined for the machine's zone (process TZ). psadCompat forces UTC for yearless stamps, as psad does.
   */
  timezone?: string;
  /** "Now" in ms, for year inference of yearless stamps and for lines with no time at all. Default Date.now. */
  now?: () => number;
  /**
   * psad 2.4.6's stricter or quirky rules wherever they change what counts: compressed IPv6 is an error, non-first
   * fragments are errors, yearless stamps are UTC in the current year minus 356 days when in the future.
   */
  psadCompat?: boolean;
  /** Lines longer than this (characters) are not parsed: a firewall line becomes a 'too-long' error. Default 16384. */
  maxLineLength?: number;
  /** How far (ms) a yearless stamp may lie in the future before it is taken as last year's. Default one day. */
  futureToleranceMs?: number;
  /** Boot time in ms, to turn bare dmesg uptime stamps ("[ 12.5] …") into wall time. Default now − os.uptime(). */
  bootTimeMs?: number;
  /** fwsnort's SID marker in the log prefix (psad SNORT_SID_STR). Default "SID". */
  sidTag?: string;
}
