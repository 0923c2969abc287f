#!/bin/sh
# Everything `make test` needs beyond the Python packages: each part is an
# idempotent script that caches what it fetches under .cache/.
set -eu
cd "$(dirname "$0")/.."
for part in scripts/install-gettext.sh scripts/install-js-deps.sh scripts/install-aws-servers.sh scripts/install-shared-servers.sh scripts/install-browser.sh; do
    if [ -f "$part" ]; then
        sh "$part"
    fi
done
