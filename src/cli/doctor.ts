// `probewatch doctor`: checks the firewall logging, the logs, capture and GeoIP set-up, and says how to fix each problem.
import { loadConfig } from '../config/load.ts';
import { checkFirewall } from '../logs/doctor-firewall.ts';
import { checkCapture, checkGeo } from '../logs/doctor-host.ts';
import { DEFAULT_LOG_FILES, checkLogs } from '../logs/doctor-logs.ts';
import type { Finding, Severity } from '../logs/doctor-types.ts';
import { COMMON_OPTIONS, parseCommandArgs } from './command.ts';
import type { Command } from './command.ts';
import { configLayersFromArgs } from './load-config.ts';

const MARK: Readonly<Record<Severity, string>> = { ok: 'ok   ', info: 'info ', warn: 'WARN ', error: 'ERROR' };

/** Renders findings as text, worst last so the fixes stay on screen. */
export function renderFindings(findings: readonly Finding[], sections: readonly [string, number][]): string {
  let out = '';
  let i = 0;
  for (const [title, n] of sections) {
    out += `\n${title}\n`;
    for (const f of findings.slice(i, i + n)) {
      out += `  ${MARK[f.severity]} ${f.title}\n`;
      if (f.detail) out += `        ${f.detail.replace(/\n/g, '\n        ')}\n`;
      if (f.fix && f.severity !== 'ok') out += `        fix: ${f.fix.replace(/\n/g, '\n        ')}\n`;
    }
    i += n;
  }
  const count = (s: Severity) => findings.filter((f) => f.severity === s).length;
  return `${out}\n${count('error')} error(s), ${count('warn')} warning(s)\n`;
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check firewall LOG rules, log arrival and loss, capture permissions and GeoIP files; print the fixes',
  usage: [
    'probewatch doctor [--config FILE] [--log FILE]... [--journal] [--netns NAME] [--interface IF]... [--mmdb FILE]... [--json]',
    '',
    '  --netns NAME   list the firewall rules inside network namespace NAME (ip netns exec)',
    '  --json         one JSON document {findings:[{id,severity,title,detail?,fix?}]}',
    'Exit status: 0 when nothing is an error, 1 when something is (warnings alone exit 0), 2 for usage errors.',
  ].join('\n'),
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      ...COMMON_OPTIONS,
      log: { type: 'string', multiple: true },
      journal: { type: 'boolean' },
      timezone: { type: 'string' },
      netns: { type: 'string' },
      interface: { type: 'string', multiple: true },
      mmdb: { type: 'string', multiple: true },
      json: { type: 'boolean' },
    }, false);
    const { netns, interface: ifaces, mmdb, json, ...rest } = values;
    const { config } = loadConfig(configLayersFromArgs(rest));
    const logs = config.logs;
    const parserOptions = { maxLineLength: logs.maxLineLength, sidTag: logs.sidTag, ...(logs.timezone ? { timezone: logs.timezone } : {}) };
    const configured = logs.files.length > 0;
    const fw = await checkFirewall(netns ? { netns } : {});
    const lg = await checkLogs({
      files: configured ? logs.files : DEFAULT_LOG_FILES, configured, journal: logs.journal, journalctl: logs.journalctl, parserOptions,
    });
    const cap = await checkCapture({ interfaces: ifaces ?? [] });
    const geo = await checkGeo({ files: mmdb ?? [] });
    const findings = [...fw, ...lg, ...cap, ...geo];
    if (json) {
      process.stdout.write(`${JSON.stringify({ findings }, null, 2)}\n`);
    } else {
      process.stdout.write(renderFindings(findings, [['Firewall logging', fw.length], ['Logs', lg.length], ['Capture', cap.length], ['GeoIP', geo.length]]));
    }
    return findings.some((f) => f.severity === 'error') ? 1 : 0;
  },
};
