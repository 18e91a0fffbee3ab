#!/usr/bin/env bash
# Installs what probewatch and its tests need and is missing: Debian packages (when root), npm packages, the build.
# Usage: scripts/install-deps.sh [--test]   (--test adds the tools the test suite drives: nftables, ipset, tcpreplay, chromium …)
set -euo pipefail
cd "$(dirname "$0")/.."
want=(libpcap-dev python3 make g++)
if [ "${1:-}" = "--test" ]; then
  want+=(iproute2 iptables nftables ipset tcpdump tcpreplay chromium mmdb-bin systemd-journal-remote)
fi
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
npm run build --silent
