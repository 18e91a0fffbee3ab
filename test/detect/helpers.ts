// Test helpers: hand-made PacketEvents, detection rules from the defaults plus overrides, and a detector to feed.
import { readFileSync } from 'node:fs';
import { detect as detectSection } from '../../src/config/sections/detect.ts';
import { Detector } from '../../src/detect/engine.ts';
import type { IntervalMode } from '../../src/detect/engine.ts';
import { MemoryDirectory } from '../../src/detect/memory-directory.ts';
import { compileRules } from '../../src/detect/rules.ts';
import type { DetectData, DetectOptions, DetectRules } from '../../src/detect/rules.ts';
import { TcpFlag } from '../../src/domain/events.ts';
import type { PacketEvent } from '../../src/domain/events.ts';
import type { SourceState } from '../../src/domain/scan-state.ts';

const bundled = (f: string): { name: string; text: string } => ({
  name: f, text: readFileSync(new URL(`../../signatures/psad/${f}`, import.meta.url), 'latin1'),
});

/** Bundled data files, with some replaced. */
export function data(over: Partial<DetectData> = {}): DetectData {
  return {
    signatures: bundled('signatures'), autoDl: bundled('auto_dl'), snortRuleDl: bundled('snort_rule_dl'),
    icmpTypes: bundled('icmp_types'), icmp6Types: bundled('icmp6_types'), ipOptions: bundled('ip_options'),
    protocols: bundled('protocols'), fwsnortRules: [], ...over,
  };
}

/** Rules from the detect defaults with `opts` applied. */
export function rules(opts: Partial<DetectOptions> = {}, over: Partial<DetectData> = {}): DetectRules {
  return compileRules({ ...detectSection.defaults, ...opts }, data(over));
}

/** Text as a data file. */
export function text(name: string, body: string): { name: string; text: string } {
  return { name, text: body };
}

let lineNo = 0;
/** Base time: 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);

/** A TCP SYN from `src` to `dst`:`dport` unless overridden. */
export function ev(p: Partial<PacketEvent> = {}): PacketEvent {
  const family = p.family ?? ((p.src ?? '').includes(':') ? 6 : 4);
  return {
    time: T0, timeSource: 'syslog', host: 'sensor', prefix: 'DROP', chain: 'INPUT', inIf: 'eth0', outIf: '',
    family, src: family === 6 ? '2001:db8::66' : '198.51.100.66', dst: family === 6 ? '2001:db8::1' : '203.0.113.1',
    len: 44, tos: 0, ttl: 50, ipId: 1234, df: false, mf: false, ce: false, ipOptGroups: 0, proto: 6, sport: 40000,
    dport: 40000, window: 1024, res: 0, flags: TcpFlag.SYN, urgp: 0, line: ++lineNo, ...p,
  };
}

/** A detector over an in-memory directory. */
export function detector(r: DetectRules, mode: IntervalMode = 'single'): { d: Detector; dir: MemoryDirectory; src: (ip: string) => SourceState | undefined } {
  const dir = new MemoryDirectory();
  return { d: new Detector(r, dir, mode), dir, src: (ip) => dir.get(ip) };
}

/** Feeds events and closes (finish); returns the danger level per source. */
export function run(r: DetectRules, events: PacketEvent[], mode: IntervalMode = 'single'): Map<string, number> {
  const { d, dir } = detector(r, mode);
  for (const e of events) d.ingest(e);
  d.finish();
  return new Map([...dir.sources.values()].map((s) => [s.ip, s.dl]));
}

/** `n` SYNs from src to consecutive ports starting at `from` on one destination. */
export function ports(src: string, n: number, from = 40000, p: Partial<PacketEvent> = {}): PacketEvent[] {
  return Array.from({ length: n }, (_, i) => ev({ src, dport: from + i, ...p }));
}
