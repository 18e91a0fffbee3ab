// Totals and top-N breakdowns from the facet counters the indexer keeps, plus change rates sampled from the outbox.
import type { Database, Statement } from 'better-sqlite3';
import type { Clock } from '../../domain/clock.ts';
import type { FacetCount, StatsQueries, StoreStats } from '../../domain/queries.ts';
import { ApiMeta } from './meta.ts';

/** Window the change rates are averaged over. */
const RATE_WINDOW_MS = 5 * 60_000;
/** Changes read to split the rate by kind; beyond it the split is estimated from the newest ones. */
export const RATE_SAMPLE = 10_000;

/** SQLite implementation of StatsQueries. */
export class SqliteStats implements StatsQueries {
  readonly #meta: ApiMeta;
  readonly #clock: Clock;
  readonly #top: Statement<[string, number], { value: string; sources: number; label: string | null }>;
  readonly #all: Statement<[string], { value: string; sources: number }>;
  readonly #latest: Statement<[], number>;
  readonly #kinds: Statement<[number], { kind: string; n: number }>;
  /** (wall ms, latest seq) samples, oldest first, for change rates. */
  readonly #samples: { t: number; seq: number }[] = [];

  constructor(db: Database, clock: Clock) {
    this.#meta = new ApiMeta(db);
    this.#clock = clock;
    this.#top = db.prepare<[string, number], { value: string; sources: number; label: string | null }>(
      'SELECT value, sources, label FROM api_counts WHERE facet = ? AND sources > 0 ORDER BY sources DESC, value LIMIT ?');
    this.#all = db.prepare<[string], { value: string; sources: number }>('SELECT value, sources FROM api_counts WHERE facet = ?');
    this.#latest = db.prepare<[], number>("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'profile_changes'), 0)").pluck();
    // the newest RATE_SAMPLE changes of the window give the split by kind: a flood of millions of changes in five minutes
    // must not make /stats count them all (the total is exact from the sequence numbers, the outbox being append-only)
    this.#kinds = db.prepare<[number], { kind: string; n: number }>(
      `SELECT kind, count(*) AS n FROM (SELECT kind FROM profile_changes WHERE seq > ? ORDER BY seq DESC LIMIT ${RATE_SAMPLE}) GROUP BY kind`);
    this.sample();
  }

  /** Records where the outbox is now; call every few seconds (the index loop does) so rates have a baseline. */
  sample(): void {
    const t = this.#clock.now();
    const last = this.#samples[this.#samples.length - 1];
    if (last && t - last.t < 10_000) return;
    this.#samples.push({ t, seq: this.#latest.get()! });
    while (this.#samples.length > 2 && t - this.#samples[1]!.t > RATE_WINDOW_MS) this.#samples.shift();
  }

  stats(top: number): StoreStats {
    const facet = (name: string): FacetCount[] => this.#top.all(name, top).map((r) => ({ value: r.label ?? r.value, sources: r.sources }));
    const byDangerLevel = [0, 0, 0, 0, 0, 0];
    for (const r of this.#all.all('dl')) {
      const l = Number(r.value);
      if (l >= 0 && l <= 5) byDangerLevel[l] = r.sources;
    }
    const fam = new Map(this.#all.all('family').map((r) => [r.value, r.sources]));
    const packets = this.#all.all('total').find((r) => r.value === 'packets')?.sources ?? 0;
    const seq = this.#meta.getNumber('indexed_seq');
    const latest = this.#latest.get()!;
    return {
      sources: byDangerLevel.reduce((a, b) => a + b, 0),
      packets,
      byDangerLevel,
      byFamily: { ipv4: fam.get('4') ?? 0, ipv6: fam.get('6') ?? 0 },
      topPorts: facet('port'),
      topCountries: facet('country'),
      topAsns: this.#top.all('asn', top).map((r) => ({ value: r.value, sources: r.sources, organization: r.label === '' ? null : r.label })),
      topOs: facet('os'),
      topScanTypes: facet('scanType'),
      topSignatures: this.#top.all('signature', top).map((r) => ({ value: r.label ? `${r.value} ${r.label}` : r.value, sources: r.sources })),
      topTools: facet('tool'),
      index: { seq, lag: Math.max(0, latest - seq) },
      changesPerMinute: this.#rates(),
    };
  }

  #rates(): Record<string, number> {
    this.sample();
    const first = this.#samples[0];
    const out: Record<string, number> = {};
    if (!first) return out;
    const minutes = Math.max((this.#clock.now() - first.t) / 60_000, 1 / 6);
    const rows = this.#kinds.all(first.seq);
    const sampled = rows.reduce((a, r) => a + r.n, 0);
    // exact when the window holds at most RATE_SAMPLE changes; otherwise the total (sequence numbers) split as sampled
    const scale = sampled === 0 ? 0 : Math.max(1, (this.#latest.get()! - first.seq) / sampled);
    for (const r of rows) out[r.kind] = Math.round((r.n * scale / minutes) * 10) / 10;
    return out;
  }
}
