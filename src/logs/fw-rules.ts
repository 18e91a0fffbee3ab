// Finds the logging rules in a firewall ruleset (iptables-save text, `nft -j list ruleset` JSON): what they log and
// whether a rate limit caps them. Pure: text in, rules out (doctor runs the commands).

/** How a rule logs. */
export type LogRuleKind = 'LOG' | 'NFLOG' | 'ULOG' | 'nft-log' | 'nft-group';

/** One logging rule. */
export interface LogRule {
  /** Where it was listed: iptables-save, ip6tables-save or nft. */
  source: 'iptables' | 'ip6tables' | 'nft';
  /** Table family for nft (ip, ip6, inet, bridge, …); 'ip'/'ip6' for the iptables tools. */
  family: string;
  /** Table name. */
  table: string;
  /** Chain name. */
  chain: string;
  /** LOG/NFLOG target or nft log statement (to the kernel log, or to an NFLOG group). */
  kind: LogRuleKind;
  /** Log prefix ('' when none). */
  prefix: string;
  /** NFLOG group (NFLOG targets and nft `log group`). */
  group?: number;
  /** Logs TCP options (--log-tcp-options, nft flags "tcp options"/"all"): needed for OS guesses. */
  tcpOptions: boolean;
  /** Logs IP options (--log-ip-options, nft flags "ip options"/"all"): needed for Topera detection. */
  ipOptions: boolean;
  /** Logs TCP sequence numbers. */
  tcpSequence: boolean;
  /** Logs the UID of local sockets. */
  uid: boolean;
  /** A rate limit in the same rule, normalised to lines per minute (undefined: unlimited). */
  perMinute?: number;
  /** The limit as written ("3/min burst 10"). */
  limitText?: string;
  /** Whether this looks like UFW's logging (ufw-* chains, "[UFW " prefixes). */
  ufw: boolean;
  /** The rule as listed (iptables-save line, or the nft expression list as JSON). */
  text: string;
}

const PER_MINUTE: Readonly<Record<string, number>> = {
  s: 60, sec: 60, second: 60, m: 1, min: 1, minute: 1, h: 1 / 60, hour: 1 / 60, d: 1 / 1440, day: 1 / 1440,
};

/** Splits an iptables-save rule line into words, honouring double quotes (with \" inside). */
export function splitRule(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQ = false;
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (inQ) {
      if (c === '\\' && line[i + 1] === '"') { cur += '"'; i++; continue; }
      if (c === '"') { inQ = false; continue; }
      cur += c;
      continue;
    }
    if (c === '"') { inQ = true; has = true; continue; }
    if (c === ' ' || c === '\t') {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
      continue;
    }
    cur += c;
    has = true;
  }
  if (has || cur) out.push(cur);
  return out;
}

function perMinute(rate: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\/(\w+)$/.exec(rate);
  if (!m) return undefined;
  const f = PER_MINUTE[m[2]!.toLowerCase()];
  return f === undefined ? undefined : Number(m[1]) * f;
}

/** Logging rules of an iptables-save / ip6tables-save listing. */
export function rulesFromIptablesSave(text: string, source: 'iptables' | 'ip6tables'): LogRule[] {
  const rules: LogRule[] = [];
  let table = 'filter';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) { table = line.slice(1); continue; }
    if (!line.startsWith('-A ')) continue;
    const w = splitRule(line);
    const j = w.indexOf('-j');
    const target = j >= 0 ? w[j + 1] : undefined;
    if (target !== 'LOG' && target !== 'NFLOG' && target !== 'ULOG') continue;
    const chain = w[1] ?? '';
    const opt = (name: string): string | undefined => {
      const k = w.indexOf(name, j);
      return k >= 0 ? w[k + 1] : undefined;
    };
    const prefix = opt('--log-prefix') ?? opt('--nflog-prefix') ?? opt('--ulog-prefix') ?? '';
    const rule: LogRule = {
      source, family: source === 'iptables' ? 'ip' : 'ip6', table, chain, kind: target, prefix,
      tcpOptions: w.includes('--log-tcp-options'), ipOptions: w.includes('--log-ip-options'),
      tcpSequence: w.includes('--log-tcp-sequence'), uid: w.includes('--log-uid'),
      ufw: chain.startsWith('ufw') || prefix.startsWith('[UFW '), text: line,
    };
    const g = opt('--nflog-group') ?? opt('--ulog-nlgroup');
    if (g !== undefined) rule.group = Number(g);
    const lim = w.indexOf('--limit');
    const hl = w.indexOf('--hashlimit-upto');
    const rateText = lim >= 0 && lim < (j < 0 ? w.length : j) ? w[lim + 1] : hl >= 0 ? w[hl + 1] : undefined;
    if (rateText !== undefined) {
      const burst = w.indexOf('--limit-burst') >= 0 ? w[w.indexOf('--limit-burst') + 1] : w.indexOf('--hashlimit-burst') >= 0 ? w[w.indexOf('--hashlimit-burst') + 1] : undefined;
      const pm = perMinute(rateText);
      if (pm !== undefined) rule.perMinute = pm;
      rule.limitText = burst === undefined ? rateText : `${rateText} burst ${burst}`;
    }
    rules.push(rule);
  }
  return rules;
}

function flagsOf(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

/**
 * Logging rules of `nft -j list ruleset` output. Rules that iptables-nft made (they carry an "xt" target) are left to
 * iptables-save, which shows their options; nft's JSON does not.
 */
export function rulesFromNftJson(doc: unknown): LogRule[] {
  const rules: LogRule[] = [];
  const items = (doc as { nftables?: unknown[] } | null)?.nftables;
  if (!Array.isArray(items)) return rules;
  for (const item of items) {
    const r = (item as { rule?: { family?: string; table?: string; chain?: string; expr?: unknown[] } }).rule;
    if (!r || !Array.isArray(r.expr)) continue;
    if (r.expr.some((e) => typeof e === 'object' && e !== null && 'xt' in e)) continue;
    let limit: { rate?: number; per?: string; burst?: number } | undefined;
    for (const e of r.expr) {
      if (typeof e !== 'object' || e === null) continue;
      if ('limit' in e) limit = (e as { limit: { rate?: number; per?: string; burst?: number } }).limit;
      if (!('log' in e)) continue;
      const log = ((e).log ?? {}) as { prefix?: string; group?: number; flags?: unknown };
      const flags = flagsOf(log.flags);
      const all = flags.includes('all');
      const rule: LogRule = {
        source: 'nft', family: r.family ?? '', table: r.table ?? '', chain: r.chain ?? '',
        kind: log.group !== undefined ? 'nft-group' : 'nft-log', prefix: log.prefix ?? '',
        tcpOptions: all || flags.includes('tcp options'), ipOptions: all || flags.includes('ip options'),
        tcpSequence: all || flags.includes('tcp sequence'), uid: all || flags.includes('skuid'),
        ufw: (r.chain ?? '').startsWith('ufw') || (log.prefix ?? '').startsWith('[UFW '), text: JSON.stringify(r.expr),
      };
      if (log.group !== undefined) rule.group = log.group;
      if (limit?.rate !== undefined) {
        const f = PER_MINUTE[(limit.per ?? 'second').toLowerCase()] ?? 60;
        rule.perMinute = limit.rate * f;
        rule.limitText = `${limit.rate}/${limit.per ?? 'second'}${limit.burst !== undefined ? ` burst ${limit.burst}` : ''}`;
      }
      rules.push(rule);
    }
  }
  return rules;
}
