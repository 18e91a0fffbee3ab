// The full settings schema: every section, composed. Add a section here and it is loaded, validated and documented.
import type { Section } from './define.ts';
import { api } from './sections/api.ts';
import { core } from './sections/core.ts';
import { detect } from './sections/detect.ts';
import { dashboard } from './sections/dashboard.ts';
import { enrich } from './sections/enrich.ts';
import { fingerprint } from './sections/fingerprint.ts';
import { logs } from './sections/logs.ts';
import { respond } from './sections/respond.ts';
import { store } from './sections/store.ts';

/** Every section, in the order the reference documents them. */
export const SECTIONS = [core, store, logs, detect, fingerprint, enrich, respond, api, dashboard] as const;

type SectionsOf<S extends readonly Section<Record<string, unknown>>[]> = {
  [E in S[number] as E['name']]: E['defaults'];
};

/** Helper type: the defaults of a section, widened from literal types. */
type Widen<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean
  : T extends readonly (infer U)[] ? Widen<U>[] : T extends object ? { [K in keyof T]: Widen<T[K]> } : T;

/** The resolved configuration every command receives (deep-frozen). */
export type Config = Widen<SectionsOf<typeof SECTIONS>>;

/** Looks a section up by name. */
export function sectionByName(name: string): Section<Record<string, unknown>> | undefined {
  return (SECTIONS as readonly Section<Record<string, unknown>>[]).find((s) => s.name === name);
}
