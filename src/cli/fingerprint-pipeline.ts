// Wires capture → decoder → p0f engine → sinks for `probewatch fingerprint` (and serve): files, signature loading, stats.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeFrame, Decode, DECODE_NAMES, isDecodeError, P0F_COUNTED } from '../capture/decode.ts';
import { isSupportedLinkType, LinkType, linkTypeName, offlineFilter, passesOfflineFilter } from '../capture/link.ts';
import { pcapLinkType, readPcapFile } from '../capture/pcap-file.ts';
import type { PcapReadResult } from '../capture/pcap-file.ts';
import { readPcapJs } from '../capture/pcap-js.ts';
import { pwError } from '../domain/errors.ts';
import { emptyObservation } from '../domain/observation.ts';
import { SignatureDb } from '../fingerprint/database.ts';
import type { SignatureText } from '../fingerprint/database.ts';
import { P0fEngine } from '../fingerprint/engine.ts';
import type { EngineLimits, EngineSink, EngineStats } from '../fingerprint/engine.ts';

/** The bundled signatures/ directory (next to src/ and dist/). */
export const BUNDLED_SIGNATURES = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'signatures');

/** Resolves a signatures setting entry: a bare file name means the bundled file, anything else a path. */
export function resolveSignaturePath(p: string): string {
  return p.includes('/') ? resolve(p) : join(BUNDLED_SIGNATURES, p);
}

/** Reads and loads signature files in order; a missing file or a bad line is a coded error naming file and line. */
export function loadSignatureFiles(paths: readonly string[]): SignatureDb {
  const texts: SignatureText[] = paths.map((p) => {
    const path = resolveSignaturePath(p);
    try {
      return { name: p.includes('/') ? p : `signatures/${p}`, text: readFileSync(path, 'utf8') };
    } catch (e) {
      throw pwError('PW_ERR_SIGNATURE_SYNTAX', [`cannot read signature file ${path}: ${(e as Error).message}`], { file: path });
    }
  });
  return new SignatureDb(texts);
}

/** Per-input counters. */
export interface InputStats {
  /** File or interface name. */
  input: string;
  /** Link type name. */
  link: string;
  /** Frames that reached the decoder (after the capture filter). */
  frames: number;
  /** Decoder outcomes by name (ok, truncated, fragment, …). */
  decode: Record<string, number>;
  /** Sum of the decode-error outcomes. */
  decodeErrors: number;
  /** The file broke off before its end (truncated or corrupt capture file). */
  truncatedFile: boolean;
  /** Engine counters. */
  engine: EngineStats;
  /** Live only: packets the kernel dropped before we read them, when known. */
  kernelDrops?: number | null;
}

function decodeCounts(counts: Uint32Array): Record<string, number> {
  const out: Record<string, number> = {};
  counts.forEach((n, i) => { if (n > 0) out[DECODE_NAMES[i] ?? String(i)] = n; });
  return out;
}

/** Expands inputs: directories become their capture files (sorted), "-" stays (libpcap reads stdin). */
export function expandInputs(inputs: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of inputs) {
    if (p === '-') { out.push(p); continue; }
    let isDir = false;
    try { isDir = statSync(p).isDirectory(); } catch { /* reported when opened */ }
    if (!isDir) { out.push(p); continue; }
    const files = readdirSync(p).filter((f) => /\.(pcap|pcapng|cap|dmp)(\.\d+)?$/i.test(f)).sort();
    out.push(...files.map((f) => join(p, f)));
  }
  return out;
}

/** How capture files are read: libpcap (node_pcap), the built-in reader, or auto (built-in where it can, see below). */
export type FileReader = 'auto' | 'libpcap' | 'js';

/**
 * Fingerprints one capture file with a fresh engine (as one `p0f -r FILE` run), calling `sink` in packet order.
 * Throws PW_ERR_INPUT_UNREADABLE when the file cannot be opened or its link type has no decoder.
 *
 * The built-in reader (js) hands frames over without a native callback per packet; it is used for plain files without
 * a user filter (it has no BPF compiler; standard input goes through libpcap). It delivers the frames libpcap's offline
 * filter would (passesOfflineFilter), so lines and statistics are the same with either reader. With `auto`, a file
 * the built-in reader does not recognise is handed to libpcap, which then reports it as libpcap would.
 */
export function fingerprintFile(path: string, db: SignatureDb, sink: EngineSink, limits: EngineLimits, userFilter = '', reader: FileReader = 'auto'): InputStats {
  const js = reader !== 'libpcap' && path !== '-' && userFilter.trim() === '';
  try {
    return readOne(path, db, sink, limits, userFilter, js);
  } catch (e) {
    // auto: a file the built-in reader could not even start on (not a pcap/pcapng header) gets libpcap's verdict
    if (!(e instanceof NotStarted)) throw e;
    if (reader !== 'auto') throw e.cause;
    return readOne(path, db, sink, limits, userFilter, false);
  }
}

/** The built-in reader refused a file before delivering anything (`cause`: its coded error). */
class NotStarted extends Error {}

function readOne(path: string, db: SignatureDb, sink: EngineSink, limits: EngineLimits, userFilter: string, js: boolean): InputStats {
  // standard input can be opened only once: read it unfiltered (the decoder tells what p0f's filter would have passed)
  let lt = path === '-' || js ? -1 : pcapLinkType(path);
  const refuse = (t: number): void => {
    if (!isSupportedLinkType(t)) throw pwError('PW_ERR_INPUT_UNREADABLE', [path, `${linkTypeName(t)} frames cannot be decoded`], { path });
  };
  if (lt !== -1) refuse(lt);
  const engine = new P0fEngine(db, sink, limits);
  const obs = emptyObservation('pcap');
  const counts = new Uint32Array(DECODE_NAMES.length);
  const filter = path === '-' ? userFilter : offlineFilter(lt, userFilter);
  /** Frames that passed the (real or emulated) offline filter. */
  let passed = 0;
  const onFrame = (buf: Uint8Array, caplen: number, wirelen: number, sec: number, usec: number, at: number): void => {
    obs.time = sec * 1000 + Math.floor(usec / 1000);
    obs.timeMicros = usec % 1000;
    const r = decodeFrame(lt, buf, caplen, wirelen, obs, at);
    const st = r & 0x7f;
    // the built-in reader has no BPF: drop what libpcap's filter would have (a decoded TCP segment passes it,
    // unless it sits behind more VLAN tags than the filter looks through)
    if (js && (st !== Decode.OK || (lt === LinkType.EN10MB && obs.srcOff - at > (obs.family === 4 ? 34 : 30))) &&
        !passesOfflineFilter(lt, buf, at, Math.min(caplen, buf.length - at))) return;
    passed++;
    counts[st]!++;
    if (st === Decode.OK) engine.process(obs, (r & P0F_COUNTED) !== 0);
    else if (r & P0F_COUNTED) engine.tick(obs.time);
  };
  const onOpen = (t: number): void => {
    lt = t;
    refuse(t);
  };
  let res: PcapReadResult;
  if (js) {
    try {
      res = readPcapJs(path, onFrame, onOpen);
    } catch (e) {
      // no link type yet: the reader stopped at the file header
      if (lt === -1) throw new NotStarted('not started', { cause: e });
      throw e;
    }
  } else {
    res = readPcapFile(path, filter, onFrame, onOpen);
  }
  let errors = 0;
  counts.forEach((n, i) => { if (isDecodeError(i)) errors += n; });
  return {
    input: path, link: linkTypeName(res.linkType), frames: passed, decode: decodeCounts(counts), decodeErrors: errors,
    truncatedFile: res.truncated, engine: engine.stats,
  };
}

/** One line of stats for stderr. */
export function statsLine(s: InputStats): string {
  const d = Object.entries(s.decode).map(([k, v]) => `${k}=${v}`).join(' ');
  const drops = s.kernelDrops === undefined ? '' : ` kernel-drops=${s.kernelDrops ?? 'unknown'}`;
  return `${s.input}: ${s.link}, ${s.frames} frames (${d}), ${s.engine.syn} SYN, ${s.engine.synAck} SYN+ACK, ` +
    `${s.decodeErrors} decode errors${s.truncatedFile ? ', file truncated or corrupt' : ''}${drops}`;
}
