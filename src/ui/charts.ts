// uPlot charts in the page's theme: the overview timeline, a source's packets per hour and its danger-level steps.
import uPlot from 'uplot';
import { short } from './format.ts';

/** A colour of the current theme (CSS custom property on :root). */
export function themeColor(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

const localFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

/** Legend text of a time: the viewer's zone, then UTC. */
function timeLegend(_u: uPlot, v: number | null): string {
  if (v === null) return '—';
  const d = new Date(v * 1000);
  return `${localFmt.format(d)} (${d.toISOString().slice(5, 16).replace('T', ' ')} UTC)`;
}

/** Legend text of a count (uPlot passes null where the cursor has no value). */
function legendValue(_u: uPlot, v: number | null): string {
  return v === null ? '—' : short(v);
}

function axis(scale?: string, side?: 1 | 3): uPlot.Axis {
  const a: uPlot.Axis = {
    stroke: themeColor('--muted'),
    grid: { stroke: themeColor('--grid'), width: 1 },
    ticks: { stroke: themeColor('--grid'), width: 1 },
    font: '11px system-ui, sans-serif',
  };
  if (scale !== undefined) {
    a.scale = scale;
    a.values = (_u, vals) => vals.map((v) => short(v));
    a.size = 52;
  }
  // uPlot.Side is a const enum (not usable with isolatedModules): 1 = right, 3 = left
  if (side !== undefined) Object.assign(a, { side });
  return a;
}

/** Keeps a chart as wide as its container. */
function autoSize(u: uPlot, el: HTMLElement, height: number): ResizeObserver {
  const ro = new ResizeObserver(() => {
    const w = Math.max(200, Math.floor(el.clientWidth));
    if (w !== u.width) u.setSize({ width: w, height });
  });
  ro.observe(el);
  return ro;
}

/** A chart that can be removed (stops resizing with its container). */
export interface Chart {
  plot: uPlot;
  destroy(): void;
}

function chart(opts: uPlot.Options, data: uPlot.AlignedData, el: HTMLElement): Chart {
  const u = new uPlot({ ...opts, width: Math.max(200, el.clientWidth) }, data, el);
  const ro = autoSize(u, el, opts.height);
  return { plot: u, destroy: () => { ro.disconnect(); u.destroy(); } };
}

/** The overview timeline: packets (bars, right axis), new sources and rises to DL 4+ (lines, left axis). */
export function timelineChart(el: HTMLElement, t: { time: number[]; newSources: number[]; packets: number[]; reachedDl4: number[] }): Chart {
  const bars = uPlot.paths.bars?.({ size: [0.8, 40], gap: 1 });
  const opts: uPlot.Options = {
    width: 600,
    height: 240,
    cursor: { points: { size: 6 } },
    legend: { live: true },
    scales: { x: { time: true }, n: { range: (_u, _min, max) => [0, Math.max(1, max)] }, p: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    series: [
      { value: timeLegend },
      { label: 'Packets', scale: 'p', stroke: themeColor('--c-packets'), fill: themeColor('--c-packets-fill'), width: 1, points: { show: false }, ...(bars ? { paths: bars } : {}), value: legendValue },
      { label: 'New sources', scale: 'n', stroke: themeColor('--c-new'), width: 2, value: legendValue },
      { label: 'Reached DL 4+', scale: 'n', stroke: themeColor('--c-dl4'), width: 2, points: { show: true, size: 5, fill: themeColor('--c-dl4') }, value: legendValue },
    ],
    axes: [axis(), axis('n', 3), { ...axis('p', 1), grid: { show: false } }],
  };
  return chart(opts, [t.time, t.packets, t.newSources, t.reachedDl4], el);
}

/** A source's packets per hour. */
export function packetsChart(el: HTMLElement, time: number[], packets: number[]): Chart {
  const bars = uPlot.paths.bars?.({ size: [0.9, 30], gap: 1 });
  return chart({
    width: 600,
    height: 180,
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    series: [{ value: timeLegend }, { label: 'Packets', stroke: themeColor('--c-packets'), fill: themeColor('--c-packets-fill'), points: { show: false }, ...(bars ? { paths: bars } : {}), value: legendValue }],
    axes: [axis(), axis('y', 3)],
  }, [time, packets], el);
}

/** Danger level over time as a step chart (the level holds until the next step). */
export function levelChart(el: HTMLElement, steps: { time: string; level: number }[], endSec: number): Chart {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of steps) {
    xs.push(Math.floor(Date.parse(s.time) / 1000));
    ys.push(s.level);
  }
  if (xs.length === 0 || xs[xs.length - 1]! < endSec) {
    xs.push(endSec);
    ys.push(ys[ys.length - 1] ?? 0);
  }
  const stepped = uPlot.paths.stepped?.({ align: 1 });
  return chart({
    width: 600,
    height: 160,
    scales: { x: { time: true }, y: { range: [0, 5.2] } },
    series: [{ value: timeLegend }, { label: 'Danger level', stroke: themeColor('--c-dl4'), width: 2, fill: themeColor('--c-dl-fill'), ...(stepped ? { paths: stepped } : {}), points: { show: true, size: 6 } }],
    axes: [axis(), { ...axis('y', 3), splits: () => [0, 1, 2, 3, 4, 5], values: (_u, vals) => vals.map((v) => String(v)), size: 30 }],
  }, [xs, ys], el);
}
