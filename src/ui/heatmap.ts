// Ports × time heat map (packets per port per hour or day) and the top-ports bar beside it, as SVG.
import type { DashboardPorts } from '../domain/dashboard.ts';
import { h, s } from './dom.ts';
import { num, short } from './format.ts';

const STEPS = 7;
const fmtHour = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const fmtDay = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** Colour step of a cell (square-root scale against the busiest cell). */
function step(n: number, max: number): number {
  if (n <= 0 || max <= 0) return 0;
  return Math.max(1, Math.min(STEPS, Math.ceil(Math.sqrt(n / max) * STEPS)));
}

/** Draws the heat map and the bar into `el` (re-drawn to the panel's width); clicking a port calls `onPort`. */
export function drawPorts(el: HTMLElement, d: DashboardPorts, onPort: (port: string) => void): () => void {
  if (d.ports.length === 0) {
    el.replaceChildren(h('p', { class: 'empty' }, 'No packets to ports in this window.'));
    return () => undefined;
  }
  const wrap = h('div', { class: 'heat-wrap' });
  const top = d.ports[0]!.packets;
  const total = d.ports.reduce((a, p) => a + p.packets, 0) + d.otherPackets;
  const bars = h('ol', { class: 'bars ports-bar' }, ...d.ports.map((p) => barRow(p.port, p.packets, top, total, () => { onPort(p.port); })));
  if (d.otherPackets > 0) bars.append(h('li', { class: 'bar-other' }, h('span', { class: 'bar-label' }, 'other ports'), h('span', { class: 'bar-value' }, short(d.otherPackets))));
  el.replaceChildren(wrap, h('div', { class: 'ports-side' }, h('h3', {}, 'Top ports'), bars));
  let drawn = 0;
  const draw = (): void => {
    const w = Math.max(320, Math.floor(wrap.clientWidth));
    if (w === drawn) return;
    drawn = w;
    wrap.replaceChildren(heat(d, w, onPort));
  };
  draw();
  const ro = new ResizeObserver(draw);
  ro.observe(wrap);
  return () => { ro.disconnect(); };
}

function heat(d: DashboardPorts, width: number, onPort: (port: string) => void): SVGSVGElement {
  const rowH = 22;
  const labelW = 78;
  const axisH = 20;
  const cols = d.buckets.length;
  const cellW = (width - labelW) / cols;
  const height = d.ports.length * rowH + axisH;
  let max = 0;
  for (const p of d.ports) for (const c of p.cells) max = Math.max(max, c);
  const svg = s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'heat', role: 'img', 'aria-label': 'Packets per port over time' });
  const fmt = d.bucket === 'hour' ? fmtHour : fmtDay;
  d.ports.forEach((p, r) => {
    const y = r * rowH;
    const label = s('text', { x: labelW - 8, y: y + rowH - 7, class: 'heat-label', 'text-anchor': 'end' }, p.port);
    label.addEventListener('click', () => { onPort(p.port); });
    svg.append(label);
    p.cells.forEach((n, i) => {
      const t = d.buckets[i]! * 1000;
      const utc = new Date(t).toISOString().slice(0, d.bucket === 'hour' ? 16 : 10).replace('T', ' ');
      svg.append(s('rect', { x: (labelW + i * cellW).toFixed(1), y: y + 1, width: Math.max(1, cellW - 1).toFixed(1), height: rowH - 2, rx: 2, class: `cell h${step(n, max)}` },
        s('title', {}, `${p.port} · ${fmt.format(t)} (${utc} UTC): ${num(n)} packets`)));
    });
  });
  // time labels along the bottom, no closer than 90 px
  const every = Math.max(1, Math.ceil(90 / cellW));
  for (let i = 0; i < cols; i += every) {
    svg.append(s('text', { x: (labelW + i * cellW).toFixed(1), y: height - 5, class: 'heat-axis' }, fmt.format(d.buckets[i]! * 1000)));
  }
  return svg;
}

/** One row of a horizontal bar list (the bar width is set through CSSOM, which the CSP allows). */
export function barRow(label: string, value: number, max: number, total: number, onClick?: () => void, title?: string): HTMLLIElement {
  const fillEl = h('span', { class: 'bar-fill' });
  fillEl.style.width = `${max > 0 ? Math.max(1, (value / max) * 100) : 0}%`;
  const pct = total > 0 ? ` · ${num((value / total) * 100)} %` : '';
  const li = h('li', { class: onClick ? 'bar clickable' : 'bar', title: `${title ?? label}: ${num(value)}${pct}` },
    h('span', { class: 'bar-track' }, fillEl),
    h('span', { class: 'bar-label' }, label),
    h('span', { class: 'bar-value' }, short(value)));
  if (onClick) {
    li.tabIndex = 0;
    li.addEventListener('click', onClick);
    li.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') onClick();
    });
  }
  return li;
}
