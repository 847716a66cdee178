#!/usr/bin/env bash
# Debian's Chromium for the Playwright browser tests (Playwright's own download cannot work here).
set -euo pipefail
# fonts-noto-cjk: without a CJK font, screenshots show boxes instead of Chinese.
if [ -x /usr/bin/chromium ] && fc-list :lang=zh 2>/dev/null | grep -q .; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "ensure_chromium: /usr/bin/chromium is missing; install Debian's chromium package" >&2
    exit 1
fi
echo "ensure_chromium: installing Debian's chromium and a CJK font (once)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
