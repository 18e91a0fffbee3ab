#!/usr/bin/env python3
# Regenerates src/domain/countries.ts from Debian's iso-codes (apt-get install iso-codes): python3 scripts/gen-countries.py
import json

SRC = '/usr/share/iso-codes/json/iso_3166-1.json'
rows = sorted(json.load(open(SRC))['3166-1'], key=lambda r: r['alpha_2'])
out = [
    "// ISO 3166-1 countries: alpha-2 → numeric code and English name, for the dashboard map (world-atlas ids are numeric).",
    "// Generated from Debian iso-codes 4.15.0 (/usr/share/iso-codes/json/iso_3166-1.json, LGPL-2.1+ data) by",
    "// scripts/gen-countries.py; the table is data, regenerate it rather than editing by hand.",
    "",
    "/** alpha-2 → [numeric (3 digits), common name]. */",
    "export const COUNTRIES: Readonly<Record<string, readonly [string, string]>> = {",
]
for r in rows:
    out.append("  %s: [%s, %s]," % (r['alpha_2'], json.dumps(r['numeric']), json.dumps(r.get('common_name') or r['name'], ensure_ascii=False)))
out += [
    "};",
    "",
    "/** The numeric code of an alpha-2 country code (any case), or null when unknown (\"EU\", \"XK\", \"\"). */",
    "export function countryNumeric(alpha2: string): string | null {",
    "  return COUNTRIES[alpha2.toUpperCase()]?.[0] ?? null;",
    "}",
    "",
    "/** The English name of an alpha-2 code, or the code itself when unknown. */",
    "export function countryName(alpha2: string): string {",
    "  return COUNTRIES[alpha2.toUpperCase()]?.[1] ?? alpha2.toUpperCase();",
    "}",
]
open('src/domain/countries.ts', 'w').write("\n".join(out) + "\n")
