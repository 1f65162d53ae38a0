#!/usr/bin/env bash
# make debs: download into debs/ the Debian packages a Junheng server needs, with every package
# they depend on, for a Debian 12 machine of the same architecture without network
# (docs/operations.md "Offline install").  Run it on a connected Debian 12 machine; copy debs/
# beside the bundle; on the offline machine `make system-deps` installs from debs/ alone.
# DEBS_PACKAGES overrides the list; DEBS_DIR the folder (default debs).
set -euo pipefail
cd "$(dirname "$0")/.."
read -r -a packages <<<"${DEBS_PACKAGES:-make python3-venv chromium fonts-noto-cjk fontconfig haproxy}"
out=${DEBS_DIR:-debs}
mkdir -p "$out"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
# Every dependency, installed here or not: the offline machine may lack any of them.
# (Virtual packages print as <name> and are left out; apt picks a real one among the others.)
mapfile -t all < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances "${packages[@]}" | grep '^[a-z0-9]' | sort -u)
(cd "$out" && apt-get download -qq "${all[@]}")
echo "$out/: $(ls "$out"/*.deb | wc -l) packages, $(du -sh "$out" | cut -f1) for: ${packages[*]}"
