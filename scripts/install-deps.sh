#!/usr/bin/env bash
# Installs what probewatch and its tests need and is missing: Debian packages (when root), npm packages, the build.
# Usage: scripts/install-deps.sh [--test] [--no-build]
#   --test      adds the tools the test suite drives: nftables, ipset, tcpreplay, chromium …
#   --no-build  skips `npm run build` (the test run brings dist/ up to date itself)
set -euo pipefail
cd "$(dirname "$0")/.."
want=(libpcap-dev python3 make g++)
build=1
for arg in "$@"; do
  case "$arg" in
    --test) want+=(iproute2 iptables nftables ipset tcpdump tcpreplay chromium mmdb-bin systemd-journal-remote) ;;
    --no-build) build=0 ;;
    *) echo "usage: scripts/install-deps.sh [--test] [--no-build]" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "missing Debian packages: ${missing[*]} — install them (as root: apt-get install ${missing[*]})" >&2
    [[ " ${missing[*]} " == *" libpcap-dev "* ]] && exit 1
  fi
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
[ "$build" = 1 ] && npm run build --silent
exit 0
