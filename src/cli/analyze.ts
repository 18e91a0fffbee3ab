// `probewatch analyze`: the counterpart of psad -A — reads firewall logs (files or stdin), reports who scanned what,
// as text or one JSON document; in memory unless --data-dir keeps the state.
import { statSync } from 'node:fs';
import { loadConfig } from '../config/load.ts';
import type { ProviderState, SourceProfile } from '../domain/profile.ts';
import { pwError } from '../domain/errors.ts';
import { runAnalysis } from './analysis.ts';
import { COMMON_OPTIONS, parseCommandArgs } from './command.ts';
import type { Command } from './command.ts';
import { loadDetectRules } from './detect-setup.ts';
import { configLayersFromArgs } from './load-config.ts';
import { renderReport } from './report.ts';
import type { ReportData } from './report.ts';
import { allProfiles, CounterWriter, openSession, reportFromMemory, reportFromStore } from './scan-session.ts';
import { pipeWatch } from './output.ts';
import { ProfileJson } from './profile-json.ts';

/** What `--mmdb FILE…` and `--whois` ask for. */
export interface AnalyzeEnrichment {
  mmdb: string[];
  whois: boolean;
  rdns: boolean;
}

/** Adds geo/ASN/whois data to finished profiles (provided by the enrichment area and wired by the composition root). */
export type AnalyzeEnricher = (profiles: SourceProfile[], opts: AnalyzeEnrichment) => Promise<void>;

let enricher: AnalyzeEnricher | null = null;

/** Installs the enrichment function analyze calls when --mmdb or --whois is given. */
export function setAnalyzeEnricher(fn: AnalyzeEnricher | null): void {
  enricher = fn;
}

const USAGE = `probewatch analyze [--psad-conf FILE [--psad-override FILE,…]] [--config FILE] [--json] [--data-dir DIR]
                   [--mmdb FILE]… [--whois] [--no-progress] FILE… | -

Reads firewall log files (or - for stdin) and reports every source that sent counted packets: danger level, ports,
scan types, signatures, chains and interfaces, and the malformed lines it could not count.
  --psad-conf FILE   psad.conf to take settings from; turns on psad compatibility (psad -A verdicts, quirks included)
  --json             one JSON document {sources, totals, errors} instead of the report
  --data-dir DIR     keep the state in DIR's store (merged with what is there) instead of memory
  --mmdb FILE        GeoIP/ASN database for the report and each --json source (repeatable; replaces the
                     configured and bundled ones)
  --whois            also ask the registries' whois servers (and reverse DNS unless --no-rdns) about sources at
                     enrich.minDangerLevel or above; without it an offline report makes no network query
Exit 0 when the input was read (malformed lines are counted, not fatal), 1 when an input could not be read,
2 on a usage or configuration error.`;

function progressBar(total: number): { update: (lines: number, bytes: number) => void; done: () => void } {
  const started = Date.now();
  let last = 0;
  const draw = (lines: number, bytes: number): void => {
    const secs = Math.max(0.001, (Date.now() - started) / 1000);
    const pct = total > 0 ? ` ${Math.min(100, (bytes / total) * 100).toFixed(1)}%` : '';
    const rate = Math.round(lines / secs);
    process.stderr.write(`\r  ${lines.toLocaleString('en')} lines${pct}  ${rate.toLocaleString('en')} lines/s  ${(bytes / 1048576).toFixed(1)} MB   `);
  };
  return {
    update(lines, bytes) {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      draw(lines, bytes);
    },
    done() {
      if (last > 0) process.stderr.write('\r\x1b[K');
    },
  };
}

export const analyzeCommand: Command = {
  name: 'analyze',
  summary: 'analyse firewall log files like psad -A: danger levels, scan types, signatures (--json for a document)',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      ...COMMON_OPTIONS,
      json: { type: 'boolean' },
      mmdb: { type: 'string', multiple: true },
      whois: { type: 'boolean' },
      progress: { type: 'boolean' },
      'no-progress': { type: 'boolean' },
    }, true);
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length === 0) throw pwError('PW_ERR_USAGE', ['no input: give log files, or - for stdin']);
    const opts = configLayersFromArgs(values);
    const { config, origins } = loadConfig(opts);
    const notes: string[] = [...(opts.psad?.warnings ?? [])];
    const { rules, sources } = loadDetectRules(config);
    notes.push(...sources.notes);
    const dataDir = origins.has('core.dataDir') ? config.core.dataDir : null;
    const notice = (m: string): void => void process.stderr.write(`probewatch analyze: ${m}\n`);
    let total = 0;
    for (const f of positionals) {
      try {
        if (f !== '-') total += statSync(f).size;
      } catch {
        // reported as unreadable by the run
      }
    }
    const session = openSession(config, dataDir, notice, total);
    try {
      const wantEnrich = (values.mmdb?.length ?? 0) > 0 || values.whois === true;
      // the composition root's enricher unless a test installed one; loaded only when asked for (maxmind, whoiser)
      const own = wantEnrich && !enricher ? (await import('./analyze-enrich.ts')).analyzeEnricher(config.enrich) : null;
      const fn = enricher ?? own?.enrich ?? null;
      // reverse DNS is a network query like whois: only with --whois
      // --no-whois / --no-rdns win over --whois, whatever the order they are given in
      const whois = values.whois === true && values['no-whois'] !== true;
      const eopts = { mmdb: values.mmdb ?? [], whois, rdns: whois && values['no-rdns'] !== true };
      // the databases are read on the thread pool while the logs are parsed, not after
      own?.prefetch(eopts);
      // --no-progress first: asking process.stderr whether it is a terminal makes Node build the stream (~8 ms)
      const showProgress = values.progress === true || (values['no-progress'] !== true && process.stderr.isTTY);
      const bar = showProgress ? progressBar(total) : null;
      const counters = new CounterWriter();
      const run = await runAnalysis({
        config, rules, directory: session.cache, inputs: positionals,
        ...(bar ? { progress: bar.update } : {}),
      });
      bar?.done();
      const fromStore = session.persistent || session.cache.spilled;
      if (fromStore) {
        const db = session.db();
        session.cache.flush();
        db.transaction(() => {
          counters.save(session.cache.repo, run.detector.totals);
          counters.saveMode(session.cache.repo, config.detect.compat);
        })();
      }
      const totals = run.detector.totals;
      const report: ReportData = fromStore ? reportFromStore(config, session.db()) : reportFromMemory(config, session.cache.table, session.cache.hotIds(), totals);
      const parse = run.stats.summary();
      report.input = {
        inputs: positionals, lines: run.lines, counted: totals.counted, parse, skipped: [...totals.skipped].sort((a, b) => b[1] - a[1]),
        unreadable: run.unreadable, elapsedMs: run.elapsedMs,
      };
      report.notes = notes;
      const enrich = async (profiles: SourceProfile[]): Promise<void> => {
        if (wantEnrich && fn) await fn(profiles, eopts);
        else for (const p of profiles) notEnriched(p);
      };
      try {
        const pipe = pipeWatch();
        if (values.json) {
          await writeJson(allProfiles(session, fromStore), report, enrich, pipe);
        } else {
          await enrich(report.details);
          process.stdout.write(renderReport(report));
        }
      } finally {
        await own?.close();
      }
      for (const n of notes) if (values.json) notice(n);
      return run.unreadable.length > 0 ? 1 : 0;
    } finally {
      session.close();
    }
  },
};

/** A provider state of a run that looks nothing up. */
function off(reason: string): ProviderState {
  return { state: 'disabled', reason, fetchedAt: null, source: null, build: null };
}

/**
 * The enrichment states of a profile analyze was not asked to enrich: each provider still 'pending' (the skeleton's
 * state, which says data is on its way: it never comes here) becomes 'disabled' with the option that would turn it on.
 * What a store already held (analyze --data-dir over a serve's store) stays as it is.
 */
function notEnriched(p: SourceProfile): void {
  const e = p.enrichment;
  if (e.geo.state === 'pending') e.geo = off('no geo database given (--mmdb)');
  if (e.asn.state === 'pending') e.asn = off('no ASN database given (--mmdb)');
  if (e.whois.state === 'pending') e.whois = off('whois is switched off (--whois)');
  if (e.rdns.state === 'pending') e.rdns = off('reverse DNS is switched off (--whois)');
}

/** Streams the JSON document (profiles one by one, so a million sources never sit in one string). */
async function writeJson(profiles: Iterable<SourceProfile>, r: ReportData, enrich: (p: SourceProfile[]) => Promise<void>,
  pipe: { readonly gone: boolean }): Promise<void> {
  const out = process.stdout;
  // resolves on drain, or on the error of a reader that went away (no drain ever comes then)
  const write = (s: string): Promise<void> => new Promise((resolve) => {
    if (pipe.gone || out.write(s)) {
      resolve();
      return;
    }
    const done = (): void => {
      out.off('drain', done);
      out.off('error', done);
      resolve();
    };
    out.once('drain', done);
    out.once('error', done);
  });
  await write('{"sources":[');
  let first = true;
  let page: SourceProfile[] = [];
  const json = new ProfileJson();
  const emit = async (): Promise<void> => {
    await enrich(page);
    let chunk = '';
    for (const p of page) {
      chunk += (first ? '\n' : ',\n') + json.stringify(p);
      first = false;
    }
    page = [];
    await write(chunk);
  };
  for (const p of profiles) {
    // nobody reads any more: building the rest of the profiles would be wasted
    if (pipe.gone) return;
    page.push(p);
    if (page.length >= 500) await emit();
  }
  await emit();
  const i = r.input;
  const levels: Record<string, number> = {};
  r.levels.forEach((n, dl) => (levels[String(dl)] = n));
  const totals = {
    mode: r.mode,
    lines: i?.lines ?? 0,
    packets: i?.parse.packets ?? 0,
    counted: i?.counted ?? 0,
    sources: r.sources,
    levels,
    protocols: Object.fromEntries(r.protocols),
    prefixes: Object.fromEntries(r.prefixes),
    topPorts: r.topPorts,
    signatures: r.topSigs,
    notCounted: Object.fromEntries(i?.skipped ?? []),
    elapsedMs: i?.elapsedMs ?? 0,
    linesPerSecond: i && i.elapsedMs > 0 ? Math.round((i.lines / i.elapsedMs) * 1000) : null,
  };
  const errors = { ...(i?.parse ?? {}), unreadable: i?.unreadable ?? [] };
  await write(`\n],"totals":${JSON.stringify(totals)},"errors":${JSON.stringify(errors)}}\n`);
}
