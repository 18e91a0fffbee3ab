// Test helpers for fingerprinting: signature loading, in-process runs of a capture file, p0f log filtering, gunzip to tmp.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fingerprintFile } from '../../src/cli/fingerprint-pipeline.ts';
import type { InputStats } from '../../src/cli/fingerprint-pipeline.ts';
import { SignatureDb } from '../../src/fingerprint/database.ts';
import { P0F_LIMITS } from '../../src/fingerprint/engine.ts';
import type { EngineLimits } from '../../src/fingerprint/engine.ts';
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

/** Runs a capture file in-process and returns the p0f-format lines and the stats. */
export function runP0f(pcap: string, db = stockDb(), limits: EngineLimits = P0F_LIMITS): { lines: string[]; stats: InputStats } {
  const lines: string[] = [];
  const stats = fingerprintFile(plainPath(pcap), db, {
    tcp: (ev) => { lines.push(formatTcpLine(ev)); },
    mtu: (ev) => { lines.push(formatMtuLine(ev)); },
  }, limits);
  return { lines, stats };
}
