// Turns raw MaxMind DB records (GeoIP2/GeoLite2 layout, and the flat ip-location-db layout) into GeoInfo / AsInfo.
import type { AsInfo, GeoInfo } from '../../domain/profile.ts';

type Rec = Record<string, unknown>;

const obj = (v: unknown): Rec | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Rec : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** Coordinates stored as 32-bit floats print as 37.422000885009766: four decimals (~11 m) is all they carry. */
const coord = (v: unknown): number | null => { const n = num(v); return n === null ? null : Math.round(n * 1e4) / 1e4; };
const nameEn = (v: unknown): string | null => str(obj(obj(v)?.names)?.en);

/** Whether a record uses the GeoIP2 nested layout (country.iso_code …) rather than a flat one (country_code …). */
function isGeoIp2(rec: Rec): boolean {
  return 'country' in rec || 'continent' in rec || 'location' in rec || 'registered_country' in rec;
}

/**
 * A location record as GeoInfo. `geo.country` is the location's country (the `country` record), never
 * `registered_country`: a scanner in a cloud region registered abroad is where it is.
 */
export function geoFromRecord(rec: Rec): GeoInfo {
  if (isGeoIp2(rec)) {
    const country = obj(rec.country);
    const location = obj(rec.location);
    const subdivisions = Array.isArray(rec.subdivisions) ? rec.subdivisions : [];
    return {
      country: str(country?.iso_code)?.toUpperCase() ?? null,
      countryName: nameEn(country),
      city: nameEn(rec.city),
      region: nameEn(subdivisions[0]),
      continent: str(obj(rec.continent)?.code),
      latitude: num(location?.latitude),
      longitude: num(location?.longitude),
      accuracyRadius: num(location?.accuracy_radius),
      timezone: str(location?.time_zone),
    };
  }
  // ip-location-db / DB-IP Lite flat layout: country_code, state1, state2, city, postcode, latitude, longitude, timezone
  return {
    country: str(rec.country_code)?.toUpperCase() ?? null,
    countryName: null,
    city: str(rec.city),
    region: str(rec.state1),
    continent: null,
    latitude: coord(rec.latitude),
    longitude: coord(rec.longitude),
    accuracyRadius: null,
    timezone: str(rec.timezone),
  };
}

/** An ASN record (GeoLite2-ASN, GeoIP2-ISP, ip-location-db asn) as AsInfo; `network` from the matched prefix. */
export function asFromRecord(rec: Rec, network: string | null): AsInfo {
  const n = num(rec.autonomous_system_number) ?? num(rec.asn);
  return {
    number: n,
    organization: str(rec.autonomous_system_organization) ?? str(rec.as_organization) ?? str(rec.organization) ?? str(rec.isp),
    network,
  };
}

/** Anonymous-IP flags. */
export function anonymousFromRecord(rec: Rec): NonNullable<GeoInfo['anonymous']> {
  const b = (k: string): boolean => rec[k] === true;
  return {
    vpn: b('is_anonymous_vpn'),
    tor: b('is_tor_exit_node'),
    proxy: b('is_public_proxy') || b('is_residential_proxy'),
    hosting: b('is_hosting_provider'),
    anonymous: b('is_anonymous'),
  };
}
