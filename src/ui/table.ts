// Top sources: filter form, sortable columns and cursor paging over GET /sources; a row opens the source page.
import type { DashboardWindow } from '../domain/dashboard.ts';
import { DASHBOARD_WINDOWS } from '../domain/dashboard.ts';
import type { SourceSummary } from '../domain/queries.ts';
import { ApiError, get } from './api.ts';
import type { Params } from './api.ts';
import { h } from './dom.ts';
import { ago, badge, num, when } from './format.ts';
import type { Filters } from './state.ts';

interface SourcePage {
  items: SourceSummary[];
  next_page_cursor: string | null;
}

const SORTS: { key: string; label: string }[] = [
  { key: 'ip', label: 'Address' }, { key: 'dangerLevel', label: 'DL' }, { key: 'packets', label: 'Packets' },
  { key: 'firstSeen', label: 'First seen' }, { key: 'lastSeen', label: 'Last seen' },
];

/** /sources parameters of the filters. */
export function sourceParams(f: Filters, now = Date.now()): Params {
  let since: string | undefined;
  if (f.since in DASHBOARD_WINDOWS) since = new Date(now - DASHBOARD_WINDOWS[f.since as DashboardWindow] * 3_600_000).toISOString();
  else if (f.since) {
    const t = new Date(f.since);
    if (!Number.isNaN(t.getTime())) since = t.toISOString();
  }
  return {
    minDangerLevel: f.minDangerLevel, country: f.country.trim().toUpperCase(), asn: f.asn.trim(), os: f.os.trim(), port: f.port.trim(),
    scanType: f.scanType.trim(), since, sort: f.sort || '-lastSeen',
  };
}

/** The table section; `onChange` stores new filters in the URL, `onOpen` opens a source. */
export function sourcesTable(el: HTMLElement, filters: Filters, onChange: (f: Filters) => void, onOpen: (ip: string) => void): void {
  const cursors: (string | null)[] = [null];
  const field = (name: keyof Filters, label: string, input: HTMLInputElement | HTMLSelectElement): HTMLLabelElement => {
    input.name = name;
    input.value = filters[name];
    input.addEventListener('change', () => { onChange({ ...filters, [name]: input.value }); });
    return h('label', { class: 'field' }, h('span', {}, label), input);
  };
  const dl = h('select', {}, h('option', { value: '' }, 'any'), ...[1, 2, 3, 4, 5].map((l) => h('option', { value: String(l) }, `≥ ${l}`)));
  const since = h('select', {}, h('option', { value: '' }, 'any time'), ...Object.keys(DASHBOARD_WINDOWS).map((w) => h('option', { value: w }, `last ${w}`)));
  if (filters.since && !(filters.since in DASHBOARD_WINDOWS)) since.append(h('option', { value: filters.since }, filters.since.replace('T', ' ')));
  const text = (ph: string, pattern?: string): HTMLInputElement => h('input', { type: 'text', placeholder: ph, autocomplete: 'off', spellcheck: 'false', pattern: pattern ?? null });
  const form = h('form', { class: 'filters', 'aria-label': 'Filters' },
    field('minDangerLevel', 'Danger level', dl),
    field('country', 'Country', text('NL, US', '[A-Za-z]{2}(,[A-Za-z]{2})*')),
    field('asn', 'ASN', text('AS64500')),
    field('os', 'OS / tool', text('Linux, NMap, unknown')),
    field('port', 'Port', text('22, tcp/443')),
    field('scanType', 'Scan type', text('TCP SYN scan')),
    field('since', 'Seen', since),
  );
  form.addEventListener('submit', (e) => { e.preventDefault(); });
  const active = Object.entries(filters).filter(([k, v]) => v && k !== 'sort');
  const clear = h('button', { type: 'button', class: 'link', disabled: active.length === 0 }, 'Clear filters');
  clear.addEventListener('click', () => { onChange({ ...filters, minDangerLevel: '', country: '', asn: '', os: '', port: '', scanType: '', since: '' }); });
  form.append(clear);

  const head = h('tr', {}, ...['Address', 'DL', 'Country', 'AS', 'OS / tool', 'Ports', 'Scan types', 'Packets', 'First seen', 'Last seen'].map((label) => {
    const s = SORTS.find((x) => x.label === label);
    if (!s) return h('th', { scope: 'col' }, label);
    const cur = filters.sort.replace(/^-/, '') === s.key ? (filters.sort.startsWith('-') ? 'desc' : 'asc') : null;
    const btn = h('button', { type: 'button', class: `sort${cur ? ` ${cur}` : ''}`, 'aria-sort': cur === 'asc' ? 'ascending' : cur === 'desc' ? 'descending' : null }, label);
    btn.addEventListener('click', () => {
      const next = cur === 'desc' ? s.key : `-${s.key}`;
      onChange({ ...filters, sort: next });
    });
    return h('th', { scope: 'col', 'aria-sort': cur === 'asc' ? 'ascending' : cur === 'desc' ? 'descending' : null }, btn);
  }));
  const body = h('tbody');
  const status = h('p', { class: 'table-status', role: 'status' });
  const prev = h('button', { type: 'button', disabled: true }, '← Previous');
  const next = h('button', { type: 'button', disabled: true }, 'Next →');
  const pageNo = h('span', { class: 'page-no' });
  // aria-busy while a page is in flight (screen readers wait for it); data-for names the route the rows answer, so
  // anything reading them can tell this table from the one a filter change in the URL is about to replace
  const table = h('table', { class: 'sources', 'aria-busy': 'true', 'data-for': location.hash }, h('thead', {}, head), body);
  el.replaceChildren(form, h('div', { class: 'table-wrap' }, table), h('div', { class: 'pager' }, prev, pageNo, next, status));

  const load = async (page: number): Promise<void> => {
    status.textContent = 'Loading…';
    table.setAttribute('aria-busy', 'true');
    try {
      const r = await get<SourcePage>('/sources', { ...sourceParams(filters), limit: 25, cursor: cursors[page] ?? undefined });
      body.replaceChildren(...r.items.map((x) => row(x, onOpen)));
      if (r.items.length === 0) body.append(h('tr', {}, h('td', { colspan: 10, class: 'empty' }, 'No source matches these filters.')));
      cursors.length = page + 1;
      cursors.push(r.next_page_cursor);
      prev.disabled = page === 0;
      next.disabled = r.next_page_cursor === null;
      pageNo.textContent = `Page ${page + 1}`;
      status.textContent = '';
      prev.onclick = () => { void load(page - 1); };
      next.onclick = () => { void load(page + 1); };
    } catch (e) {
      status.textContent = e instanceof ApiError ? `${e.code}: ${e.message}` : String(e);
    } finally {
      table.removeAttribute('aria-busy');
    }
  };
  void load(0);
}

function row(x: SourceSummary, onOpen: (ip: string) => void): HTMLTableRowElement {
  const link = h('a', { href: `#/source/${encodeURIComponent(x.ip)}`, class: 'ip' }, x.ip);
  const tr = h('tr', { class: `dlrow dlrow${x.dangerLevel}`, 'data-ip': x.ip },
    h('td', {}, link),
    h('td', {}, badge(x.dangerLevel)),
    h('td', { title: x.city ?? '' }, x.country ?? '—'),
    h('td', { class: 'as', title: x.asOrganization ?? '' }, x.asn === null ? '—' : `AS${x.asn}`, x.asOrganization ? h('small', {}, ` ${x.asOrganization}`) : null),
    h('td', {}, x.os ?? h('span', { class: 'muted' }, 'unknown')),
    h('td', { class: 'portlist' }, x.ports.slice(0, 4).join(' '), x.ports.length > 4 ? h('span', { class: 'muted' }, ` +${x.ports.length - 4}`) : null),
    h('td', { class: 'scans' }, x.scanTypes.slice(0, 2).join(', ')),
    h('td', { class: 'num' }, num(x.packets)),
    h('td', {}, when(x.firstSeen)),
    h('td', { title: ago(x.lastSeen) }, when(x.lastSeen)),
  );
  tr.addEventListener('click', (e) => {
    if ((e.target as HTMLElement).closest('a')) return;
    onOpen(x.ip);
  });
  return tr;
}
