#!/bin/sh
# What the browser tests inject into pages (axe-core, a QR reader), exactly as
# package-lock.json pins them, into node_modules/. Skipped when node_modules
# already matches the lockfile.
set -eu
cd "$(dirname "$0")/.."
sh scripts/debian-package.sh npm npm
if cmp -s package-lock.json node_modules/.installed-lock 2>/dev/null; then
    exit 0
fi
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
cp package-lock.json node_modules/.installed-lock
