#!/usr/bin/env bash
# System packages oreshock's reports and dashboard tests need (Debian/Ubuntu, run as root):
#   chromium          headless browser for the Playwright dashboard tests and PDF reports
#   chromium-driver   matching driver (WebDriver clients; harmless for Playwright)
#   fonts-noto-cjk    Japanese glyphs for reports, PDFs and screenshots
# Idempotent: does nothing (quietly) when everything is already installed.
set -euo pipefail

PACKAGES=(chromium chromium-driver fonts-noto-cjk)

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
echo "installing system packages: ${missing[*]}"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
