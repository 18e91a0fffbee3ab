// An in-memory whois netblock cache for one-shot commands and offline analysis (the service uses the SQLite one).
import { parseIp } from '../../domain/address.ts';
import type { WhoisBlock, WhoisCache } from '../../domain/enrichment.ts';
import type { Range } from './range.ts';
import { parseRange, rangeHolds, rangeSize } from './range.ts';

/** Bounded list of blocks; lookups scan it (sizes here are the sources of one report). */
export class MemoryWhoisCache implements WhoisCache {
  readonly #blocks: { block: WhoisBlock; range: Range }[] = [];
  readonly #max: number;

  constructor(max = 10_000) {
    this.#max = max;
  }

  find(ip: string, notBefore: number): WhoisBlock | null {
    const p = parseIp(ip);
    if (!p) return null;
    let best: { block: WhoisBlock; range: Range } | null = null;
    for (const b of this.#blocks) {
      if (b.block.fetchedAt < notBefore || !rangeHolds(b.range, p.bytes)) continue;
      if (!best || rangeSize(b.range) < rangeSize(best.range)) best = b;
    }
    return best?.block ?? null;
  }

  save(block: Omit<WhoisBlock, 'id'>): WhoisBlock {
    const range = parseRange(`${block.first} - ${block.last}`);
    const b = { ...block, id: 0 };
    if (!range) return b;
    if (this.#blocks.length >= this.#max) this.#blocks.shift();
    this.#blocks.push({ block: b, range });
    return b;
  }
}
