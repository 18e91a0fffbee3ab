// analyze --json's profile serialiser: the same text as JSON.stringify for any profile, shared frozen parts serialised once.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProfileJson } from '../../src/cli/profile-json.ts';
import { emptyProfile } from '../../src/domain/scan-profile.ts';
import type { ProviderState, SourceProfile } from '../../src/domain/profile.ts';

const done = Object.freeze<ProviderState>({ state: 'done', reason: 'not in database', fetchedAt: '2026-11-27T10:00:00.000Z', source: 'city (x.mmdb)', build: null });
const off = Object.freeze<ProviderState>({ state: 'disabled', reason: 'whois is switched off "quoted" \u2028', fetchedAt: null, source: null, build: null });

/** A profile with arbitrary values in the tail, shared frozen states or fresh ones, and sometimes odd shapes. */
const profiles = fc.record({
  ip: fc.oneof(fc.constant('192.0.2.1'), fc.string()),
  packets: fc.integer(),
  geo: fc.oneof(fc.constant(null), fc.constant(Object.freeze({ country: 'NL', city: null })), fc.record({ country: fc.string(), city: fc.option(fc.string()) })),
  as: fc.oneof(fc.constant(null), fc.record({ number: fc.integer(), organization: fc.string() })),
  state: fc.constantFrom<'shared' | 'fresh' | 'frozen-whole' | 'extra-key' | 'undefined'>('shared', 'fresh', 'frozen-whole', 'extra-key', 'undefined'),
  tail: fc.constantFrom<'plain' | 'undefined-geo' | 'key-after' | 'frozen'>('plain', 'plain', 'undefined-geo', 'key-after', 'frozen'),
  text: fc.string(),
});

type Gen = typeof profiles extends fc.Arbitrary<infer T> ? T : never;

function build(r: Gen): SourceProfile {
  const p = emptyProfile(r.ip, 4);
  p.packets = r.packets;
  p.geo = r.geo;
  p.as = r.as;
  p.scanTypes = [r.text];
  const e = p.enrichment;
  if (r.state === 'shared') Object.assign(e, { geo: done, asn: done, whois: off, rdns: off });
  if (r.state === 'fresh') Object.assign(e, { geo: { ...done }, asn: { ...done, reason: r.text } });
  if (r.state === 'frozen-whole') p.enrichment = Object.freeze({ geo: done, asn: done, whois: off, rdns: off });
  if (r.state === 'extra-key') Object.assign(e, { extra: r.text });
  if (r.state === 'undefined') Object.assign(e, { whois: undefined });
  if (r.tail === 'undefined-geo') (p as unknown as Record<string, unknown>).geo = undefined;
  if (r.tail === 'key-after') (p as unknown as Record<string, unknown>).late = r.text;
  if (r.tail === 'frozen') Object.freeze(p);
  return p;
}

describe('ProfileJson', () => {
  it('writes exactly what JSON.stringify writes, for any profile shape', () => {
    const json = new ProfileJson();
    fc.assert(fc.property(profiles, (r) => {
      const p = build(r);
      const before = JSON.stringify(p);
      expect(json.stringify(p)).toBe(before);
      // and leaves the profile as it was
      expect(JSON.stringify(p)).toBe(before);
    }), { numRuns: 500 });
  });

  it('serialises a shared frozen part once', () => {
    let calls = 0;
    const counted = Object.freeze({ state: 'done', toJSON: () => { calls++; return { state: 'done' }; } });
    const json = new ProfileJson();
    const texts = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const p = emptyProfile(`198.51.100.${i}`, 4);
      p.enrichment.geo = counted;
      const text = json.stringify(p);
      expect(JSON.parse(text)).toMatchObject({ ip: `198.51.100.${i}`, enrichment: { geo: { state: 'done' } } });
      texts.add(text);
    }
    expect(texts.size).toBe(100);
    expect(calls).toBe(1);
  });
});
