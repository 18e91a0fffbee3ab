// Core settings: where state lives and how the process logs.
import { section } from '../define.ts';

export const core = section('core', 'Process-wide settings', {
  dataDir: '/var/lib/probewatch',
  logLevel: 'info',
}, {
  dataDir: {
    kind: 'path', env: 'PROBEWATCH_DATA_DIR', flag: 'data-dir',
    doc: 'Directory holding the SQLite store (probewatch.sqlite); created when missing. Commands without it work in memory where they can.',
  },
  logLevel: {
    kind: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace'], env: 'PROBEWATCH_LOG_LEVEL', flag: 'log-level',
    doc: 'Diagnostic log verbosity on stderr; debug shows every skipped line class and eviction.',
  },
});
