// The intakes `serve` runs besides its logs: live SYN capture on the configured interfaces into the OS-guess store.
import type { Config } from '../config/schema.ts';
import type { Clock } from '../domain/clock.ts';
import type { LiveBackend } from '../capture/live.ts';
import type { EngineLimits } from '../fingerprint/engine.ts';
import { toRecord } from '../fingerprint/record.ts';
import type { Db } from '../store/db.ts';
import { OsGuessRepository } from '../store/os-guesses.ts';
import type { OsGuessObservation } from '../store/os-guesses.ts';
import type { Intake, Logger } from '../service.ts';
import { captureLive } from './fingerprint-live.ts';
import { loadSignatureFiles } from './fingerprint-pipeline.ts';
import { recordToGuess } from './fingerprint-store.ts';

/**
 * Live capture on `fingerprint.interfaces` (off when the list is empty): SYN and SYN+ACK through the p0f engine, the
 * guesses written in batches (each touching the source's profile version). Needs root or CAP_NET_RAW; a missing
 * capability stops start-up with PW_ERR_CAPTURE_PERMISSION rather than running blind.
 */
export function captureIntake(db: Db, cfg: Config, clock: Clock, log: Logger): Intake | null {
  const fc = cfg.fingerprint;
  if (fc.interfaces.length === 0) return null;
  let state = 'not started';
  let ready = false;
  let stop: () => void = () => undefined;
  let run: Promise<unknown> = Promise.resolve();
  let pending: OsGuessObservation[] = [];
  const repo = new OsGuessRepository(db);
  const flush = (): void => {
    if (pending.length === 0 || !db.open) return;
    const batch = pending;
    pending = [];
    try {
      repo.record(batch, clock.now());
    } catch (e) {
      log.log('error', `capture: storing ${batch.length} fingerprints failed: ${(e as Error).message}`);
    }
  };
  return {
    name: `capture:${fc.interfaces.join(',')}`,
    async start() {
      const sigs = loadSignatureFiles(fc.signatures);
      const limits: EngineLimits = { maxFlows: fc.maxFlows, maxHosts: fc.maxHosts, flowMaxAge: fc.flowMaxAge, hostIdleMinutes: fc.hostIdle / 60 };
      const stopped = new Promise<void>((r) => { stop = r; });
      run = captureLive({
        interfaces: fc.interfaces, backend: fc.liveBackend as LiveBackend, filter: fc.bpfFilter, snaplen: fc.snaplen,
        bufferSize: fc.bufferSize, db: sigs, limits, stop: stopped, onFlush: flush,
        sink: {
          tcp: (ev) => {
            pending.push(recordToGuess(toRecord(ev, sigs)));
            if (pending.length >= fc.storeBatch) flush();
          },
          mtu: () => undefined,
        },
        onReady: () => { ready = true; state = 'capturing'; },
      }).then((stats) => {
        ready = false;
        state = 'stopped';
        for (const st of stats) {
          if (st.kernelDrops) log.log('warn', `capture ${st.input}: the kernel dropped ${st.kernelDrops} packets (raise fingerprint.bufferSize)`);
        }
      }, (e: unknown) => {
        state = (e as Error).message;
        throw e;
      });
      // interfaces open synchronously: not ready now means opening failed (no CAP_NET_RAW, no such interface)
      if (!ready) await run;
    },
    async stop() {
      stop();
      await run.catch(() => undefined);
      flush();
    },
    ready: () => ready,
    detail: () => state,
  };
}
