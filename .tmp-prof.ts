import { join } from 'node:path';
import { openStore } from './src/store/db.ts';
import { SqliteDashboard } from './src/store/rollups-read.ts';
import { dashboard as d } from './src/config/sections/dashboard.ts';
import { systemClock } from './src/domain/clock.ts';
const db = openStore(join(process.cwd(), 'bench/out/ui-20000'));
const dash = new SqliteDashboard(db, d.defaults, systemClock);
for (const w of ['24h', '7d', '90d'] as const) {
  for (let k = 0; k < 3; k++) { const t = performance.now(); dash.overview(w, Date.now()); console.log(w, (performance.now() - t).toFixed(2)); }
}
const t = performance.now(); db.prepare('SELECT * FROM ui_hours WHERE hour > ?').all(0); console.log('hours all', (performance.now()-t).toFixed(2));
console.log(db.prepare('SELECT count(*) FROM ui_hours').pluck().get(), db.prepare('SELECT count(*) FROM ui_active_hours').pluck().get(), db.prepare('SELECT count(*) FROM ui_seen_hours').pluck().get());
