// doctor, host part: can capture open interfaces (CAP_NET_RAW, libpcap, the interfaces), are GeoIP databases present
// and fresh — each finding with the fix. (Checks only; capture and enrichment themselves live in their own folders.)
import { readFile, readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Reader } from 'maxmind';
import type { Finding } from './doctor-types.ts';

/** Where GeoIP databases usually live (geoipupdate, Debian geoip packages, DB-IP). */
export const GEOIP_DIRS = ['/usr/share/GeoIP', '/var/lib/GeoIP', '/usr/local/share/GeoIP', '/var/lib/probewatch/geoip'];

const CAP_NET_RAW = 13;

/** Effective capability bits of this process (from /proc/self/status), or null when unknown. */
export async function effectiveCaps(): Promise<bigint | null> {
  try {
    const s = await readFile('/proc/self/status', 'utf8');
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(s);
    return m ? BigInt(`0x${m[1]!}`) : null;
  } catch {
    return null;
  }
}

/** Options of the capture check. */
export interface CaptureCheckOptions {
  /** Interfaces capture is configured for. */
  interfaces: readonly string[];
  /** Capability bits to judge (tests); default this process's. */
  caps?: bigint | null;
}

/** Can capture open the configured interfaces? */
export async function checkCapture(o: CaptureCheckOptions): Promise<Finding[]> {
  const f: Finding[] = [];
  const caps = o.caps === undefined ? await effectiveCaps() : o.caps;
  const raw = caps !== null && ((caps >> BigInt(CAP_NET_RAW)) & 1n) === 1n;
  if (!raw) {
    f.push({
      id: 'capture.no-cap-net-raw', severity: o.interfaces.length ? 'error' : 'info',
      title: 'this process lacks CAP_NET_RAW: live SYN capture (OS fingerprints from packets) cannot open interfaces',
      fix: 'run the service with AmbientCapabilities=CAP_NET_RAW (the systemd unit does), or setcap cap_net_raw+ep on the node binary; firewall-log analysis does not need it',
    });
  } else {
    f.push({ id: 'capture.cap-net-raw', severity: 'ok', title: 'CAP_NET_RAW available for live capture' });
  }
  try {
    const require = createRequire(import.meta.url);
    const cap = require('cap') as { Cap: { deviceList(): { name: string }[] } };
    const devices = cap.Cap.deviceList().map((d) => d.name);
    for (const i of o.interfaces) {
      if (!devices.includes(i)) {
        f.push({ id: 'capture.no-interface', severity: 'error', title: `interface ${i} does not exist (libpcap sees: ${devices.slice(0, 12).join(', ')})`, fix: 'fix --interface / capture.interfaces' });
      }
    }
  } catch (e) {
    f.push({
      id: 'capture.no-libpcap', severity: o.interfaces.length ? 'error' : 'warn', title: `libpcap binding not loadable: ${(e as Error).message.split('\n')[0] ?? ''}`,
      fix: 'apt-get install libpcap-dev && npm ci (rebuilds the cap and pcap addons)',
    });
  }
  return f;
}

/** Options of the GeoIP check. */
export interface GeoCheckOptions {
  /** Database files given explicitly (--mmdb). */
  files: readonly string[];
  /** Directories to search when none is given. */
  dirs?: readonly string[];
  /** Now, ms. */
  now?: () => number;
  /** Age in days beyond which a database is called stale (default 45; GeoLite2 is rebuilt twice a week). */
  staleDays?: number;
}

/** Are GeoIP (.mmdb) databases present, readable and fresh? */
export async function checkGeo(o: GeoCheckOptions): Promise<Finding[]> {
  const f: Finding[] = [];
  let files = [...o.files];
  if (files.length === 0) {
    for (const d of o.dirs ?? GEOIP_DIRS) {
      try {
        files.push(...(await readdir(d)).filter((n) => n.endsWith('.mmdb')).map((n) => join(d, n)));
      } catch { /* absent */ }
    }
    files = [...new Set(files)];
  }
  if (files.length === 0) {
    f.push({
      id: 'geo.none', severity: 'warn', title: 'no GeoIP databases (.mmdb) found: profiles will have no country, city or AS',
      fix: `apt-get install geoipupdate (MaxMind account) or download DB-IP lite .mmdb files into ${GEOIP_DIRS[0]!}, then pass them with --mmdb`,
    });
    return f;
  }
  const now = o.now?.() ?? Date.now();
  const types: string[] = [];
  for (const p of files) {
    try {
      const st = await stat(p);
      if (st.size > 2 * 1024 ** 3) throw new Error('larger than 2 GiB');
      const meta = new Reader(await readFile(p)).metadata;
      types.push(meta.databaseType);
      const age = (now - meta.buildEpoch.getTime()) / 86_400_000;
      if (age > (o.staleDays ?? 45)) {
        f.push({ id: 'geo.stale', severity: 'warn', title: `${p} (${meta.databaseType}) was built ${Math.round(age)} days ago: addresses move, geo/AS answers drift`, fix: 'update it (geoipupdate, or a fresh DB-IP download) regularly, e.g. weekly from cron' });
      } else {
        f.push({ id: 'geo.ok', severity: 'ok', title: `${p}: ${meta.databaseType}, built ${meta.buildEpoch.toISOString().slice(0, 10)}` });
      }
    } catch (e) {
      f.push({ id: 'geo.unreadable', severity: 'error', title: `${p} is not a readable MaxMind database: ${(e as Error).message.slice(0, 160)}`, fix: 'replace the file (a partial download?)' });
    }
  }
  if (types.length > 0 && !types.some((t) => /ASN/i.test(t))) {
    f.push({ id: 'geo.no-asn', severity: 'info', title: 'no ASN database among them: profiles will have no AS number/organisation', fix: 'add GeoLite2-ASN.mmdb (or DB-IP ASN lite)' });
  }
  return f;
}
