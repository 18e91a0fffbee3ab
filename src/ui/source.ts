// The source page: identity, danger badge, location, network, OS guesses, activity charts, ports, signatures, whois,
// enrichment and response state; block / unblock for admin tokens.
import type { DashboardWindow, SourceTimeline } from '../domain/dashboard.ts';
import type { OsGuess, SourceProfile } from '../domain/profile.ts';
import { ApiError, del, get, post } from './api.ts';
import { levelChart, packetsChart } from './charts.ts';
import type { Chart } from './charts.ts';
import { h } from './dom.ts';
import { ago, badge, num, when } from './format.ts';

/** Smallest window covering a source's activity (the charts end at its last packet). */
function windowFor(p: SourceProfile): DashboardWindow {
  const span = (Date.parse(p.lastSeen) - Date.parse(p.firstSeen)) / 3_600_000;
  if (span <= 23) return '24h';
  if (span <= 71) return '3d';
  if (span <= 167) return '7d';
  if (span <= 719) return '30d';
  return '90d';
}

function dl(label: string, ...value: (Node | string | null)[]): HTMLElement[] {
  const shown = value.filter((v): v is Node | string => v !== null && v !== '');
  return [h('dt', {}, label), h('dd', {}, ...(shown.length > 0 ? shown : ['—']))];
}

const regions = typeof Intl.DisplayNames === 'function' ? new Intl.DisplayNames(undefined, { type: 'region' }) : null;

/** Country name in the reader's language (falls back to the code). */
function countryLabel(code: string): string {
  try {
    return regions?.of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

function osText(g: OsGuess | null): string {
  if (!g?.name) return 'unknown';
  return `${g.name}${g.flavor ? ` ${g.flavor}` : ''}`;
}

function table(head: string[], rows: (string | Node)[][], empty: string, id?: string): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty', id }, empty);
  return h('div', { class: 'table-wrap', id }, h('table', { class: 'plain' }, h('thead', {}, h('tr', {}, ...head.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c)))))));
}

/** Renders the page of `ip` into `main`; `admin` shows the block controls. Returns a disposer. */
export function renderSource(main: HTMLElement, ip: string, admin: boolean, back: () => void): () => void {
  const charts: Chart[] = [];
  // a reload (after block/unblock) may finish after the reader moved on: a gone page never draws again
  let gone = false;
  // the outcome of the last block or unblock, shown again by the controls the reload draws (they replace the old ones)
  let outcome = '';
  const backBtn = h('button', { type: 'button', class: 'link back' }, '← Overview');
  backBtn.addEventListener('click', back);
  main.replaceChildren(backBtn, h('p', { class: 'loading' }, `Loading ${ip}…`));
  const load = async (): Promise<void> => {
    let p: SourceProfile;
    try {
      p = await get<SourceProfile>(`/sources/${encodeURIComponent(ip)}`);
    } catch (e) {
      if (gone) return;
      main.replaceChildren(backBtn, h('p', { class: 'error', role: 'alert' }, e instanceof ApiError && e.status === 404 ? `${ip} is not a known source.` : String(e instanceof Error ? e.message : e)));
      return;
    }
    const w = windowFor(p);
    const endIso = new Date(Date.parse(p.lastSeen) + 3_600_000).toISOString();
    const tl = await get<SourceTimeline>(`/sources/${encodeURIComponent(ip)}/timeline`, { window: w, end: endIso }).catch(() => null);
    if (gone) return;
    for (const c of charts.splice(0)) c.destroy();
    const geo = p.geo;
    const place = geo ? [geo.city, geo.region, geo.countryName ?? (geo.country ? `${countryLabel(geo.country)} (${geo.country})` : null)].filter((x): x is string => !!x).join(', ') : '';
    const blocked = p.response.blockedUntil;
    const head = h('header', { class: 'source-head' },
      h('h1', {}, h('span', { class: 'ip', id: 'source-ip' }, p.ip), ' ', badge(p.dangerLevel)),
      h('p', { class: 'rdns' }, p.rdns?.name ? `${p.rdns.name}${p.rdns.confirmed ? '' : ' (not forward-confirmed)'}` : 'no reverse DNS'),
      blocked ? h('p', { class: 'blocked' }, 'Blocked ', blocked === 'permanent' ? 'permanently' : h('span', {}, 'until ', when(blocked))) : null);
    const facts = h('dl', { class: 'facts' },
      ...dl('Location', place || null),
      ...dl('Network', p.as?.number ? `AS${p.as.number}` : null, p.as?.organization ? ` ${p.as.organization}` : null, p.as?.network ? h('small', {}, ` ${p.as.network}`) : null),
      ...dl('OS guess', h('span', { id: 'os-current' }, osText(p.os.current)), p.os.current ? h('small', {}, ` ${p.os.current.quality}, ${p.os.current.dist} hops`) : null),
      ...dl('First seen', when(p.firstSeen)),
      ...dl('Last seen', when(p.lastSeen), h('small', {}, ` ${ago(p.lastSeen)}`)),
      ...dl('Packets', num(p.packets)),
      ...dl('Scan types', p.scanTypes.join(', ') || null),
      ...dl('Tags', p.tags.join(', ') || null),
      ...dl('Sensors', p.sensors.join(', ') || null),
    );
    const levelEl = h('div', { class: 'chart', id: 'level-chart' });
    const packetsEl = h('div', { class: 'chart', id: 'packets-chart' });
    const e = p.enrichment;
    const enrich = table(['Provider', 'State', 'Source', 'Fetched'], (['geo', 'asn', 'whois', 'rdns'] as const).map((k) => [
      k, h('span', { class: `state ${e[k].state}` }, e[k].state, e[k].reason ? ` (${e[k].reason ?? ''})` : ''), e[k].source ?? '—', e[k].fetchedAt ? when(e[k].fetchedAt ?? '') : '—',
    ]), '', 'enrich-table');
    const whois = p.whois
      ? h('details', { class: 'whois' }, h('summary', {}, `Whois: ${[p.whois.netname, p.whois.orgName, p.whois.range].filter(Boolean).join(' · ') || 'record'}`),
        h('dl', { class: 'facts' },
          ...dl('Registry', p.whois.registry), ...dl('Range', p.whois.range), ...dl('Organisation', p.whois.orgName), ...dl('Country', p.whois.country),
          ...dl('Abuse contact', p.whois.abuse), ...dl('Description', p.whois.descr.join(' / ') || null)),
        h('pre', {}, p.whois.raw))
      : h('p', { class: 'empty' }, 'No whois record.');
    const osHistory = table(['Guess', 'Quality', 'Seen', 'Via', 'Signature'], p.os.history.map((g) => [
      osText(g), g.quality, h('span', {}, when(g.firstSeen), ' – ', when(g.lastSeen), ` (${num(g.count)}×)`), `${g.via} ${g.mode}`, h('code', {}, g.rawSig),
    ]), 'No OS history.', 'os-history');
    const byPackets = [...p.ports].sort((a, b) => b.packets - a.packets || a.port - b.port);
    const ports = h('div', {}, table(['Port', 'Packets'], byPackets.slice(0, 20).map((x) => [`${x.proto}/${x.port}`, num(x.packets)]), 'No ports.', 'ports-table'),
      byPackets.length > 20 ? h('details', { class: 'more-ports' }, h('summary', {}, `${num(byPackets.length - 20)} more ports`),
        h('p', { class: 'portcloud' }, byPackets.slice(20).map((x) => `${x.proto}/${x.port} (${num(x.packets)})`).join(', '))) : null);
    const sigs = table(['SID', 'Signature', 'DL', 'Count', 'Last'], p.signatures.map((s) => [String(s.sid), s.msg, badge(s.dl), num(s.count), when(s.lastSeen)]), 'No signature matched.', 'sig-table');
    const alerts = table(['Time', 'Sink', 'Level', 'Result'], p.response.alerts.map((a) => [when(a.time), a.sink, badge(a.level), a.ok ? 'sent' : `failed${a.detail ? `: ${a.detail}` : ''}`]), 'No alerts sent.');
    const controls = h('div', { class: 'controls', id: 'block-controls' });
    if (admin) controls.append(...blockControls(p, outcome, (msg) => { outcome = msg; void load(); }));
    main.replaceChildren(backBtn, head, controls,
      h('div', { class: 'row two' },
        h('section', { class: 'panel' }, h('h2', {}, 'Profile'), facts),
        h('section', { class: 'panel' }, h('h2', {}, 'Danger level over time'), levelEl, h('h2', {}, 'Packets per hour'), packetsEl)),
      h('div', { class: 'row two' },
        h('section', { class: 'panel' }, h('h2', {}, 'Ports'), ports),
        h('section', { class: 'panel' }, h('h2', {}, 'Signatures'), sigs, h('h2', {}, 'OS history'), osHistory)),
      h('div', { class: 'row two' },
        h('section', { class: 'panel' }, h('h2', {}, 'Enrichment'), enrich, whois),
        h('section', { class: 'panel' }, h('h2', {}, 'Response'), alerts,
          p.response.scripts.length ? table(['Time', 'Command', 'Exit'], p.response.scripts.map((s) => [when(s.time), h('code', {}, s.command), s.timedOut ? 'timed out' : String(s.exitCode ?? '—')]), '') : '')),
    );
    const endSec = Math.floor(Date.parse(endIso) / 1000);
    const levels = tl?.levels.length ? tl.levels : p.dangerHistory;
    // the step chart starts at the first packet, at level 0 until the first step
    const steps = levels.length && Date.parse(levels[0]!.time) > Date.parse(p.firstSeen) ? [{ time: p.firstSeen, level: 0 }, ...levels] : levels;
    charts.push(levelChart(levelEl, steps.length ? steps : [{ time: p.firstSeen, level: p.dangerLevel }], endSec));
    if (tl) charts.push(packetsChart(packetsEl, tl.time, tl.packets));
  };
  void load();
  return () => {
    gone = true;
    for (const c of charts) c.destroy();
  };
}

function blockControls(p: SourceProfile, outcome: string, reload: (outcome: string) => void): HTMLElement[] {
  const status = h('span', { class: 'status', role: 'status' }, outcome);
  const duration = h('select', { 'aria-label': 'Block duration' },
    h('option', { value: '' }, 'default timeout'), h('option', { value: '1h' }, '1 hour'), h('option', { value: '1d' }, '1 day'),
    h('option', { value: '7d' }, '7 days'), h('option', { value: '0' }, 'permanently'));
  const block = h('button', { type: 'button', class: 'danger', id: 'block-btn' }, 'Block');
  const unblock = h('button', { type: 'button', id: 'unblock-btn', disabled: p.response.blockedUntil === null }, 'Unblock');
  block.addEventListener('click', () => {
    status.textContent = 'Blocking…';
    const body: Record<string, string> = { ip: p.ip, reason: 'manual block from the dashboard' };
    if (duration.value) body.duration = duration.value;
    post('/blocks', body).then(() => { status.textContent = 'Blocked.'; reload('Blocked.'); })
      .catch((e: unknown) => { status.textContent = e instanceof ApiError ? `${e.code}: ${e.message}` : String(e); });
  });
  unblock.addEventListener('click', () => {
    status.textContent = 'Unblocking…';
    del(`/blocks/${encodeURIComponent(p.ip)}`).then(() => { status.textContent = 'Unblocked.'; reload('Unblocked.'); })
      .catch((e: unknown) => { status.textContent = e instanceof ApiError ? `${e.code}: ${e.message}` : String(e); });
  });
  // the profile shows a block once respond recorded it; the block list knows right away
  get<{ blocks: { ip: string; until: string }[] }>('/blocks').then((r) => {
    const b = r.blocks.find((x) => x.ip === p.ip);
    if (b) {
      unblock.disabled = false;
      status.textContent = `Blocked ${b.until === 'permanent' ? 'permanently' : `until ${new Date(b.until).toLocaleString()}`}.`;
    }
  }).catch(() => undefined);
  return [duration, block, unblock, status];
}
