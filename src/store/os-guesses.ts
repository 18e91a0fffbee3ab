// Repository of OS / tool guesses: every guess kept on the source's profile, tool tags, batched upserts with change records.
import type { Database, Statement } from 'better-sqlite3';
import type { OsGuess } from '../domain/profile.ts';
import { ChangeLog } from './changes.ts';

/** One fingerprint to record (a guess seen once at `time`). */
export interface OsGuessObservation {
  /** The fingerprinted host, canonical text. */
  ip: string;
  /** 4 or 6. */
  family: 4 | 6;
  /** Event time, ms. */
  time: number;
  /** p0f label, or null when nothing matched. */
  label: string | null;
  class: string | null;
  name: string | null;
  flavor: string | null;
  quality: OsGuess['quality'];
  tool: boolean;
  dist: number;
  rawSig: string;
  muonfp: string;
  link: string | null;
  mtu: number | null;
  via: OsGuess['via'];
  mode: OsGuess['mode'];
}

interface GuessRow {
  ip: string;
  mode: string;
  via: string;
  raw_sig: string;
  label: string;
  class: string | null;
  name: string | null;
  flavor: string | null;
  quality: string;
  tool: number;
  dist: number;
  muonfp: string;
  link: string | null;
  mtu: number | null;
  first_seen: number;
  last_seen: number;
  count: number;
}

type Agg = OsGuessObservation & { first: number; last: number; count: number };

function toGuess(r: GuessRow): OsGuess {
  return {
    label: r.label === '' ? null : r.label,
    class: r.class,
    name: r.name,
    flavor: r.flavor,
    quality: r.quality as OsGuess['quality'],
    tool: r.tool === 1,
    dist: r.dist,
    rawSig: r.raw_sig,
    muonfp: r.muonfp,
    link: r.link,
    mtu: r.mtu,
    via: r.via as OsGuess['via'],
    mode: r.mode as OsGuess['mode'],
    firstSeen: new Date(r.first_seen).toISOString(),
    lastSeen: new Date(r.last_seen).toISOString(),
    count: r.count,
  };
}

/**
 * What tells two guesses of one source, direction and origin apart besides the label: nothing for a match (the raw_sig
 * holds per-packet TTL and window, which tools such as nmap vary per probe), the raw_sig itself when nothing matched.
 */
function sigKey(g: Pick<OsGuessObservation, 'label' | 'rawSig'>): string {
  return g.label === null || g.label === '' ? g.rawSig : '';
}

/** The tag a tool guess puts on its source ("NMap SYN scan"). */
export function toolTag(name: string | null, flavor: string | null): string {
  return flavor ? `${name ?? ''} ${flavor}`.trim() : (name ?? '');
}

/** Reads and writes os_guesses / os_tags; every write bumps the source's version through the ChangeLog. */
export class OsGuessRepository {
  readonly #db: Database;
  readonly #changes: ChangeLog;
  readonly #source: Statement;
  readonly #guess: Statement;
  readonly #tag: Statement;
  readonly #byIp: Statement<[string], GuessRow>;
  readonly #tagsByIp: Statement<[string], string>;

  constructor(db: Database, changes = new ChangeLog(db)) {
    this.#db = db;
    this.#changes = changes;
    this.#source = db.prepare(`INSERT INTO sources (ip, family, first_seen, last_seen, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (ip) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`);
    // one row per distinct guess (see sigKey); the packet details (raw_sig, distance, …) are the latest observation's,
    // so an older log replayed later adds to the count without overwriting them
    this.#guess = db.prepare(`INSERT INTO os_guesses (ip, mode, via, label, sig_key, raw_sig, class, name, flavor, quality, tool, dist, muonfp, link, mtu, first_seen, last_seen, count)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (ip, mode, via, label, sig_key) DO UPDATE SET
        count = count + excluded.count,
        first_seen = min(first_seen, excluded.first_seen),
        raw_sig = iif(excluded.last_seen >= last_seen, excluded.raw_sig, raw_sig),
        quality = iif(excluded.last_seen >= last_seen, excluded.quality, quality),
        dist = iif(excluded.last_seen >= last_seen, excluded.dist, dist),
        muonfp = iif(excluded.last_seen >= last_seen, excluded.muonfp, muonfp),
        link = iif(excluded.last_seen >= last_seen, excluded.link, link),
        mtu = iif(excluded.last_seen >= last_seen, excluded.mtu, mtu),
        last_seen = max(last_seen, excluded.last_seen)`);
    this.#tag = db.prepare(`INSERT INTO os_tags (ip, tag, first_seen, last_seen, count) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (ip, tag) DO UPDATE SET count = count + excluded.count,
        first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`);
    this.#byIp = db.prepare<[string], GuessRow>('SELECT * FROM os_guesses WHERE ip = ? ORDER BY last_seen DESC, count DESC');
    this.#tagsByIp = db.prepare<[string], string>('SELECT tag FROM os_tags WHERE ip = ? ORDER BY first_seen, tag').pluck();
  }

  /**
   * Records a batch in one transaction: identical guesses are folded first, each source row is created when missing,
   * and each touched source gets one change record (kind 'os') with wall-clock time `now`.
   */
  record(batch: readonly OsGuessObservation[], now: number): void {
    if (batch.length === 0) return;
    const folded = new Map<string, Agg>();
    for (const g of batch) {
      const key = `${g.ip}\u0000${g.mode}\u0000${g.via}\u0000${g.label ?? ''}\u0000${sigKey(g)}`;
      const a = folded.get(key);
      if (a) {
        a.count++;
        if (g.time < a.first) a.first = g.time;
        if (g.time >= a.last) {
          a.last = g.time; a.rawSig = g.rawSig; a.dist = g.dist; a.quality = g.quality; a.muonfp = g.muonfp; a.link = g.link; a.mtu = g.mtu;
        }
      } else {
        folded.set(key, { ...g, first: g.time, last: g.time, count: 1 });
      }
    }
    this.#db.transaction(() => {
      const touched = new Set<string>();
      for (const a of folded.values()) {
        this.#source.run(a.ip, a.family, a.first, a.last, now);
        this.#guess.run(a.ip, a.mode, a.via, a.label ?? '', sigKey(a), a.rawSig, a.class, a.name, a.flavor, a.quality, a.tool ? 1 : 0, a.dist,
          a.muonfp, a.link, a.mtu, a.first, a.last, a.count);
        if (a.tool && a.label !== null) this.#tag.run(a.ip, toolTag(a.name, a.flavor), a.first, a.last, a.count);
        touched.add(a.ip);
      }
      for (const ip of touched) this.#changes.touch(ip, 'os', now);
    })();
  }

  /** Every guess of a source, newest first. */
  history(ip: string): OsGuess[] {
    return this.#byIp.all(ip).map(toGuess);
  }

  /**
   * The profile's `os` part: the current guess is the most recent OS (not tool) match, preferring SYNs (the host as a
   * client) and exact over generic over fuzzy at equal time; without any OS match, the most recent guess.
   */
  forSource(ip: string): { current: OsGuess | null; history: OsGuess[] } {
    const history = this.history(ip);
    const rank = (g: OsGuess): number => (g.mode === 'syn' ? 4 : 0) + (g.quality === 'exact' ? 2 : g.quality === 'generic' ? 1 : 0);
    let best: OsGuess | null = null;
    for (const g of history) {
      if (g.label === null || g.tool) continue;
      if (!best || g.lastSeen > best.lastSeen || (g.lastSeen === best.lastSeen && rank(g) > rank(best))) best = g;
    }
    return { current: best ?? history[0] ?? null, history };
  }

  /** Tags the fingerprinting stage put on a source, oldest first. */
  tags(ip: string): string[] {
    return this.#tagsByIp.all(ip);
  }
}
