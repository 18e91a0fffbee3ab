// `probewatch fingerprint`: p0f-identical passive OS fingerprints from capture files or live interfaces.
import { statSync } from 'node:fs';
import { linkTypeName } from '../capture/link.ts';
import { loadConfig } from '../config/load.ts';
import { isProbewatchError, pwError } from '../domain/errors.ts';
import type { EngineLimits, EngineSink } from '../fingerprint/engine.ts';
import { P0fEncoder } from '../fingerprint/p0f-encoder.ts';
import { COMMON_OPTIONS, parseCommandArgs } from './command.ts';
import type { Command } from './command.ts';
import { expandInputs, fingerprintFile, loadSignatureFiles, statsLine } from './fingerprint-pipeline.ts';
import type { FileReader, InputStats } from './fingerprint-pipeline.ts';
import type { GuessStore } from './fingerprint-store.ts';
import { warmUpFingerprinting } from './fingerprint-warmup.ts';
import { configLayersFromArgs } from './load-config.ts';
import { LineWriter } from './output.ts';

const USAGE = `probewatch fingerprint [--signatures FILE]… [--format p0f|json|ndjson] [--data-dir DIR] [--filter BPF] [--stats] FILE…
probewatch fingerprint --interface IF… [--duration SECONDS] [--count N] [same options]

Passive OS fingerprinting with p0f v3 semantics. FILE is a pcap or pcapng file, a directory of them, or - (stdin).
  --signatures F   p0f.fp-format file, repeatable, matched in order (default: modern.fp then p0f.fp;
                   --signatures signatures/p0f.fp alone = stock p0f)
  --format p0f     the lines \`TZ=UTC p0f -r FILE -o LOG\` writes for SYN, SYN+ACK and MTU (default)
  --format json    one JSON array of fingerprint records; ndjson: one record per line
  --data-dir DIR   also keep every guess on the source's profile in DIR's store
  --filter BPF     only fingerprint packets matching this capture filter
  --reader R       auto (default: js for files, libpcap for --filter and stdin), js (built-in pcap/pcapng
                   reader, less CPU, same output) or libpcap (node_pcap)
  --interface IF   capture live (root or CAP_NET_RAW); repeatable; stops on Ctrl-C, --duration or --count
  --backend B      live capture binding: cap (default) or pcap (node_pcap: kernel drop counts, capture timestamps)
  --stats          print per-input counters (frames, decode errors, kernel drops) to stderr
Exit 0 when every input was read (decode errors are counted, not fatal), 1 when an input could not be read,
2 for a usage or signature-file error.`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  signatures: { type: 'string', multiple: true },
  format: { type: 'string' },
  filter: { type: 'string' },
  interface: { type: 'string', multiple: true },
  backend: { type: 'string' },
  reader: { type: 'string' },
  duration: { type: 'string' },
  count: { type: 'string' },
  stats: { type: 'boolean' },
} as const;

type Format = 'p0f' | 'json' | 'ndjson';

/** Bytes of the capture files given (standard input counts as large). */
function captureBytes(inputs: readonly string[]): number {
  let bytes = 0;
  for (const p of inputs) {
    try {
      bytes += p === '-' ? 1 << 30 : statSync(p).size;
    } catch { /* reported when read */ }
  }
  return bytes;
}

export const fingerprintCommand: Command = {
  name: 'fingerprint',
  summary: 'passive OS fingerprints (p0f v3) from pcap/pcapng files or live interfaces',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS);
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const format = (values.format ?? 'p0f') as Format;
    if (!['p0f', 'json', 'ndjson'].includes(format)) throw pwError('PW_ERR_USAGE', [`--format must be p0f, json or ndjson, not "${format}"`]);
    const { config, origins } = loadConfig(configLayersFromArgs(values));
    const fc = config.fingerprint;
    if ((values.interface?.length ?? 0) > 0 && positionals.length > 0) throw pwError('PW_ERR_USAGE', ['give capture files or --interface, not both']);
    const live = positionals.length === 0 && fc.interfaces.length > 0;
    if (!live && positionals.length === 0) throw pwError('PW_ERR_USAGE', ['no capture file given (or use --interface IF)']);
    const num = (name: string, v: string | undefined): number | undefined => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw pwError('PW_ERR_USAGE', [`--${name} must be a positive number`]);
      return n;
    };
    const duration = num('duration', values.duration);
    const count = num('count', values.count);

    const db = loadSignatureFiles(fc.signatures);
    const limits: EngineLimits = { maxFlows: fc.maxFlows, maxHosts: fc.maxHosts, flowMaxAge: fc.flowMaxAge, hostIdleMinutes: fc.hostIdle / 60 };
    const out = new LineWriter(1);
    // the store is used only when asked for: --data-dir, PROBEWATCH_DATA_DIR or a config file naming one
    const dataDirOrigin = origins.get('core.dataDir');
    // loaded only when needed: the SQLite binding is a noticeable part of start-up
    const store: GuessStore | null = dataDirOrigin
      ? (await import('./fingerprint-store.ts')).openGuessStore(config.core.dataDir, fc.storeBatch, db)
      : null;

    // live capture and JSON records are imported only when used: fewer modules to load on every file run
    const toRecord = format === 'p0f' ? null : (await import('../fingerprint/record.ts')).toRecord;
    // a capture of more than a few thousand packets: prime the JIT first (see fingerprint-warmup.ts)
    if (format === 'p0f' && !store && !live && captureBytes(expandInputs(positionals)) > 1 << 20) {
      warmUpFingerprinting(db, new P0fEncoder(() => undefined, 4096));
    }
    const json = { first: true };
    // 256 KiB per write: the kernel's per-page work for a file (page cache, ext4 delayed allocation) costs a quarter
    // less in writes of 256 KiB than of 64 KiB (253 MB of output: ~0.03 CPU-s)
    const encoder = new P0fEncoder((chunk) => { out.bytes(chunk); }, 1 << 18);
    const sink: EngineSink = format === 'p0f'
      ? store
        ? { tcp: (ev) => { encoder.tcp(ev); store.add(ev); }, mtu: (ev) => { encoder.mtu(ev); } }
        : encoder
      : {
          tcp: (ev) => {
            const rec = toRecord!(ev, db);
            store?.addRecord(rec);
            const line = JSON.stringify(rec);
            if (format === 'ndjson') out.line(line);
            else {
              out.text(json.first ? `[\n${line}` : `,\n${line}`);
              json.first = false;
            }
          },
          mtu: () => undefined,
        };

    let exit = 0;
    const all: InputStats[] = [];
    try {
      if (live) {
        const { captureLive } = await import('./fingerprint-live.ts');
        const stats = await captureLive({
          interfaces: fc.interfaces, backend: fc.liveBackend as 'cap' | 'pcap', filter: fc.bpfFilter, snaplen: fc.snaplen, bufferSize: fc.bufferSize,
          db, sink, limits, durationSec: duration, maxPackets: count, onFlush: () => { encoder.flush(); out.flush(); store?.flush(); },
          onReady: (sources) => {
            for (const s of sources) process.stderr.write(`probewatch fingerprint: capturing on ${s.iface} (${linkTypeName(s.linkType)}, ${s.backend}); stop with Ctrl-C\n`);
          },
        });
        all.push(...stats);
      } else {
        for (const input of expandInputs(positionals)) {
          try {
            all.push(fingerprintFile(input, db, sink, limits, fc.bpfFilter, fc.reader as FileReader));
          } catch (e) {
            if (!isProbewatchError(e) || e.code !== 'PW_ERR_INPUT_UNREADABLE') throw e;
            encoder.flush();
            out.flush();
            process.stderr.write(`probewatch fingerprint: ${e.message}\n`);
            exit = 1;
          }
          store?.flush();
        }
      }
    } finally {
      encoder.flush();
      if (format === 'json') out.text(json.first ? '[]\n' : '\n]\n');
      out.flush();
      store?.close();
    }
    for (const s of all) {
      if (values.stats || s.decodeErrors > 0 || s.truncatedFile || (s.kernelDrops !== undefined && s.kernelDrops !== null && s.kernelDrops > 0)) process.stderr.write(`${statsLine(s)}\n`);
    }
    if (db.shadowed.length > 0 && values.stats) {
      process.stderr.write(`${db.shadowed.length} signatures of later files are covered by earlier ones and never win\n`);
    }
    return exit;
  },
};
