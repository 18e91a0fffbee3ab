// Test helpers for fingerprinting: signature loading, in-process runs of a capture file, p0f log filtering, gunzip to tmp.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fingerprintFile } from '../../src/cli/fingerprint-pipeline.ts';
import type { FileReader, InputStats } from '../../src/cli/fingerprint-pipeline.ts';
import { SignatureDb } from '../../src/fingerprint/database.ts';
import { P0F_LIMITS } from '../../src/fingerprint/engine.ts';
import type { EngineLimits } from '../../src/fingerprint/engine.ts';
import { P0fEncoder } from '../../src/fingerprint/p0f-encoder.ts';
import { formatMtuLine, formatTcpLine } from '../../src/fingerprint/p0f-format.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CASES = join(ROOT, 'fixtures', 'cases');
export const P0F_FP = join(ROOT, 'signatures', 'p0f.fp');
export const MODERN_FP = join(ROOT, 'signatures', 'modern.fp');

let stock: SignatureDb | null = null;

/** The stock p0f 3.09b database, loaded once. */
export function stockDb(): SignatureDb {
  stock ??= new SignatureDb([{ name: 'signatures/p0f.fp', text: readFileSync(P0F_FP, 'utf8') }]);
  return stock;
}

/** modern.fp then p0f.fp, as probewatch loads them by default. */
export function defaultDb(): SignatureDb {
  return new SignatureDb([
    { name: 'signatures/modern.fp', text: readFileSync(MODERN_FP, 'utf8') },
    { name: 'signatures/p0f.fp', text: readFileSync(P0F_FP, 'utf8') },
  ]);
}

const tmp = mkdtempSync(join(tmpdir(), 'pw-fp-'));

/** A readable path for a fixture: .gz files are decompressed into a temporary directory. */
export function plainPath(path: string): string {
  if (!path.endsWith('.gz')) return path;
  const out = join(tmp, basename(path, '.gz'));
  writeFileSync(out, gunzipSync(readFileSync(path)));
  return out;
}

/** Text of a fixture file (gunzipped when needed). */
export function fixtureText(path: string): string {
  return readFileSync(plainPath(path), 'utf8');
}

/** The lines of a p0f log that probewatch reproduces: SYN, SYN+ACK (and their sendsyn forms) and MTU. */
export function p0fLines(log: string): string[] {
  return log.split('\n').filter((l) => /\] mod=(syn|syn\+ack|mtu|sendsyn probe|sendsyn response)\|/.test(l));
}

/**
 * Runs a capture file in-process through the byte encoder the CLI uses, and returns its lines and stats. With
 * `crossCheck`, the text formatter must produce the same lines (the two implementations check each other).
 */
export function runP0f(pcap: string, db = stockDb(), limits: EngineLimits = P0F_LIMITS, crossCheck = true, reader: FileReader = 'libpcap'): { lines: string[]; stats: InputStats } {
  const chunks: Buffer[] = [];
  const text: string[] = [];
  const enc = new P0fEncoder((c) => { chunks.push(Buffer.from(c)); }, 4096);
  const stats = fingerprintFile(plainPath(pcap), db, {
    tcp: (ev) => { enc.tcp(ev); if (crossCheck) text.push(formatTcpLine(ev)); },
    mtu: (ev) => { enc.mtu(ev); if (crossCheck) text.push(formatMtuLine(ev)); },
  }, limits, '', reader);
  enc.flush();
  const lines = Buffer.concat(chunks).toString('utf8').split('\n').slice(0, -1);
  if (crossCheck && lines.join('\n') !== text.join('\n')) throw new Error(`${pcap}: byte encoder and text formatter disagree`);
  return { lines, stats };
}
