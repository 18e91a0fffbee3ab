import { join } from 'node:path';
import { startDashboardServer, READ } from './test/ui/server.ts';
const srv = await startDashboardServer({ seed: 42, sources: 300, hours: 30, uiDir: join(process.cwd(), 'dist/ui') });
const loud = [...srv.sim.sources.values()].filter((s) => s.profile.dangerLevel >= 4 && s.profile.whois)[0]!.profile;
console.log(loud.ip);
for (const u of [`/sources/${encodeURIComponent(loud.ip)}`, `/sources/${encodeURIComponent(loud.ip)}/timeline?window=7d`, `/sources/${loud.ip}`]) {
  const r = await fetch(srv.url + u, { headers: { authorization: `Bearer ${READ}` } });
  console.log(u, r.status, (await r.text()).slice(0, 300));
}
await srv.close();
