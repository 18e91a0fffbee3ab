// Builds the dashboard into dist/ui: one bundled script and stylesheet, the page, the icon, the map data and licences.
// Usage: tsx scripts/build-ui.ts [OUT_DIR]   (npm run build:ui). Everything it writes ships with the package.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Third-party code and data bundled into the page, with their licence files. */
const VENDORED = [
  ['uPlot 1.6.32 (MIT)', 'node_modules/uplot/LICENSE'],
  ['d3-geo 3.1.2 (ISC)', 'node_modules/d3-geo/LICENSE'],
  ['d3-array (ISC), a dependency of d3-geo', 'node_modules/d3-array/LICENSE'],
  ['topojson-client 3.1.0 (ISC)', 'node_modules/topojson-client/LICENSE'],
  ['world-atlas 2.0.2 (ISC; shapes from Natural Earth, public domain)', 'node_modules/world-atlas/LICENSE'],
] as const;

/** Builds into `out` (default dist/ui); returns the files written. */
export async function buildUi(out = join(root, 'dist', 'ui'), opts: { minify?: boolean } = {}): Promise<string[]> {
  mkdirSync(out, { recursive: true });
  const minify = opts.minify ?? true;
  await build({
    entryPoints: [join(root, 'src/ui/main.ts')],
    bundle: true,
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    minify,
    sourcemap: 'linked',
    legalComments: 'none',
    outfile: join(out, 'app.js'),
    logLevel: 'warning',
  });
  await build({
    entryPoints: [join(root, 'src/ui/styles.css')],
    bundle: true,
    minify,
    outfile: join(out, 'app.css'),
    logLevel: 'warning',
  });
  copyFileSync(join(root, 'src/ui/index.html'), join(out, 'index.html'));
  copyFileSync(join(root, 'src/ui/favicon.svg'), join(out, 'favicon.svg'));
  copyFileSync(join(root, 'node_modules/world-atlas/countries-110m.json'), join(out, 'countries-110m.json'));
  const licences = VENDORED.map(([name, file]) => `==== ${name} ====\n\n${readFileSync(join(root, file), 'utf8').trim()}\n`).join('\n');
  writeFileSync(join(out, 'licenses.txt'), `Third-party code and data in the probewatch dashboard\n\n${licences}`);
  return ['index.html', 'app.js', 'app.js.map', 'app.css', 'favicon.svg', 'countries-110m.json', 'licenses.txt'];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ? resolve(process.argv[2]) : undefined;
  buildUi(out).then((files) => { process.stdout.write(`dashboard built: ${files.join(', ')}\n`); }, (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
