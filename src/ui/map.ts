// The world map: countries shaded by sources seen in the window (d3-geo, world-atlas 110m, served with the page).
import { geoNaturalEarth1, geoPath } from 'd3-geo';
import type { GeoPermissibleObjects } from 'd3-geo';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import type { CountryCount } from '../domain/dashboard.ts';
import { h, s } from './dom.ts';
import { num } from './format.ts';

interface CountryFeature {
  type: 'Feature';
  id?: string | number;
  properties: { name?: string };
  geometry: GeoPermissibleObjects;
}

let atlas: Promise<CountryFeature[]> | null = null;

/** The country shapes, loaded once from the page's own files. */
function shapes(): Promise<CountryFeature[]> {
  atlas ??= fetch('countries-110m.json', { cache: 'force-cache' })
    .then((r) => {
      if (!r.ok) throw new Error(`map data: HTTP ${r.status}`);
      return r.json() as Promise<Topology<{ countries: GeometryCollection<{ name?: string }> }>>;
    })
    .then((topo) => {
      const fc = feature(topo, topo.objects.countries) as unknown as { features: CountryFeature[] };
      // Antarctica takes a fifth of the height and never hosts scanners worth a colour
      return fc.features.filter((f) => String(f.id) !== '010');
    });
  return atlas;
}

/** Number of colour steps of the scale (classes .m1 … .m7 in the stylesheet). */
const STEPS = 7;

/** Colour class of a count: square-root steps up to the busiest country (a lone source still shows). */
export function shade(n: number, max: number): number {
  if (n <= 0 || max <= 0) return 0;
  return Math.max(1, Math.min(STEPS, Math.ceil(Math.sqrt(n / max) * STEPS)));
}

/** Draws the map into `el`; a click on a country with sources calls `onPick` with its alpha-2 code. */
export async function drawMap(el: HTMLElement, countries: CountryCount[], selected: string | null, onPick: (code: string) => void): Promise<void> {
  const features = await shapes();
  const byNumeric = new Map<string, CountryCount>();
  for (const c of countries) if (c.numeric) byNumeric.set(c.numeric, c);
  const max = countries.reduce((m, c) => Math.max(m, c.sources), 0);
  const width = 960;
  const height = 470;
  const projection = geoNaturalEarth1().fitExtent([[4, 4], [width - 4, height - 4]], { type: 'FeatureCollection', features } as unknown as GeoPermissibleObjects);
  const path = geoPath(projection);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'map', role: 'img', 'aria-label': 'Sources per country' });
  for (const f of features) {
    const id = String(f.id ?? '').padStart(3, '0');
    const c = byNumeric.get(id);
    const d = path(f.geometry);
    if (!d) continue;
    const cls = `country m${c ? shade(c.sources, max) : 0}${c && c.code === selected ? ' selected' : ''}${c ? ' has' : ''}`;
    const p = s('path', { d, class: cls, 'data-id': id, 'data-code': c?.code ?? null, 'data-sources': c?.sources ?? 0 },
      s('title', {}, c ? `${c.name}: ${num(c.sources)} source${c.sources === 1 ? '' : 's'}` : `${f.properties.name ?? id}: none`));
    if (c) {
      p.addEventListener('click', () => { onPick(c.code); });
      p.setAttribute('tabindex', '0');
      p.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') onPick(c.code);
      });
    }
    svg.append(p);
  }
  const legend = h('div', { class: 'map-legend' },
    h('span', {}, '0'),
    ...Array.from({ length: STEPS }, (_, i) => h('span', { class: `swatch m${i + 1}`, title: `step ${i + 1}` })),
    h('span', {}, num(max)),
  );
  el.replaceChildren(svg, legend);
}
