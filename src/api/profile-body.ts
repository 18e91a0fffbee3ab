// The GET /sources/{ip} body: one serializer compiled from openapi.yaml's SourceProfile schema, and the identity of what it writes.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fastJson from 'fast-json-stringify';
import { parse as parseYaml } from 'yaml';
import type { EnrichPolicy } from '../domain/enrichment.ts';
import type { SourceProfile } from '../domain/profile.ts';

/**
 * Bumped whenever the code that composes a profile changes what a stored body would say for the same stored state:
 * bodies written under another value are dropped and rebuilt (the serializer's schema and the policy count already).
 */
const DOC_FORMAT = 1;

/** Serialises profiles exactly as the API sends them; `shape` names the output, for stored bodies. */
export interface ProfileBodies {
  /** The response body (JSON) of a profile. */
  serialize: (profile: SourceProfile) => string;
  /**
   * Identity of the bodies `serialize` writes for this configuration: the schema, the enrichment policy (whether
   * whois/rDNS of a source show as pending, skipped or disabled) and DOC_FORMAT. Stored bodies of another shape are stale.
   */
  shape: string;
}

/**
 * Compiles the SourceProfile schema of `specText` (openapi.yaml) with fast-json-stringify: the handler's answers and the
 * bodies the search indexer stores come from this one function, so a stored body is byte for byte a fresh answer.
 * Unknown properties are left out, as the schema says.
 */
export function profileBodies(specText: string, policy: EnrichPolicy): ProfileBodies {
  const spec = parseYaml(specText) as { components?: unknown };
  const shape = createHash('sha256')
    .update(JSON.stringify({ format: DOC_FORMAT, components: spec.components, policy: { minDangerLevel: policy.minDangerLevel, whois: policy.whois, rdns: policy.rdns } }))
    .digest('base64url').slice(0, 22);
  return { serialize: compile(spec), shape };
}

/** The serializer alone (the API compiles it when its caller gave none). */
export function profileSerializer(specText: string): (profile: SourceProfile) => string {
  return compile(parseYaml(specText) as { components?: unknown });
}

function compile(spec: { components?: unknown }): (profile: SourceProfile) => string {
  const schema = { $id: 'probewatch-source-profile', components: spec.components, $ref: '#/components/schemas/SourceProfile' };
  return fastJson(schema);
}

/** profileBodies over a spec file (default: the repository's openapi.yaml). */
export function profileBodiesFromFile(specPath: string, policy: EnrichPolicy): ProfileBodies {
  return profileBodies(readFileSync(specPath, 'utf8'), policy);
}
