// `probewatch geo ADDR… [--mmdb F…]`: what the geo/ASN provider says about addresses, and which databases it uses.
import { pwError } from '../domain/errors.ts';
import { loadConfig } from '../config/load.ts';
import { buildProviders } from '../enrich/providers.ts';
import { BUNDLED_CREDIT } from '../enrich/geo/default-dbs.ts';
import { COMMON_OPTIONS, parseCommandArgs } from './command.ts';
import type { Command } from './command.ts';
import { configLayersFromArgs } from './load-config.ts';

export const geoCommand: Command = {
  name: 'geo',
  summary: 'look addresses up in the geo/ASN databases (--list: which databases are in use)',
  usage: 'probewatch geo ADDR… [--mmdb FILE]… [--json] [--list] [--config FILE]\n  exit 0 found, 1 not found in any database, 2 usage or bad address',
  run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      ...COMMON_OPTIONS, mmdb: { type: 'string', multiple: true }, json: { type: 'boolean' }, list: { type: 'boolean' },
    });
    if (!values.list && positionals.length === 0) throw pwError('PW_ERR_USAGE', ['give at least one address']);
    const { config } = loadConfig(configLayersFromArgs(values));
    const p = buildProviders({ ...config.enrich, whois: false, rdns: false });
    const dbs = p.geo?.describe() ?? [];
    if (values.list) {
      if (values.json) process.stdout.write(`${JSON.stringify({ origin: p.plan.origin, databases: dbs }, null, 2)}\n`);
      else {
        process.stdout.write(`databases (${p.plan.origin}):\n`);
        for (const d of dbs) process.stdout.write(`  ${d.path}\t${d.type ?? '?'}\trole=${d.role ?? '?'}\tIPv${d.ipVersion ?? '?'}\tbuild=${d.build ?? '?'}${d.fallback ? '\t(fallback)' : ''}${d.error ? `\tERROR: ${d.error}` : ''}\n`);
      }
      if (positionals.length === 0) return Promise.resolve(0);
    }
    if (!p.geo) throw pwError('PW_ERR_CONFIG', ['no geo/ASN database: pass --mmdb FILE or install GeoLite2 files in /usr/share/GeoIP']);
    let found = false;
    const results = [];
    for (const a of positionals) {
      const r = p.geo.lookup(a);
      if (!r) throw pwError('PW_ERR_INVALID_ADDRESS', [a]);
      if (r.geo || r.as) found = true;
      results.push(r);
    }
    if (values.json) {
      process.stdout.write(`${JSON.stringify(positionals.length === 1 ? results[0] : results, null, 2)}\n`);
    } else {
      for (const r of results) {
        const g = r.geo;
        const where = g ? [g.city, g.region, g.countryName ?? g.country].filter((x) => x).join(', ') : '-';
        process.stdout.write(`${r.ip}\n  country: ${g?.country ?? '-'}\n  location: ${where}\n`);
        if (g && g.latitude != null && g.longitude != null) process.stdout.write(`  coordinates: ${g.latitude}, ${g.longitude}${g.accuracyRadius != null ? ` (±${g.accuracyRadius} km)` : ''}\n`);
        if (g?.anonymous) process.stdout.write(`  anonymous: ${Object.entries(g.anonymous).filter(([, v]) => v).map(([k]) => k).join(', ') || 'no'}\n`);
        process.stdout.write(`  as: ${r.as ? `AS${r.as.number ?? '?'} ${r.as.organization ?? ''} (${r.as.network ?? '?'})` : '-'}\n`);
        process.stdout.write(`  geo: ${r.geoState.state}${r.geoState.reason ? ` (${r.geoState.reason})` : ''} from ${r.geoState.source ?? '-'} build ${r.geoState.build ?? '-'}\n`);
        process.stdout.write(`  asn: ${r.asnState.state}${r.asnState.reason ? ` (${r.asnState.reason})` : ''} from ${r.asnState.source ?? '-'} build ${r.asnState.build ?? '-'}\n`);
      }
      if (p.plan.origin === 'bundled' || dbs.some((d) => d.fallback && d.type)) process.stdout.write(`\n${BUNDLED_CREDIT}\n`);
    }
    return Promise.resolve(found ? 0 : 1);
  },
};
