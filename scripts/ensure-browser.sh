#!/usr/bin/env bash
# Make a headless Chromium and its WebDriver available for the console's browser test
# (tests/integration/test_console.py drives the page with Selenium). Debian's `chromium` and
# `chromium-driver` packages; no browser is downloaded from anywhere else.
#
# Never fails: if they cannot be installed, it says so in one line and exits 0 — the browser
# test then skips with that reason.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 \
             && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1; }; then
        exit 0
    fi
fi

echo "ensure-browser: chromium and chromium-driver could not be installed (needs root and apt-get); the console's browser test will be skipped" >&2
exit 0
