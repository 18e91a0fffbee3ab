// Store settings: retention and compaction of the SQLite file.
import { section } from '../define.ts';

export const store = section('store', 'SQLite store', {
  retention: 90 * 86400,
  compactInterval: 86400,
  batchSize: 5000,
  leaseHeartbeat: 2,
  leaseStale: 10,
  inboxPoll: 0.25,
  inboxMaxRows: 64,
}, {
  retention: {
    kind: 'duration', env: 'PROBEWATCH_RETENTION', min: 0,
    doc: 'Sources not seen for this long are pruned (0 keeps everything); longer keeps history for slow scanners at the cost of file size.',
  },
  compactInterval: {
    kind: 'duration', min: 0,
    doc: 'How often pruning runs and the file is compacted (incremental vacuum); 0 disables it.',
  },
  batchSize: {
    kind: 'int', min: 1, max: 1_000_000,
    doc: 'Events per write transaction; larger batches are faster but hold more in memory and widen the window a crash replays.',
  },
  leaseHeartbeat: {
    kind: 'duration', min: 0.05, max: 60,
    doc: 'How often serve (and a direct-mode ingest) renews its lease on the store; shorter notices a dead holder sooner at the cost of a write per beat.',
  },
  leaseStale: {
    kind: 'duration', min: 0.2, max: 3600,
    doc: 'A lease not renewed for this long is dead (a holder on this host is dead at once when its pid is gone); shorter recovers sooner, too short mistakes a stalled holder for a dead one.',
  },
  inboxPoll: {
    kind: 'duration', min: 0.01, max: 60,
    doc: 'How often serve looks for batches `probewatch ingest` handed over; shorter hands over faster at the cost of idle queries.',
  },
  inboxMaxRows: {
    kind: 'int', min: 1, max: 100_000,
    doc: 'Batches an ingest may leave waiting for serve before it pauses reading; larger lets ingest run ahead at the cost of file size.',
  },
});
