// Converts the bundled open IP-to-ASN CSV (@ip-location-db/asn: RouteViews, NRO, DB-IP; CC BY 4.0) to a MaxMind DB file,
// so the ASN provider has data on a machine with no configuration. Run by `npm run build`; prints where it wrote the file.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BUNDLED_ASN_RELATIVE, packageRoot } from '../src/enrich/geo/default-dbs.ts';
import { MmdbWriter, parseAddress } from '../src/enrich/geo/mmdb-writer.ts';

/** Splits one CSV line (RFC 4180 quoting). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q === -1) { v += line.slice(i); i = line.length; break; }
        v += line.slice(i, q);
        if (line[q + 1] === '"') { v += '"'; i = q + 2; } else { i = q + 1; break; }
      }
      out.push(v);
      i++; // the comma
    } else {
      const c = line.indexOf(',', i);
      const end = c === -1 ? line.length : c;
      out.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return out;
}

const root = packageRoot();
const req = createRequire(join(root, 'package.json'));
const pkgJson = req.resolve('@ip-location-db/asn/package.json');
const dir = dirname(pkgJson);
const out = join(root, BUNDLED_ASN_RELATIVE);
if (!process.argv.includes('--force') && existsSync(out) && statSync(out).mtimeMs > statSync(pkgJson).mtimeMs) {
  process.stdout.write(`${out} is up to date (--force rebuilds it)\n`);
  process.exit(0);
}
const version = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string }).version;
// the package version carries the data date (2.3.YYYYMMDDHH): use it as the build time so the output is reproducible
const m = /\.(\d{4})(\d{2})(\d{2})(\d{2})$/.exec(version);
const buildEpoch = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4])) / 1000 : Math.floor(Date.now() / 1000);
const w = new MmdbWriter({
  databaseType: 'ip-location-db-ASN',
  ipVersion: 6,
  description: `IP to ASN from RouteViews, NRO and DB-IP (CC BY 4.0) via @ip-location-db/asn ${version}`,
  buildEpoch,
});
let rows = 0;
let bad = 0;
for (const file of ['asn-ipv4.csv', 'asn-ipv6.csv']) {
  const text = readFileSync(join(dir, file), 'utf8');
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    const [first, last, asn, org] = csvFields(line);
    const a = parseAddress(first ?? '');
    const b = parseAddress(last ?? '');
    const n = Number(asn);
    if (!a || !b || a.length !== b.length || !Number.isInteger(n) || n < 0) { bad++; continue; }
    const rec: Record<string, number | string> = { autonomous_system_number: n };
    if (org) rec.autonomous_system_organization = org;
    w.insertRange(a, b, rec);
    rows++;
  }
}
mkdirSync(dirname(out), { recursive: true });
// write then rename: a running probewatch reloading this path never sees half a file
writeFileSync(`${out}.tmp`, w.toBuffer());
renameSync(`${out}.tmp`, out);
process.stdout.write(`wrote ${out}: ${rows} ranges (${bad} skipped), ${w.nodeCount} nodes, data ${version}\n`);
