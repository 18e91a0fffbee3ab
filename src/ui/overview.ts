// The overview: stat cards, timeline, world map, ports × time, breakdowns and the top sources table.
import type { DashboardCountries, DashboardOverview, DashboardPorts, DashboardWindow, StatCard } from '../domain/dashboard.ts';
import type { FacetCount, StoreStats } from '../domain/queries.ts';
import { ApiError, get } from './api.ts';
import { timelineChart } from './charts.ts';

import { h } from './dom.ts';
import { change, num, short } from './format.ts';
import { barRow, drawPorts } from './heatmap.ts';
import { drawMap } from './map.ts';
import type { Filters } from './state.ts';
import { sourcesTable } from './table.ts';

/** What the overview needs from the page shell. */
export interface OverviewContext {
  window: DashboardWindow;
  filters: Filters;
  setFilters(f: Filters): void;
  open(ip: string): void;
}

const LEVEL_NAMES = ['seen', 'low', 'guarded', 'elevated', 'high', 'severe'];

function card(title: string, c: StatCard, opts: { hint?: string; id: string; fmt?: (n: number) => string; goodWhenDown?: boolean }): HTMLElement {
  const ch = change(c.value, c.previous);
  const fmt = opts.fmt ?? num;
  return h('article', { class: 'card', id: opts.id },
    h('h3', {}, title),
    h('p', { class: 'value', title: c.estimate ? 'estimate (HyperLogLog, ±1.6 %)' : null }, c.estimate ? '≈ ' : '', fmt(c.value)),
    h('p', { class: 'delta' },
      ch ? h('span', { class: `chg ${ch.dir}${opts.goodWhenDown ? ' inv' : ''}`, title: `previous window: ${c.previous === null ? '—' : fmt(c.previous)}` }, ch.text) : h('span', { class: 'chg flat' }, 'no previous data'),
      opts.hint ? h('span', { class: 'hint' }, ` ${opts.hint}`) : null));
}

function levelsCard(levels: StatCard[]): HTMLElement {
  const total = levels.reduce((a, l) => a + l.value, 0);
  const bar = h('div', { class: 'dlbar', role: 'img', 'aria-label': 'Sources per danger level' });
  levels.forEach((l, i) => {
    if (l.value === 0) return;
    const seg = h('span', { class: `seg dl${i}`, title: `DL ${i}: ${num(l.value)}` });
    seg.style.flexGrow = String(l.value);
    bar.append(seg);
  });
  const rows = levels.map((l, i) => {
    const ch = change(l.value, l.previous);
    return h('li', { class: 'lv', 'data-level': i },
      h('span', { class: 'lvl' }, h('span', { class: `dot dl${i}` }), `DL ${i}`),
      h('span', { class: 'n' }, num(l.value)),
      h('span', { class: `chg ${ch ? ch.dir : 'flat'}` }, ch ? ch.text : '—'),
      h('span', { class: 'lvname' }, LEVEL_NAMES[i] ?? ''));
  });
  return h('article', { class: 'card levels', id: 'card-levels' }, h('h3', {}, 'Sources per danger level'), total > 0 ? bar : null, h('ul', {}, ...rows));
}

function section(id: string, title: string, ...body: HTMLElement[]): HTMLElement {
  return h('section', { class: 'panel', id }, h('h2', {}, title), ...body);
}

function errorBox(e: unknown): HTMLElement {
  return h('p', { class: 'error', role: 'alert' }, e instanceof ApiError ? `${e.code}: ${e.message}` : String(e));
}

function facetList(items: FacetCount[], onPick?: (v: string) => void, label?: (f: FacetCount) => string): HTMLElement {
  if (items.length === 0) return h('p', { class: 'empty' }, 'Nothing yet.');
  const max = items[0]!.sources;
  const total = items.reduce((a, f) => a + f.sources, 0);
  return h('ol', { class: 'bars' }, ...items.map((f) => barRow(label ? label(f) : f.value, f.sources, max, total, onPick ? () => { onPick(f.value); } : undefined)));
}

/** Renders the overview into `main`; returns a disposer for its charts. */
export function renderOverview(main: HTMLElement, ctx: OverviewContext): () => void {
  const charts: { destroy(): void }[] = [];
  const cards = h('div', { class: 'cards', id: 'cards', 'aria-busy': 'true' });
  const timeline = h('div', { class: 'chart', id: 'timeline' });
  const mapEl = h('div', { class: 'map-wrap', id: 'map' });
  const countryList = h('div', { class: 'country-list', id: 'country-list' });
  const portsEl = h('div', { class: 'ports', id: 'ports' });
  const breakdowns = h('div', { class: 'breakdowns', id: 'breakdowns' });
  const table = h('div', { id: 'table' });
  const f = ctx.filters;
  const pick = (patch: Partial<Filters>): void => {
    ctx.setFilters({ ...f, ...patch });
    document.getElementById('sources')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  };
  main.replaceChildren(
    cards,
    section('timeline-panel', 'Activity per hour', timeline),
    section('map-panel', 'Where sources are', h('div', { class: 'map-grid' }, mapEl, countryList)),
    section('ports-panel', 'Ports over time', portsEl),
    section('breakdowns-panel', 'Breakdowns (all sources)', breakdowns),
    section('sources', 'Top sources', table),
  );
  const w = ctx.window;
  void get<DashboardOverview>('/dashboard/overview', { window: w }).then((o) => {
    const c = o.cards;
    cards.replaceChildren(
      card('Sources', c.sources, { id: 'card-sources', hint: 'known' }),
      card('Active', c.active, { id: 'card-active', hint: `in ${w}` }),
      card('New', c.newSources, { id: 'card-new', hint: `in ${w}` }),
      card('Packets / hour', c.packetsPerHour, { id: 'card-pph', fmt: (n) => (n >= 100 ? short(Math.round(n)) : num(n)) }),
      card('Enrichment backlog', c.enrichBacklog, { id: 'card-backlog', goodWhenDown: true, hint: 'pending' }),
      levelsCard(c.levels),
    );
    cards.removeAttribute('aria-busy');
    if (o.lag > 0) cards.append(h('p', { class: 'lag' }, `Rollups are ${num(o.lag)} changes behind.`));
    charts.push(timelineChart(timeline, o.timeline));
  }).catch((e: unknown) => { cards.replaceChildren(errorBox(e)); });

  void get<DashboardCountries>('/dashboard/countries', { window: w }).then(async (d) => {
    const top = d.countries.slice(0, 8);
    countryList.replaceChildren(h('h3', {}, `Sources seen in ${w}`), facetList(top.map((c) => ({ value: c.code, sources: c.sources })), (code) => { pick({ country: code }); },
      (x) => `${top.find((c) => c.code === x.value)?.name ?? x.value} (${x.value})`),
    d.unknown > 0 ? h('p', { class: 'muted small' }, `${num(d.unknown)} without a known location`) : '');
    await drawMap(mapEl, d.countries, f.country.toUpperCase() || null, (code) => { pick({ country: code }); });
  }).catch((e: unknown) => { mapEl.replaceChildren(errorBox(e)); });

  void get<DashboardPorts>('/dashboard/ports', { window: w, top: 15 }).then((d) => {
    const stop = drawPorts(portsEl, d, (port) => { pick({ port }); });
    charts.push({ destroy: stop });
    breakdowns.prepend(h('div', { class: 'facet', id: 'facet-protocols' }, h('h3', {}, `Protocols (packets, ${w})`),
      facetList(d.protocols.map((p) => ({ value: p.proto, sources: p.packets })))));
  }).catch((e: unknown) => { portsEl.replaceChildren(errorBox(e)); });

  void get<StoreStats>('/stats', { top: 10 }).then((st) => {
    const facet = (id: string, title: string, items: FacetCount[], onPick?: (v: string) => void, label?: (x: FacetCount) => string): HTMLElement =>
      h('div', { class: 'facet', id }, h('h3', {}, title), facetList(items, onPick, label));
    breakdowns.append(
      facet('facet-scans', 'Scan types', st.topScanTypes, (v) => { pick({ scanType: v }); }),
      facet('facet-signatures', 'Signatures', st.topSignatures),
      facet('facet-os', 'OS and tools', st.topOs, (v) => { pick({ os: v }); }),
      facet('facet-tools', 'Tools and tags', st.topTools),
      facet('facet-asn', 'Networks (AS)', st.topAsns, (v) => { pick({ asn: v }); },
        (x) => {
          const org = (x as FacetCount & { organization?: string | null }).organization;
          return `AS${x.value}${org ? ` ${org}` : ''}`;
        }),
    );
  }).catch((e: unknown) => { breakdowns.append(errorBox(e)); });

  sourcesTable(table, f, (nf) => { ctx.setFilters(nf); }, (ip) => { ctx.open(ip); });
  return () => { for (const c of charts) c.destroy(); };
}
