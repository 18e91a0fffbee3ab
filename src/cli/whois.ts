// `probewatch whois ADDR [--whois-server HOST[:PORT]]`: the registry's answer for an address, parsed, as the worker stores it.
import { pwError } from '../domain/errors.ts';
import { parseIp } from '../domain/address.ts';
import { loadConfig } from '../config/load.ts';
import { buildProviders } from '../enrich/providers.ts';
import { parseServer } from '../enrich/whois/servers.ts';
import { COMMON_OPTIONS, parseCommandArgs } from './command.ts';
import type { Command } from './command.ts';
import { configLayersFromArgs } from './load-config.ts';

export const whoisCommand: Command = {
  name: 'whois',
  summary: 'ask the responsible regional registry about an address (RIR from IANA tables, referrals followed)',
  usage: 'probewatch whois ADDR [--whois-server HOST[:PORT]] [--json] [--raw] [--config FILE]\n  exit 0 record found, 1 no record or failure, 2 usage',
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      ...COMMON_OPTIONS, 'whois-server': { type: 'string' }, json: { type: 'boolean' }, raw: { type: 'boolean' },
    });
    if (positionals.length !== 1) throw pwError('PW_ERR_USAGE', ['give exactly one address']);
    const ip = parseIp(positionals[0]!);
    if (!ip) throw pwError('PW_ERR_INVALID_ADDRESS', [positionals[0]!]);
    const { config } = loadConfig(configLayersFromArgs(values));
    if (!config.enrich.whois) throw pwError('PW_ERR_USAGE', ['whois is switched off (--no-whois or enrich.whois: false)']);
    const force = values['whois-server'] === undefined ? null : parseServer(values['whois-server']);
    if (values['whois-server'] !== undefined && !force) throw pwError('PW_ERR_USAGE', [`bad --whois-server ${values['whois-server']}`]);
    const p = buildProviders({ ...config.enrich, rdns: false, mmdb: ['/nonexistent'], bundledGeo: false }, { forceServer: force });
    const r = await p.whois!.lookup(ip.text);
    await p.pacer?.stop();
    if (values.json) {
      process.stdout.write(`${JSON.stringify(r.kind === 'done' ? { ...r, block: undefined, info: r.info && !values.raw ? { ...r.info, raw: undefined } : r.info } : r, null, 2)}\n`);
    } else if (r.kind === 'done') {
      if (values.raw && r.info) process.stdout.write(`${r.info.raw}\n`);
      const i = r.info;
      const line = (k: string, v: string | number | null | undefined): void => { if (v !== null && v !== undefined && v !== '') process.stdout.write(`${k.padEnd(10)} ${v}\n`); };
      line('registry', r.registry);
      line('server', r.server);
      if (i) {
        line('range', i.range);
        line('cidr', i.cidrs.join(', '));
        line('netname', i.netname);
        line('org', [i.orgName, i.orgId ? `(${i.orgId})` : null].filter((x) => x).join(' '));
        line('country', i.country);
        for (const d of i.descr) line('descr', d);
        line('abuse', i.abuse);
        line('status', i.status);
        line('created', i.created);
        line('updated', i.updated);
        line('origin', i.originAs === null ? null : `AS${i.originAs}`);
        line('parsed', i.parsed ? null : 'no (raw answer kept; --raw prints it)');
      }
      line('note', r.reason);
    } else {
      process.stderr.write(`probewatch whois: ${r.kind}: ${'reason' in r ? r.reason : r.message}\n`);
    }
    return r.kind === 'done' && r.info ? 0 : 1;
  },
};
