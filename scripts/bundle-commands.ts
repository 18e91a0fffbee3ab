// Replaces dist/cli/fingerprint.js and dist/cli/analyze.js (tsc's output) with one bundled file each: the command and
// everything it imports. Usage: tsx scripts/bundle-commands.ts   (part of npm run build; run after tsc).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';

/*
 * Why: `probewatch fingerprint FILE` and `probewatch analyze FILE` are batch commands whose start-up is part of every
 * run, and Node's ES module loader spends ~0.04-0.06 CPU-s resolving, reading and linking the 35-110 modules of their
 * graphs one by one. One file with the same code loads in a fraction of that. Each bundle sits where tsc put the
 * module, so main.js loads it unchanged and paths taken from import.meta.url (the signatures directories) resolve as
 * before.
 *
 * Kept out of a bundle, as imports of the compiled modules beside it:
 *  - domain/errors: main.js maps errors to exit codes by `instanceof`, so the class must be the one main.js has;
 *  - the modules a command imports only when asked (fingerprint: store, JSON records, live capture; analyze: the
 *    enrichment of --mmdb/--whois): loaded as before, when used;
 *  - packages (node_modules) and Node's own modules.
 * A plain `tsc` build leaves the unbundled modules in place, which behave identically.
 *
 * Node's own modules are loaded with require() (createRequire), not imported. Importing one as an ES module makes Node
 * build a facade with every export of it, reading each: for `node:fs` that loads fs/promises, readline and the whole
 * streams stack through fs's lazy getters (~30 modules), whether the command uses them or not. A one-line analyze
 * child took ~8 ms (~5 %) less CPU time with require().
 *
 * esbuild declares every top-level binding of a bundle with `var`. V8 folds a module's top-level `const` (the digit
 * tables, the flag constants) into optimized code as a constant, but must load a `var` from its context and check it
 * on every use: the hot functions ran ~4 % more instructions per packet. So top-level `var`s that nothing assigns
 * again become `const` once more (they were `const` in the sources; TypeScript saw to it that nothing assigns them).
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
/** The bundled commands: source module (relative to src/cli/, without extension) → source modules (relative to src/,
 * without extension) that stay separate modules. */
export const BUNDLES: Readonly<Record<string, ReadonlySet<string>>> = {
  fingerprint: new Set(['domain/errors', 'cli/fingerprint-store', 'fingerprint/record', 'cli/fingerprint-live']),
  analyze: new Set(['domain/errors', 'cli/analyze-enrich']),
};

/** Resolves the imports of `separate` modules to the compiled modules beside the bundle. */
function keepSeparate(separate: ReadonlySet<string>): Plugin {
  return {
    name: 'keep-separate',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        const abs = resolve(args.resolveDir, args.path);
        const rel = relative(src, abs).replace(/\.ts$/, '');
        if (!separate.has(rel)) return undefined;
        // the compiled module, as seen from dist/cli/
        const target = relative(join(root, 'dist', 'cli'), join(root, 'dist', `${rel}.js`));
        return { path: target.startsWith('.') ? target : `./${target}`, external: true };
      });
    },
  };
}

/** The bundle's first lines: the require() its Node modules are loaded with (see builtinsByRequire). */
const REQUIRE_BANNER = "import { createRequire as __pwCreateRequire } from 'node:module';\nconst __pwRequire = __pwCreateRequire(import.meta.url);";

/** Node's own modules (node:…) as CommonJS modules loaded by require(), not as ES module imports (see Why). */
function builtinsByRequire(): Plugin {
  return {
    name: 'builtins-by-require',
    setup(b) {
      // without side effects: an import nothing uses (a module the command reaches but does not run) is dropped, as
      // esbuild drops unused imports of external modules
      b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'node-require', sideEffects: false }));
      b.onLoad({ filter: /.*/, namespace: 'node-require' }, (args) => ({
        contents: `module.exports = __pwRequire(${JSON.stringify(args.path)});`,
        loader: 'js',
      }));
    },
  };
}

/** Bundles one command (a key of BUNDLES); returns the bundle's path. */
export async function bundleCommand(name: string): Promise<string> {
  const separate = BUNDLES[name];
  if (!separate) throw new Error(`no bundle for ${name}`);
  const outFile = join(root, 'dist', 'cli', `${name}.js`);
  await build({
    entryPoints: [join(src, 'cli', `${name}.ts`)],
    outfile: outFile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
    allowOverwrite: true,
    banner: { js: REQUIRE_BANNER },
    plugins: [keepSeparate(separate), builtinsByRequire()],
  });
  writeFileSync(outFile, restoreConst(readFileSync(outFile, 'utf8')));
  return outFile;
}

/** Bundles every command of BUNDLES; returns the bundles' paths. */
export async function bundleCommands(): Promise<string[]> {
  const out: string[] = [];
  for (const name of Object.keys(BUNDLES)) out.push(await bundleCommand(name));
  return out;
}

/**
 * Turns top-level `var NAME = …;` statements back into `const` when no other statement assigns NAME (any assignment
 * operator, ++ or --). A name that only looks assigned (a local of the same name) stays `var`: the safe direction.
 */
export function restoreConst(code: string): string {
  const assigned = (name: string): boolean => {
    const n = name.replace(/\$/g, '\\$');
    return new RegExp(`(?:\\+\\+|--)\\s*${n}\\b|(?<![.\\w$])${n}\\s*(?:\\+\\+|--|(?:[-+*/%&|^]|\\*\\*|<<|>>>?|\\?\\?|\\|\\||&&)?=(?!=))`, 'g').test(code.replace(new RegExp(`^var ${n} =`, 'm'), ''));
  };
  return code.replace(/^var ([\w$]+) = /gm, (whole, name: string) => (assigned(name) ? whole : `const ${name} = `));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const f of await bundleCommands()) process.stdout.write(`bundled ${relative(root, f)}\n`);
}
