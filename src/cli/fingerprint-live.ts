// Live fingerprinting: one engine over every interface, until a signal, a duration or a fingerprint count; kernel drops reported.
import { decodeFrame, Decode, DECODE_NAMES, isDecodeError } from '../capture/decode.ts';
import { isSupportedLinkType, linkTypeName } from '../capture/link.ts';
import { openLive } from '../capture/live.ts';
import type { LiveBackend, LiveSource } from '../capture/live.ts';
import { pwError } from '../domain/errors.ts';
import { emptyObservation } from '../domain/observation.ts';
import type { SignatureDb } from '../fingerprint/database.ts';
import { P0fEngine } from '../fingerprint/engine.ts';
import type { EngineLimits, EngineSink } from '../fingerprint/engine.ts';
import type { InputStats } from './fingerprint-pipeline.ts';

/** What captureLive needs. */
export interface LiveOptions {
  interfaces: readonly string[];
  backend: LiveBackend;
  filter: string;
  snaplen: number;
  bufferSize: number;
  db: SignatureDb;
  sink: EngineSink;
  limits: EngineLimits;
  /** Stop after this many seconds. */
  durationSec?: number | undefined;
  /** Stop after this many SYN / SYN+ACK fingerprints. */
  maxPackets?: number | undefined;
  /** Called about once a second and at the end, to push buffered output and store writes. */
  onFlush: () => void;
  /** Resolves when capturing may start being stopped by the caller (tests); defaults to SIGINT/SIGTERM only. */
  stop?: Promise<void>;
  /** Called once every interface is open. */
  onReady?: (sources: readonly LiveSource[]) => void;
}

/** Captures until stopped; resolves with one InputStats per interface. */
export function captureLive(o: LiveOptions): Promise<InputStats[]> {
  let fingerprints = 0;
  let finish: (() => void) | null = null;
  const sink: EngineSink = {
    tcp: (ev) => {
      o.sink.tcp(ev);
      if (o.maxPackets !== undefined && ++fingerprints >= o.maxPackets) finish?.();
    },
    mtu: (ev) => { o.sink.mtu(ev); },
  };
  const engine = new P0fEngine(o.db, sink, o.limits);
  const sources: { src: LiveSource; counts: Uint32Array; frames: number }[] = [];
  try {
    for (const iface of o.interfaces) {
      const obs = emptyObservation('live');
      obs.iface = iface;
      const entry = { src: undefined as unknown as LiveSource, counts: new Uint32Array(DECODE_NAMES.length), frames: 0 };
      let lt = -1;
      entry.src = openLive(o.backend, iface, o.filter, o.snaplen, o.bufferSize, (frame, caplen, wirelen, tsMs, us) => {
        entry.frames++;
        obs.time = tsMs;
        obs.timeMicros = us;
        const r = decodeFrame(lt, frame, caplen, wirelen, obs) & 0x7f;
        entry.counts[r]!++;
        if (r === Decode.OK) engine.process(obs);
      });
      lt = entry.src.linkType;
      sources.push(entry);
      if (!isSupportedLinkType(lt)) throw pwError('PW_ERR_CAPTURE', [`${iface}: ${linkTypeName(lt)} frames cannot be decoded`], { iface });
    }
  } catch (e) {
    for (const s of sources) s.src.close();
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
  o.onReady?.(sources.map((s) => s.src));
  return new Promise((resolve) => {
    const flushTimer = setInterval(() => { o.onFlush(); }, 1000);
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      if (!finish) return;
      finish = null;
      clearInterval(flushTimer);
      if (timer) clearTimeout(timer);
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      const stats = sources.map(({ src, counts, frames }): InputStats => {
        const drops = src.drops();
        src.close();
        const decode: Record<string, number> = {};
        let errors = 0;
        counts.forEach((n, i) => {
          if (n > 0) decode[DECODE_NAMES[i] ?? String(i)] = n;
          if (isDecodeError(i)) errors += n;
        });
        return {
          input: src.iface, link: linkTypeName(src.linkType), frames, decode, decodeErrors: errors, truncatedFile: false,
          engine: engine.stats, kernelDrops: drops.kernel,
        };
      });
      o.onFlush();
      resolve(stats);
    };
    finish = done;
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
    if (o.durationSec !== undefined) timer = setTimeout(done, o.durationSec * 1000);
    void o.stop?.then(done);
  });
}
