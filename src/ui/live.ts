// The live strip: danger-level changes as they happen; /feed/stream says something changed, /dashboard/level-changes says what.
import type { LevelChange } from '../domain/dashboard.ts';
import { get, stream } from './api.ts';
import { h } from './dom.ts';
import { badge, when } from './format.ts';

/** Most chips kept in the strip. */
const KEEP = 40;

/** Starts the strip in `el`; clicking a chip opens the source. Returns a stopper. */
export function startLive(el: HTMLElement, open: (ip: string) => void): () => void {
  const ac = new AbortController();
  const dot = h('span', { class: 'live-dot', title: 'connecting' });
  const list = h('ol', { class: 'live-list', 'aria-live': 'polite', id: 'live-list' });
  el.replaceChildren(h('span', { class: 'live-title' }, dot, 'Live'), list);
  let last = 0;
  let timer: number | undefined;
  let busy = false;

  const chip = (c: LevelChange): HTMLLIElement => {
    const li = h('li', { class: `chip up${c.to > c.from ? '' : ' down'}`, 'data-id': c.id, tabindex: 0, title: `${c.ip}: danger level ${c.from} → ${c.to}` },
      h('span', { class: 'chip-ip' }, c.ip), ' ', badge(c.from), h('span', { class: 'arrow' }, '→'), badge(c.to), ' ', when(c.time, true));
    li.addEventListener('click', () => { open(c.ip); });
    li.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(c.ip); });
    return li;
  };

  const pull = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      const r = await get<{ items: LevelChange[] }>('/dashboard/level-changes', { after: last, limit: 20 });
      if (r.items.length > 0) {
        last = Math.max(last, ...r.items.map((c) => c.id));
        // newest first: prepend in reverse so the newest ends up leftmost
        for (const c of [...r.items].reverse()) list.prepend(chip(c));
        while (list.children.length > KEEP) list.lastElementChild?.remove();
      }
      if (list.children.length === 0) list.replaceChildren(h('li', { class: 'chip quiet' }, 'No danger-level changes yet.'));
      else list.querySelector('.quiet')?.remove();
    } catch {
      // the strip is best effort: the next event retries
    } finally {
      busy = false;
    }
  };

  void pull();
  void stream('/feed/stream?view=summary', (ev) => {
    if (ev.event !== 'profile') return;
    // coalesce bursts: one read per half second however many sources changed
    if (timer === undefined) timer = window.setTimeout(() => { timer = undefined; void pull(); }, 500);
  }, ac.signal, (up) => {
    dot.className = up ? 'live-dot up' : 'live-dot';
    dot.title = up ? 'connected' : 'reconnecting';
  });
  return () => {
    ac.abort();
    if (timer !== undefined) clearTimeout(timer);
  };
}
