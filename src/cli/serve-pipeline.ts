// The log pipeline of `serve`: every configured source (files, journald, syslog listeners) → detection with the psad
// daemon's interval semantics → the store (counts and read offsets in one transaction), fingerprints from logged TCP
// options, then enrichment queueing and the response rules on danger-level changes.
import type { Config } from '../config/schema.ts';
import type { Clock } from '../domain/clock.ts';
import type { DangerLevel } from '../domain/profile.ts';
import type { ProfileReader, ReadinessCheck } from '../domain/queries.ts';
import type { ChainPrefixCount, DestinationActivity, NoticeContext, ScanNotice } from '../domain/response.ts';
import { MARK_MASSCAN, MARK_MIRAI, MARK_TOPERA, pairChains, pairFlags, pairPrefixes, pairRanges } from '../domain/scan-state.ts';
import type { DangerChange, PairState, SourceState } from '../domain/scan-state.ts';
import { Detector } from '../detect/engine.ts';
import type { EngineMeta, IntervalResult } from '../detect/engine.ts';
import type { EngineLimits } from '../fingerprint/engine.ts';
import { LogFingerprinter } from '../fingerprint/log-bridge.ts';
import { toRecord } from '../fingerprint/record.ts';
import type { LogBatch } from '../logs/batch.ts';
import { LogSources } from '../logs/sources.ts';
import type { SourceNotice } from '../logs/sources.ts';
import type { ResponseService } from '../respond/response-service.ts';
import type { Db } from '../store/db.ts';
import { LogOffsets } from '../store/log-offsets.ts';
import { OsGuessRepository } from '../store/os-guesses.ts';
import type { OsGuessObservation } from '../store/os-guesses.ts';
import { Retention } from '../store/retention.ts';
import { ScanCache } from '../store/scan-cache.ts';
import type { Intake, Logger } from '../service.ts';
import { loadDetectRules } from './detect-setup.ts';
import type { EnrichRuntime } from './enrich-runtime.ts';
import { loadSignatureFiles } from './fingerprint-pipeline.ts';
import { recordToGuess } from './fingerprint-store.ts';
import { CounterWriter } from './scan-session.ts';

/** What the pipeline is wired to. */
export interface PipelineDeps {
  db: Db;
  config: Config;
  clock: Clock;
  log: Logger;
  enrich: EnrichRuntime;
  response: ResponseService;
  /** Full profiles, for the alert context (OS guess, rDNS, whois, geo). */
  reader: ProfileReader;
  /** Sees every committed interval result before the response rules do (`follow` prints the level changes). */
  onResults?: (results: readonly IntervalResult[]) => void;
  /** Build the pipeline even when no log source is configured (batches handed over by `probewatch ingest`). */
  always?: boolean;
}

/** The log intake: one readiness check per source. */
export interface LogIntake extends Intake {
  checks(): ReadinessCheck[];
  /** Lines read since start. */
  lines(): number;
  /** Reloads detection rules and p0f signatures (SIGHUP) without losing state; returns notes. */
  reload(next: Config): string[];
  /**
   * Commits a batch read elsewhere (handed over by `probewatch ingest`) like one of its own, in one transaction with
   * `claim`, which runs first: when it returns false (another process took the batch) nothing is counted. Sources only
   * such batches touched get no alerts, scripts or blocks; enrichment is queued as for any change.
   */
  commitForeign(batch: LogBatch, claim: () => boolean): boolean;
}

/** Whether any log source is configured. */
export function hasLogSources(c: Config): boolean {
  return c.logs.files.length > 0 || c.logs.journal || c.logs.syslogListen.length > 0;
}

function chainsOf(p: PairState, proto: string): ChainPrefixCount[] {
  const byChain = new Map<string, number>();
  for (const [k, n] of Object.entries(pairChains(p))) {
    const [chain = '', , pr = ''] = k.split('\t');
    if (pr === proto) byChain.set(chain, (byChain.get(chain) ?? 0) + n);
  }
  // psad pairs chains with log prefixes; the pair keeps them apart, so each prefix goes with the busiest chain
  const chain = [...byChain.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'INPUT';
  const out: ChainPrefixCount[] = [];
  for (const [prefix, packets] of Object.entries(pairPrefixes(p))) out.push({ chain, prefix: prefix === '*noprfx*' ? '' : prefix, packets });
  return out.length > 0 ? out : [...byChain.entries()].map(([c, packets]) => ({ chain: c, prefix: '', packets }));
}

function packetsOf(p: PairState, proto: string): number {
  let n = 0;
  for (const [k, v] of Object.entries(pairChains(p))) if (k.split('\t')[2] === proto) n += v;
  return n;
}

/** A destination as the response stage wants it, from the pair's accumulated state. */
function destination(p: PairState): DestinationActivity {
  const d: DestinationActivity = { dst: p.dst, firstSeen: p.first, sensors: p.hosts };
  const ranges = pairRanges(p);
  const t = ranges.tcp;
  if (t) {
    d.tcp = { low: t.lo, high: t.hi, packets: packetsOf(p, 'tcp'), flags: Object.entries(pairFlags(p)).map(([flags, packets]) => ({ flags, packets })), chains: chainsOf(p, 'tcp') };
    d.tcpRange = { low: t.lo, high: t.hi };
  }
  const u = ranges.udp;
  if (u) {
    d.udp = { low: u.lo, high: u.hi, packets: packetsOf(p, 'udp'), chains: chainsOf(p, 'udp') };
    d.udpRange = { low: u.lo, high: u.hi };
  }
  const icmp = packetsOf(p, 'icmp') + packetsOf(p, 'icmp6');
  if (icmp > 0) d.icmp = { packets: icmp, chains: chainsOf(p, 'icmp') };
  const labels: NonNullable<DestinationActivity['labels']> = [];
  if (p.sweep) labels.push('port-sweep');
  if (p.marks & MARK_TOPERA) labels.push('topera');
  if (p.marks & MARK_MASSCAN) labels.push('masscan');
  if (p.marks & MARK_MIRAI) labels.push('mirai');
  if (labels.length > 0) d.labels = labels;
  d.totalProtocols = p.wprotos.length;
  return d;
}

/** The response stage's notice for one danger-level change of a source. */
export function noticeFor(s: SourceState, previous: DangerLevel, change: DangerChange, context?: NoticeContext): ScanNotice {
  const pairs = [...s.pairs.values()].sort((a, b) => b.last - a.last).slice(0, 32);
  const prefixes = new Set<string>();
  const scanTypes = new Set<string>();
  for (const p of pairs) {
    for (const pr of Object.keys(pairPrefixes(p))) if (pr !== '*noprfx*') prefixes.add(pr);
    for (const t of p.scanTypes) scanTypes.add(t);
  }
  return {
    ip: s.ip, previous, level: change.level, time: change.time, reason: change.reason, packets: s.packets,
    prefixes: [...prefixes], scanTypes: [...scanTypes], destinations: pairs.map(destination), ...(context ? { context } : {}),
  };
}

/** Builds the log intake, or null when no log source is configured. */
export function logPipeline(d: PipelineDeps): LogIntake | null {
  const { db, config, clock, log } = d;
  if (!hasLogSources(config) && d.always !== true) return null;
  const anySource = hasLogSources(config);
  const { rules, sources: dataSources } = loadDetectRules(config, { daemon: true });
  for (const n of dataSources.notes) log.log('warn', `detect: ${n}`);
  if (dataSources.localNets) {
    log.log('info', `detect: signatures' $HOME_NET is this machine's networks (detect.intfLocalNets): ${dataSources.localNets.join(', ')}`);
    // lines from other sensors name their own destinations, which these networks do not hold
    if (config.logs.syslogListen.length > 0) log.log('warn', 'detect: receiving syslog from other hosts with detect.intfLocalNets on: signatures only fire for destinations in this machine\'s networks (set detect.intfLocalNets: false or detect.homeNet on a collector)');
  }
  const notice = (m: string): void => { log.log('warn', `detect: ${m}`); };
  const cache = new ScanCache(db, { maxHot: config.detect.maxHotSources, memoryBudget: config.detect.memoryBudget * 1048576, notice });
  const repo = cache.repo;
  const offsets = new LogOffsets(db);
  const meta = repo.getMeta('engine') as EngineMeta | undefined;
  let detector = new Detector(rules, cache, 'timed', meta);
  const counters = new CounterWriter();
  let sigs = loadSignatureFiles(config.fingerprint.signatures);
  const fc = config.fingerprint;
  const limits: EngineLimits = { maxFlows: fc.maxFlows, maxHosts: fc.maxHosts, flowMaxAge: fc.flowMaxAge, hostIdleMinutes: fc.hostIdle / 60 };
  let guesses: OsGuessObservation[] = [];
  let fingerprinter = new LogFingerprinter(sigs, { tcp: (ev) => { guesses.push(recordToGuess(toRecord(ev, sigs))); }, mtu: () => undefined }, limits);
  const osRepo = new OsGuessRepository(db);
  let lastBatch = clock.now();
  let pendingInterval = false;
  let lines = 0;
  const started = clock.now();
  // sources the current interval saw only in handed-over batches: their level changes trigger no response (backfills
  // are history, not an attack in progress)
  const foreignOnly = new Set<string>();
  const live = new Set<string>();

  /** After the commit: queue enrichment for sources that changed level, and run the response rules. */
  const react = (results: readonly IntervalResult[]): void => {
    if (results.length > 0) d.onResults?.(results);
    const items = [];
    for (const r of results) {
      for (const { ip, change } of r.changes) {
        const s = cache.get(ip);
        if (!s) continue;
        const i = s.history.lastIndexOf(change);
        const previous: DangerLevel = i > 0 ? s.history[i - 1]!.level : 0;
        items.push({ ip, dangerLevel: change.level, lastSeen: s.lastSeen });
        const p = d.reader.read(ip);
        const context: NoticeContext | undefined = p ? {
          os: [p.os.current, ...p.os.history].filter((g) => g?.label).map((g) => `${g!.name ?? ''}:${g!.flavor ?? ''}`).slice(0, 3),
          rdns: p.rdns?.name ?? null,
          whois: p.whois ? [p.whois.netname, p.whois.orgName, p.whois.range, p.whois.country].filter(Boolean).join(', ') : null,
          geo: { country: p.geo?.country ?? null, city: p.geo?.city ?? null, asn: p.as?.number ?? null, org: p.as?.organization ?? null },
        } : undefined;
        // handle() decides synchronously and never rejects; its actions must not hold up reading
        if (!foreignOnly.has(ip) || live.has(ip)) void d.response.handle(noticeFor(s, previous, change, context));
      }
    }
    if (results.length > 0) {
      foreignOnly.clear();
      live.clear();
    }
    if (items.length > 0) {
      d.enrich.queue.enqueue(items, clock.now());
      d.enrich.worker.poke();
    }
  };

  /** One batch (or an interval close): its effects, the engine state, its fingerprints and its offset, in one transaction. */
  const commit = (batch: LogBatch | null, claim?: () => boolean): boolean => {
    const results: IntervalResult[] = [];
    let claimed = true;
    db.transaction(() => {
      if (claim && !claim()) {
        claimed = false;
        return;
      }
      if (batch) {
        for (const ev of batch.packets) (claim ? foreignOnly : live).add(ev.src);
        // FW_SEARCH_ALL N: psad matches FW_MSG_SEARCH against the whole line (psad:1595), so the line goes along
        const texts = config.detect.fwSearchAll ? undefined : batch.texts;
        for (let i = 0; i < batch.packets.length; i++) {
          const ev = batch.packets[i]!;
          detector.ingest(ev, texts?.[i], (r) => results.push(r));
          if (ev.tcpOptions !== undefined) fingerprinter.push(ev);
        }
        for (const e of batch.errors) repo.addCounter('error', e.reason, 1);
        for (const n of batch.losses) repo.addCounter('loss', n.kind, n.count);
        pendingInterval = pendingInterval || batch.packets.length > 0;
        lines += batch.lines;
      } else {
        const r = detector.closeInterval();
        if (r) results.push(r);
        pendingInterval = false;
      }
      cache.flush();
      counters.save(repo, detector.totals);
      counters.saveMode(repo, config.detect.compat);
      repo.setMeta('engine', detector.meta);
      if (guesses.length > 0) {
        osRepo.record(guesses, clock.now());
        guesses = [];
      }
      if (batch?.offset) offsets.save(batch.offset, clock.now());
    }).immediate();
    react(results);
    return claimed;
  };

  const sources = new LogSources({
    settings: config.logs,
    offsets: new Map(offsets.all().map((o) => [o.source, o])),
    psadCompat: config.detect.compat,
    onBatch: (b) => { lastBatch = clock.now(); commit(b); },
    onNotice: (n: SourceNotice) => {
      const x = n.notice as { kind: string; message?: string };
      log.log(x.kind === 'error' ? 'error' : 'info', `${n.source}: ${x.kind}${x.message ? `: ${x.message}` : ''}`);
    },
  });
  const ciMs = config.detect.checkInterval * 1000;
  const retention = new Retention(db);
  let lastPrune = clock.now();
  let timer: NodeJS.Timeout | undefined;
  let state = 'not started';

  return {
    name: 'logs',
    async start() {
      if (anySource) await sources.start();
      state = 'reading';
      // the open interval is closed when input has been quiet for a check interval, so levels do not wait for packets
      timer = setInterval(() => {
        try {
          if (pendingInterval && clock.now() - lastBatch >= ciMs) commit(null);
          const every = config.store.compactInterval * 1000;
          if (config.store.retention > 0 && every > 0 && clock.now() - lastPrune >= every) {
            lastPrune = clock.now();
            // retention runs on event time: replaying an old log must not prune what it just read
            const cutoff = detector.meta.lastTime - config.store.retention * 1000;
            cache.forget(cutoff);
            const r = retention.prune(cutoff);
            if (r.sources > 0) log.log('info', `retention: pruned ${r.sources} sources not seen for ${config.store.retention} s`);
          }
        } catch (e) {
          log.log('error', `log pipeline housekeeping failed: ${(e as Error).message}`);
        }
      }, Math.min(ciMs, 1000));
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await sources.stop();
      if (pendingInterval && db.open) commit(null);
      state = 'stopped';
    },
    ready: () => !anySource || sources.ready,
    detail: () => `${state}; ${lines} lines since start (${Math.round(lines / Math.max(1, (clock.now() - started) / 1000))}/s)`,
    checks: () => sources.status().map((s) => ({ name: s.source.startsWith('syslog:') || s.source === 'journal' ? s.source : `log:${s.source}`, ready: s.ready, detail: s.ready ? 'reading' : 'not open' })),
    lines: () => lines,
    commitForeign: (batch, claim) => { lastBatch = clock.now(); return commit(batch, claim); },
    reload(next: Config): string[] {
      // new rules and signatures, the same sources: scan state lives in the cache and the engine meta carries over;
      // a bad file throws here and the running rules stay
      const loaded = loadDetectRules(next, { daemon: true });
      const nextSigs = loadSignatureFiles(next.fingerprint.signatures);
      detector = new Detector(loaded.rules, cache, 'timed', detector.meta);
      sigs = nextSigs;
      fingerprinter = new LogFingerprinter(sigs, { tcp: (ev) => { guesses.push(recordToGuess(toRecord(ev, sigs))); }, mtu: () => undefined }, limits);
      const notes = [...loaded.sources.notes];
      if (JSON.stringify(next.logs) !== JSON.stringify(config.logs)) notes.push('logs settings changed: they apply at the next restart');
      return notes;
    },
  };
}
