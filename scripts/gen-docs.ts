// Regenerates docs/configuration.md from the settings schema (npm run gen:docs); a test fails when it is stale.
import { writeFileSync } from 'node:fs';
import { renderReference } from '../src/config/reference.ts';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), `${renderReference()}\n`);
