// Feed events as ArcSight CEF lines, escaped by the spec: header `|` and `\`; extension `\`, `=`, CR and LF.
import { osText, portsByPackets } from '../../domain/summary.ts';
import { describe } from './ecs.ts';
import { eventHeader } from './event.ts';
import type { ResolvedEntry } from './event.ts';

/** Longest extension value written (ArcSight's cs fields hold 4000 characters). */
const MAX_VALUE = 4000;

/** Escapes a CEF header field: backslash and pipe; line breaks are not allowed in headers and become spaces. */
export function cefHeader(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

/** Escapes a CEF extension value: backslash, equals sign, and line breaks as \n / \r. */
export function cefValue(s: string): string {
  return s.slice(0, MAX_VALUE).replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

/** CEF severity 0–10 from a danger level. */
export function cefSeverity(level: number): number {
  return Math.min(10, Math.max(0, level * 2));
}

/** One CEF line (no trailing newline) for a resolved feed entry. */
export function cefLine(r: ResolvedEntry, product: { version: string }): string {
  const h = eventHeader(r);
  const p = r.profile;
  const ip = r.entry.ip;
  const v6 = ip.includes(':');
  const head = ['CEF:0', 'probewatch', 'probewatch', product.version,
    p ? 'profile.update' : 'profile.delete', p ? 'Scanner profile updated' : 'Scanner profile deleted', String(cefSeverity(p?.dangerLevel ?? 0))]
    .map((x, i) => (i === 0 ? x : cefHeader(x))).join('|');
  const ext: (readonly [string, string | number | undefined])[] = [
    ['rt', r.entry.time],
    // CEF's src is an IPv4 field; IPv6 sources go to c6a2 ("Source IPv6 Address") as the spec defines
    ...(v6 ? [['c6a2', ip], ['c6a2Label', 'Source IPv6 Address']] satisfies [string, string][] : [['src', ip]] satisfies [string, string][]),
    ['externalId', h.id],
    ['act', h.action],
    ['cat', 'probewatch/profile'],
  ];
  if (p) {
    const ports = portsByPackets(p);
    ext.push(
      ['cnt', p.packets],
      ['start', Date.parse(p.firstSeen)],
      ['end', Date.parse(p.lastSeen)],
      ['msg', describe(p)],
      ['cn1Label', 'dangerLevel'], ['cn1', p.dangerLevel],
      ['cn2Label', 'distinctPorts'], ['cn2', p.ports.length],
      ['cn3Label', 'profileVersion'], ['cn3', r.version],
      ['cs1Label', 'country'], ['cs1', p.geo?.country ?? undefined],
      ['cs2Label', 'asn'], ['cs2', p.as?.number != null ? `AS${p.as.number}` : undefined],
      ['cs3Label', 'asOrganization'], ['cs3', p.as?.organization ?? undefined],
      ['cs4Label', 'os'], ['cs4', osText(p) ?? undefined],
      ['cs5Label', 'scanTypes'], ['cs5', p.scanTypes.join(', ') || undefined],
      ['cs6Label', 'ports'], ['cs6', ports.slice(0, 50).map((x) => `${x.proto}/${x.port}`).join(' ') || undefined],
      ['shost', p.rdns?.name ?? undefined],
    );
  }
  const pairs: string[] = [];
  for (const [k, v] of ext) {
    if (v === undefined || v === '') continue;
    // a label without its value is noise: drop csNLabel when csN is absent
    const lbl = /^(c[sn]\d)Label$/.exec(k);
    if (lbl && ext.find(([kk]) => kk === lbl[1])?.[1] === undefined) continue;
    pairs.push(`${k}=${typeof v === 'number' ? String(v) : cefValue(v)}`);
  }
  return `${head}|${pairs.join(' ')}`;
}
