// The lines `p0f -o LOG` writes (p0f.c start_observation / add_observation_field) for SYN, SYN+ACK and MTU, in UTC, as text.
import { formatIpv4, formatIpv6P0f } from '../domain/address.ts';
import type { SynObservation } from '../domain/observation.ts';
import type { MtuEvent, TcpEvent } from './engine.ts';
import { paramsText, rawSig } from './raw-sig.ts';
import type { TcpMatch } from './tcp-match.ts';

let cachedSecond = -1;
let cachedStamp = '';

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** "[YYYY/MM/DD HH:MM:SS]" of a time in ms, in UTC (what `TZ=UTC p0f` prints). Cached per second. */
export function p0fStamp(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== cachedSecond) {
    const d = new Date(sec * 1000);
    cachedStamp = `[${d.getUTCFullYear()}/${pad2(d.getUTCMonth() + 1)}/${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}]`;
    cachedSecond = sec;
  }
  return cachedStamp;
}

/** An address as p0f prints it: dotted quad, or eight unpadded hex groups without "::" compression. */
export function p0fAddr(b: Uint8Array, off = 0, family: 4 | 6 = b.length === 16 ? 6 : 4): string {
  return family === 4 ? formatIpv4(b, off) : formatIpv6P0f(b, off);
}

/** "name flavor" of a match as p0f prints it, or "???". */
export function matchName(m: TcpMatch): string {
  const r = m.record;
  if (!r) return '???';
  const l = r.entry.label;
  return l.flavor !== null ? `${l.name} ${l.flavor}` : l.name;
}

/** The flow prefix "mod=…|cli=…|srv=…|subj=…" shared by all of one packet's lines. */
export function flowPrefix(mod: string, mode: 'syn' | 'syn+ack', ev: { obs: SynObservation }): string {
  const o = ev.obs;
  const src = p0fAddr(o.buf, o.srcOff, o.family);
  const dst = p0fAddr(o.buf, o.dstOff, o.family);
  return mode === 'syn'
    ? `mod=${mod}|cli=${src}/${o.sport}|srv=${dst}/${o.dport}|subj=cli`
    : `mod=${mod}|cli=${dst}/${o.dport}|srv=${src}/${o.sport}|subj=srv`;
}

/** The p0f log line of a SYN / SYN+ACK fingerprint (without the newline). */
export function formatTcpLine(ev: TcpEvent): string {
  const m = ev.match;
  const mod = ev.sendsyn ? (ev.mode === 'syn' ? 'sendsyn probe' : 'sendsyn response') : ev.mode;
  const key = m.record && (m.record.tool || ev.sendsyn) ? 'app' : 'os';
  const dist = m.record?.sig.badTtl ? `<= ${m.dist}` : String(m.dist);
  return `${p0fStamp(ev.obs.time)} ${flowPrefix(mod, ev.mode, ev)}|${key}=${matchName(m)}|dist=${dist}|params=${paramsText(m, ev.ps.tos)}|raw_sig=${rawSig(ev.ps, ev.synMss)}`;
}

/** The p0f log line of an MTU observation (without the newline). */
export function formatMtuLine(ev: MtuEvent): string {
  return `${p0fStamp(ev.obs.time)} ${flowPrefix('mtu', ev.mode, ev)}|link=${ev.link ?? '???'}|raw_mtu=${ev.mtu}`;
}
