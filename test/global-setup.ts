// Runs once before the suites: brings dist/ up to date with the sources (tests spawn bin/probewatch.js, which runs dist/)
// and builds the dashboard into dist/ui so the served page exists, as after `npm run build`.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCommands } from '../scripts/bundle-commands.ts';
import { buildUi } from '../scripts/build-ui.ts';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** Newest modification time of any file below `dir` (0 when it does not exist). */
function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) max = Math.max(max, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return max;
}

export default async function setup(): Promise<void> {
  const built = join(root, 'dist', 'cli', 'main.js');
  // a stale dist/ would make every spawned command test yesterday's code: rebuild when any source is newer
  if (!existsSync(built) || newest(join(root, 'src')) > statSync(built).mtimeMs) {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
    // as npm run build does: the batch commands as one file each (what the spawned CLI then runs)
    await bundleCommands();
  }
  if (!existsSync(join(root, 'dist', 'geo', 'probewatch-asn.mmdb'))) {
    execFileSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/build-asn-mmdb.ts')], { stdio: 'inherit', cwd: root });
  }
  await buildUi();
}
