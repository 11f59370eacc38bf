#!/usr/bin/env bash
# WeasyPrint needs Pango (text layout) and HarfBuzz's subsetter (small, fast font embedding:
# without it WeasyPrint falls back to fontTools and a PDF takes several times longer).
# Installs them with apt-get when it can (root or sudo), or prints the command to run.
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
libraries=(libpango-1.0.so.0 libpangoft2-1.0.so.0 libharfbuzz-subset.so.0)

missing=()
for i in "${!libraries[@]}"; do
    if ! /sbin/ldconfig -p 2>/dev/null | grep -q "${libraries[$i]}"; then
        missing+=("${packages[$i]}")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

command="apt-get install -y --no-install-recommends ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
    echo "WeasyPrint needs these libraries, missing here: ${missing[*]} (Pango >= 1.44, HarfBuzz subset)." >&2
    exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
    echo "Installing ${missing[*]} (needed by WeasyPrint)..."
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $command -qq
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "Installing ${missing[*]} (needed by WeasyPrint)..."
    sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive $command -qq
else
    echo "WeasyPrint needs system libraries that are missing. Run:" >&2
    echo "    sudo apt-get update && sudo $command" >&2
    exit 1
fi
