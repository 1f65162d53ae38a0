#!/usr/bin/env bash
# Install Debian's chromium and the Noto CJK fonts when missing (browser tests, image export,
# the report's PDF), poppler-utils (pdffonts, pdftotext, pdftoppm: the PDF and render tests) and
# LibreOffice Impress and Writer (the render tests open the deck and the report with them), and
# HAProxy (`make run WORKERS=n` and its test).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdffonts >/dev/null 2>&1 || need+=(poppler-utils)
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-impress libreoffice-writer)
command -v haproxy >/dev/null 2>&1 || need+=(haproxy)
# grep reads all of fc-list's output: with -q it would stop early, fc-list would die of
# SIGPIPE and pipefail would report the fonts missing on every run.
fc-list : family 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || need+=(fonts-noto-cjk)
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing system packages: ${need[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Offline: the .deb files `make debs` downloaded on a connected Debian 12 machine, copied into
# debs/ (docs/operations.md).  Only those not installed yet are given to apt, which resolves
# them among themselves and the installed packages, without any network.
if compgen -G "debs/*.deb" >/dev/null; then
    todo=()
    for deb in debs/*.deb; do
        pkg=$(dpkg-deb -f "$deb" Package)
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || todo+=("./$deb")
    done
    [ ${#todo[@]} -eq 0 ] || $SUDO apt-get install -y -qq --no-download --no-install-recommends "${todo[@]}"
    exit 0
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig
