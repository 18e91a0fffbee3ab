// Loads a compiled module of dist/ (what `probewatch` runs), typed by its source module: benches measure the product, not tsx.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `npm run build`, so dist/ is the code of this checkout. */
export function buildDist(): void {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
}

/** The compiled module dist/REL.js (REL like 'api/app'); T is `typeof` the source module imported as a type. */
export async function dist<T>(rel: string): Promise<T> {
  return (await import(new URL(`../../dist/${rel}.js`, import.meta.url).href)) as T;
}
