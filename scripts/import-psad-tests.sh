#!/usr/bin/env bash
# One-off import of psad's upstream test corpus (/work/shared/data/psad-tests) into golden cases fixtures/cases/psad-*:
# the scan log (gzip), its config variant, and psad 2.4.6's own verdicts (psad.dl) and report (psad.out).
set -euo pipefail
T=${1:-/work/shared/data/psad-tests}
OUT=$(cd "$(dirname "$0")/.." && pwd)/fixtures/cases
for exp in "$T"/expected/*.dl; do
  name=$(basename "$exp" .dl)
  if [ "$name" = syslog_time_fmt1.log ]; then log=$name; variant=; else log=${name%%.*}; variant=${name#"$log"}; variant=${variant#.}; fi
  D="$OUT/psad-$name"; mkdir -p "$D"
  gzip -9nc "$T/scans/$log" > "$D/input.log.gz"
  cp "$exp" "$D/psad.dl"; cp "$T/expected/$name.out" "$D/psad.out"
  overrides='[]'; line=''
  case $variant in
    enable_ack_detection) line='IGNORE_CONNTRACK_BUG_PKTS N;';;
    ignore_udp) line='IGNORE_PROTOCOLS udp;';;
    auto_dl_*) cp "$T/conf/$variant" "$D/auto_dl"; line='AUTO_DL_FILE auto_dl;';;
    '') ;;
    *) echo "unknown variant $variant" >&2; exit 1;;
  esac
  if [ -n "$line" ]; then echo "$line" > "$D/override.conf"; overrides='["override.conf"]'; fi
  printf '{\n  "input": "input.log.gz",\n  "psadConf": "../../psad/psad.conf",\n  "overrides": %s,\n  "own": {}\n}\n' "$overrides" > "$D/case.json"
  cat > "$D/SOURCE.md" <<MD
# psad-$name

- Input: \`$log\` from psad's upstream test suite (mrash/psad \`test/scans/iptables/$log\`, GPL-2.0), gzip-compressed.
- Configuration: the stock psad 2.4.6 \`psad.conf\` (\`fixtures/psad/psad.conf\`)${line:+ plus the override \`$line\`} — the
  variant psad's own tests use${variant:+ (\`test/conf/$variant\`)}.
- Expected output: \`psad.dl\` (\`<source> <danger level>\` per reported source) and \`psad.out\` (the \`-A\` report) were
  made by Debian's psad 2.4.6 (\`psad -A --analysis-write-data -m $log\` with a scratch override for PSAD_DIR, no mail,
  no whois/DNS, as \`/work/shared/tools/make-refs.sh\` does) and copied from \`psad-tests/expected/$name.{dl,out}\`.
  \`scripts/psad-golden.sh fixtures/cases/psad-$name\` remakes them.
MD
done
echo "imported $(ls -d "$OUT"/psad-* | wc -l) cases"
