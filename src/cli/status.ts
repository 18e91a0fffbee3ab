// `probewatch status`: psad -S from the store — levels, top signatures, attackers and ports, then source detail — with
// filters that work (--ip, --min-dl), as text or JSON.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config/load.ts';
import { canonicalIp } from '../domain/address.ts';
import { isoTime } from '../domain/clock.ts';
import { pwError } from '../domain/errors.ts';
import { openStore, STORE_FILE } from '../store/db.ts';
import type { Db } from '../store/db.ts';
import type { Config } from '../config/schema.ts';
import type { SourceProfile } from '../domain/profile.ts';
import type { ProfileLimits } from '../domain/scan-profile.ts';
import { ProfileReader } from '../store/profile-read.ts';
import { StoreProfileReader } from '../store/queries/profile-reader.ts';
import { ScanQuery } from '../store/scan-query.ts';
import { COMMON_OPTIONS, parseCommandArgs } from './command.ts';
import type { Command } from './command.ts';
import { configLayersFromArgs } from './load-config.ts';
import { renderReport, safe } from './report.ts';
import { reportFromStore } from './scan-session.ts';

const USAGE = `probewatch status [--data-dir DIR] [--ip IP] [--min-dl N] [--limit N] [--json]

Shows what the store knows (what psad -S shows): sources per danger level, top signatures, attackers and ports, followed
inputs, and the detail of the most dangerous sources.
  --ip IP      only this source (any spelling of the address)
  --min-dl N   only sources at danger level N (0-5) or above
  --limit N    at most N sources in the detail and in --json (default: detect.reportTopIps; 0 = all)
  --json       {sources: [PROFILE…], totals} instead of text`;

/** Whole profiles as the API shows them: scan state plus OS guesses, enrichment (with its policy) and response state. */
function mergedProfiles(db: Db, config: Config, ips: readonly string[], limits: ProfileLimits = {}): SourceProfile[] {
  const detect = new ProfileReader(db, limits);
  const reader = new StoreProfileReader(db, { read: (ip) => detect.one(ip) }, config.enrich);
  return ips.map((ip) => reader.read(ip)).filter((p): p is SourceProfile => p !== null);
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'show scan state from the store like psad -S (--ip, --min-dl filters; --json)',
  usage: USAGE,
  run(argv) {
    const { values } = parseCommandArgs(argv, {
      ...COMMON_OPTIONS, ip: { type: 'string' }, 'min-dl': { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' },
    }, false);
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return Promise.resolve(0);
    }
    const { config } = loadConfig(configLayersFromArgs(values));
    let minDl: number | undefined;
    if (values['min-dl'] !== undefined) {
      if (!/^[0-5]$/.test(values['min-dl'])) throw pwError('PW_ERR_USAGE', ['--min-dl takes a level from 0 to 5']);
      minDl = Number(values['min-dl']);
    }
    let limit = config.detect.reportTopIps;
    if (values.limit !== undefined) {
      if (!/^\d+$/.test(values.limit)) throw pwError('PW_ERR_USAGE', ['--limit takes a whole number']);
      limit = Number(values.limit);
    }
    let ip: string | undefined;
    if (values.ip !== undefined) {
      const c = canonicalIp(values.ip);
      if (!c) throw pwError('PW_ERR_INVALID_ADDRESS', [values.ip]);
      ip = c;
    }
    const dir = config.core.dataDir;
    if (!existsSync(join(dir, STORE_FILE))) throw pwError('PW_ERR_NOT_FOUND', [`store ${join(dir, STORE_FILE)}`]);
    const db = openStore(dir, { readonly: true });
    try {
      const q = new ScanQuery(db);
      const rows = q.sources({ ...(minDl !== undefined ? { minDl } : {}), ...(ip !== undefined ? { ip } : {}), limit });
      if (ip !== undefined && rows.length === 0) {
        if (values.json) process.stdout.write(`${JSON.stringify({ sources: [], totals: { matched: 0 } })}\n`);
        else process.stdout.write(`[+] ${ip}: no such source${minDl !== undefined ? ` at level ${minDl} or above` : ''}\n`);
        return Promise.resolve(1);
      }
      const offsets = db.prepare<[], { source: string; position: string; line: number; updated_at: number }>(
        'SELECT source, position, line, updated_at FROM log_offsets ORDER BY source').all();
      if (values.json) {
        const profiles = mergedProfiles(db, config, rows.map((r) => r.ip));
        const levels: Record<string, number> = {};
        q.levelCounts().forEach((n, dl) => (levels[String(dl)] = n));
        const totals = {
          sources: q.totalSources(), levels, matched: rows.length,
          topPorts: q.topPorts(config.detect.reportTopPorts), signatures: q.topSignatures(config.detect.reportTopSigs),
          inputs: offsets.map((o) => ({ source: o.source, position: o.position, line: o.line, updatedAt: isoTime(o.updated_at) })),
        };
        process.stdout.write(`${JSON.stringify({ sources: profiles, totals })}\n`);
        return Promise.resolve(0);
      }
      const report = reportFromStore({ ...config, detect: { ...config.detect, reportTopIps: limit } }, db, {
        ...(minDl !== undefined ? { minDl } : {}), ...(ip !== undefined ? { ip } : {}),
      });
      if (minDl === 0 || ip !== undefined) {
        // level-0 sources and a named source are shown even below MIN_DANGER_LEVEL
        report.topAttackers = rows.map((a) => ({ ip: a.ip, dl: a.dl, packets: a.packets, sigCount: a.sigCount }));
        report.details = mergedProfiles(db, config, rows.map((r) => r.ip), { maxPorts: 50 });
      }
      let text = renderReport(report);
      if (offsets.length > 0) {
        text += `[+] Followed inputs:\n${offsets.map((o) => `      ${safe(o.source)}: line ${o.line}, offset ${safe(o.position)}, updated ${isoTime(o.updated_at)}`).join('\n')}\n`;
      }
      process.stdout.write(text);
      return Promise.resolve(0);
    } finally {
      db.close();
    }
  },
};
