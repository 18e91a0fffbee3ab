#!/usr/bin/env bash
# Makes the reference verdicts of one golden case with the real psad 2.4.6, as /work/shared/tools/make-refs.sh does, plus
# the case's own psad.conf variant: psad -A --analysis-write-data on the case input → psad.dl (<source> <level>) and
# psad.out (the report, scratch paths replaced by <scratch>).
# Usage: scripts/psad-golden.sh fixtures/cases/NAME   (reads case.json: input, psadConf, overrides; needs Debian's psad)
set -euo pipefail
D=$(cd "${1:?case dir}" && pwd)
read -r INPUT CONF OVERRIDES < <(node -e '
  const c = require(process.argv[1] + "/case.json");
  console.log([c.input, c.psadConf ?? "../../psad/psad.conf", (c.overrides ?? []).join(",") || "-"].join(" "));' "$D")
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
mkdir -p "$W/var/log" "$W/var/run" "$W/var/lib"
cat > "$W/scratch.conf" <<CONF
PSAD_DIR $W/var/log/psad;
PSAD_RUN_DIR $W/var/run/psad;
PSAD_FIFO_DIR $W/var/lib/psad;
CONF_ARCHIVE_DIR $W/etc-archive;
ALERTING_METHODS noemail;
ENABLE_WHOIS_LOOKUPS N;
ENABLE_DNS_LOOKUPS N;
CONF
LOG="$W/input.log"
case "$INPUT" in *.gz) gzip -dc "$D/$INPUT" > "$LOG";; *) cp "$D/$INPUT" "$LOG";; esac
case "$CONF" in /*) ;; *) CONF="$D/$CONF";; esac
OV="$W/scratch.conf"
if [ "$OVERRIDES" != "-" ]; then
  IFS=, read -ra list <<< "$OVERRIDES"
  for o in "${list[@]}"; do OV="$OV,$D/$o"; done
fi
# psad resolves relative data-file paths against its working directory: run it in the case directory
(cd "$D" && psad -A --analysis-write-data -m "$LOG" -c "$CONF" -O "$OV" > "$W/out" 2>&1) || true
sed "s|$W|<scratch>|g" "$W/out" > "$D/psad.out"
(cd "$W/var/log/psad/ipt_analysis" && find . -type f -name danger_level | sort | while read -r f; do echo "$(dirname "$f" | cut -c3-) $(cat "$f")"; done) > "$D/psad.dl"
echo "$D: $(wc -l < "$D/psad.dl") sources reported"
