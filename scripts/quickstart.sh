#!/usr/bin/env bash
# A fresh machine's first command: installs what is missing (Debian packages when root, npm packages, the build), then
# runs `probewatch serve` on its embedded defaults. Extra arguments go to serve, e.g. scripts/quickstart.sh --listen 127.0.0.1:9090
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
exec node bin/probewatch.js serve "$@"
