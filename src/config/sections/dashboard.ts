// Dashboard settings: the browser page served at /ui/ and the hourly rollups behind its charts.
import { section } from '../define.ts';

export const dashboard = section('dashboard', 'Browser dashboard and its rollups', {
  enabled: true,
  rollupInterval: 1,
  rollupBatch: 2000,
  hourlyRetention: 92 * 86_400,
  dailyRetention: 400 * 86_400,
  portsPerHour: 100,
  openHourPorts: 2000,
  levelChangeRetention: 30 * 86_400,
  sourceHoursRetention: 92 * 86_400,
  uiDir: '',
  sessionLifetime: 8 * 3600,
  maxSessions: 1000,
}, {
  enabled: {
    kind: 'bool', env: 'PROBEWATCH_DASHBOARD',
    doc: 'Serve the dashboard at /ui/ and keep its rollups; off saves the rollup writes (a few per profile change) and hides the page.',
  },
  rollupInterval: {
    kind: 'duration', min: 0.05, max: 3600,
    doc: 'Seconds between rollup steps in serve; shorter keeps charts and the live strip closer to real time at more small transactions.',
  },
  rollupBatch: {
    kind: 'int', min: 1, max: 1_000_000,
    doc: 'Outbox rows folded into the rollups per transaction; larger catches up faster after a burst but holds the write lock longer.',
  },
  hourlyRetention: {
    kind: 'duration', min: 86_400,
    doc: 'How long hourly rollups (timeline, heat map, per-country last-seen, sketches) are kept; must cover the longest window (90 days) plus its previous window for full comparisons, longer costs file size.',
  },
  dailyRetention: {
    kind: 'duration', min: 86_400,
    doc: 'How long daily rollups (long-window heat map and map counts) are kept; longer keeps history at a few rows per day.',
  },
  portsPerHour: {
    kind: 'int', min: 10, max: 100_000,
    doc: 'Ports kept per closed hour or day bucket, the rest folded into "other"; more keeps rare ports visible in long windows at more rows to sum.',
  },
  openHourPorts: {
    kind: 'int', min: 10, max: 1_000_000,
    doc: 'Distinct ports the current hour may hold before new ports go to "other" (a full 65 535-port sweep would otherwise add a row each); higher is exact for wider sweeps, lower keeps queries on the live hour fast.',
  },
  levelChangeRetention: {
    kind: 'duration', min: 3600,
    doc: 'How long danger-level changes are kept for the live strip and the source page step chart (when detect keeps no history); longer costs one row per change.',
  },
  sourceHoursRetention: {
    kind: 'duration', min: 86_400,
    doc: 'How long per-source packets per hour (the source page chart) are kept; one row per source per active hour.',
  },
  uiDir: {
    kind: 'path', env: 'PROBEWATCH_UI_DIR',
    doc: 'Directory of the built page (npm run build:ui writes one); empty = the build shipped with probewatch (dist/ui). Lets you serve a customised or freshly built page.',
  },
  sessionLifetime: {
    kind: 'duration', min: 60, max: 30 * 86_400,
    doc: 'How long a dashboard sign-in (cookie session) lasts; longer asks for the token less often, shorter limits what a stolen cookie is worth.',
  },
  maxSessions: {
    kind: 'int', min: 1, max: 1_000_000,
    doc: 'Dashboard sessions kept in memory; past it the oldest is signed out. Higher suits many viewers, costs about 100 bytes each.',
  },
});
