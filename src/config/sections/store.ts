// Store settings: retention and compaction of the SQLite file.
import { section } from '../define.ts';

export const store = section('store', 'SQLite store', {
  retention: 90 * 86400,
  compactInterval: 86400,
  batchSize: 5000,
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
});
