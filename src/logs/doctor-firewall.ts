// doctor, firewall part: are there LOG rules (iptables, ip6tables, nftables), do they log TCP options, are they
// rate-limited — each finding with the command that fixes it.
import { execFile } from 'node:child_process';
import type { Finding } from './doctor-types.ts';
import { rulesFromIptablesSave, rulesFromNftJson } from './fw-rules.ts';
import type { LogRule } from './fw-rules.ts';

/** Runs a command with argv (never a shell); resolves with its exit code and output. */
export type Runner = (cmd: string, args: readonly string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

/** The default runner: execFile with a 15 s timeout and a 64 MiB output cap. */
export const execRunner: Runner = (cmd, args) => new Promise((resolve) => {
  execFile(cmd, args, { timeout: 15_000, maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
    const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 127) : 0;
    resolve({ code: err && code === 0 ? 1 : code, stdout, stderr: err && !stderr ? err.message : stderr });
  });
});

/** Options of the firewall check. */
export interface FirewallCheckOptions {
  /** Run the listing commands inside this network namespace (ip netns exec NAME …). */
  netns?: string;
  /** Command runner (tests). */
  run?: Runner;
}

/** Rules found, and listings that could not be read. */
export interface RuleScan {
  /** Every logging rule. */
  rules: LogRule[];
  /** Listing commands that failed, with their message. */
  failed: { cmd: string; message: string }[];
  /** Listing commands that worked. */
  read: string[];
}

/** Lists the rulesets and extracts the logging rules. */
export async function scanRules(opts: FirewallCheckOptions = {}): Promise<RuleScan> {
  const run = opts.run ?? execRunner;
  const wrap = (cmd: string, args: string[]): [string, string[]] => (opts.netns ? ['ip', ['netns', 'exec', opts.netns, cmd, ...args]] : [cmd, args]);
  const out: RuleScan = { rules: [], failed: [], read: [] };
  const tools: [string, string[], (s: string) => LogRule[], boolean][] = [
    ['iptables-save', [], (s) => rulesFromIptablesSave(s, 'iptables'), true],
    ['ip6tables-save', [], (s) => rulesFromIptablesSave(s, 'ip6tables'), true],
    ['iptables-legacy-save', [], (s) => rulesFromIptablesSave(s, 'iptables'), false],
    ['ip6tables-legacy-save', [], (s) => rulesFromIptablesSave(s, 'ip6tables'), false],
    ['nft', ['-j', 'list', 'ruleset'], (s) => rulesFromNftJson(JSON.parse(s === '' ? '{}' : s)), true],
  ];
  for (const [cmd, args, parse, required] of tools) {
    const [c, a] = wrap(cmd, args);
    const r = await run(c, a);
    if (r.code !== 0) {
      if (required) out.failed.push({ cmd: [cmd, ...args].join(' '), message: (r.stderr.trim().split('\n')[0] ?? '').slice(0, 200) });
      continue;
    }
    try {
      out.rules.push(...parse(r.stdout));
      out.read.push(cmd);
    } catch (e) {
      out.failed.push({ cmd: [cmd, ...args].join(' '), message: (e as Error).message.slice(0, 200) });
    }
  }
  return out;
}

function where(r: LogRule): string {
  return r.source === 'nft' ? `nft ${r.family} ${r.table} ${r.chain}` : `${r.source} ${r.table} ${r.chain}`;
}

/** Findings about the logging rules. */
export function firewallFindings(scan: RuleScan): Finding[] {
  const f: Finding[] = [];
  for (const x of scan.failed) {
    f.push({
      id: 'fw.unreadable', severity: 'warn', title: `cannot list firewall rules with ${x.cmd}`, detail: x.message,
      fix: 'run probewatch doctor as root (listing rules needs CAP_NET_ADMIN)',
    });
  }
  const kernelLog = scan.rules.filter((r) => r.kind === 'LOG' || r.kind === 'nft-log');
  const grouped = scan.rules.filter((r) => r.kind === 'NFLOG' || r.kind === 'ULOG' || r.kind === 'nft-group');
  if (kernelLog.length === 0 && grouped.length === 0) {
    if (scan.read.length > 0) {
      f.push({
        id: 'fw.no-log-rules', severity: 'error', title: 'no firewall rule logs packets: probewatch has nothing to read',
        fix: 'log what you drop, with TCP options, before the final DROP, e.g.\n'
          + '  iptables  -A INPUT -j LOG --log-prefix "DROP " --log-tcp-options --log-ip-options\n'
          + '  ip6tables -A INPUT -j LOG --log-prefix "DROP " --log-tcp-options --log-ip-options\n'
          + '  or nftables: nft add rule inet filter input log prefix \\"DROP \\" flags all',
      });
    }
    return f;
  }
  const families = new Set(kernelLog.concat(grouped).map((r) => (r.family === 'inet' ? 'both' : r.family)));
  f.push({
    id: 'fw.log-rules', severity: 'ok',
    title: `${kernelLog.length + grouped.length} logging rule(s): ${[...new Set(scan.rules.map(where))].join('; ')}`,
  });
  if (!families.has('both') && !(families.has('ip') && families.has('ip6'))) {
    const missing = families.has('ip6') ? 'IPv4' : 'IPv6';
    f.push({
      id: 'fw.one-family', severity: 'warn', title: `only ${missing === 'IPv6' ? 'IPv4' : 'IPv6'} packets are logged: ${missing} scans go unseen`,
      fix: missing === 'IPv6' ? 'ip6tables -A INPUT -j LOG --log-prefix "DROP " --log-tcp-options --log-ip-options (or an nft rule in an inet table)'
        : 'iptables -A INPUT -j LOG --log-prefix "DROP " --log-tcp-options --log-ip-options (or an nft rule in an inet table)',
    });
  }
  for (const r of grouped) {
    f.push({
      id: 'fw.nflog', severity: 'info', title: `${where(r)} sends packets to NFLOG group ${r.group ?? 0}${r.prefix ? ` (prefix "${r.prefix}")` : ''}, not to the kernel log`,
      fix: 'let ulogd2 write them with its LOGEMU output and give that file to probewatch (--log /var/log/ulog/syslogemu.log)',
    });
  }
  for (const r of kernelLog.concat(grouped)) {
    if (!r.tcpOptions && r.kind !== 'NFLOG' && r.kind !== 'ULOG' && r.kind !== 'nft-group') {
      f.push({
        id: 'fw.no-tcp-options', severity: 'warn', title: `${where(r)}${r.prefix ? ` "${r.prefix}"` : ''} does not log TCP options: no OS guesses from the log, no masscan detection`,
        detail: r.text,
        fix: r.source === 'nft' ? 'add "flags tcp options" (or "flags all") to the nft log statement' : `add --log-tcp-options (and --log-ip-options) to the ${r.source} LOG rule`,
      });
    }
    if (r.perMinute !== undefined) {
      const low = r.perMinute <= 60;
      f.push({
        id: 'fw.rate-limited', severity: low ? 'warn' : 'info',
        title: `${where(r)}${r.prefix ? ` "${r.prefix}"` : ''} is rate-limited to ${r.limitText ?? ''}${r.ufw ? ' (UFW)' : ''}: packets beyond it are not logged, so scans look smaller and danger levels come out lower`,
        detail: r.text,
        fix: r.ufw ? 'UFW logs at most 3 lines a minute at every level; add your own LOG rule without a limit (e.g. in /etc/ufw/before.rules: -A ufw-before-input -j LOG --log-prefix "DROP " --log-tcp-options before the final drop), or raise the limit in /etc/ufw/*.rules'
          : 'raise or remove the limit (e.g. --limit 100/s --limit-burst 1000), or log dropped packets in a rule without one',
      });
    }
  }
  return f;
}

/** Runs the firewall part of doctor. */
export async function checkFirewall(opts: FirewallCheckOptions = {}): Promise<Finding[]> {
  return firewallFindings(await scanRules(opts));
}
