#!/bin/sh
# What the benchmark needs beyond Python packages: wrk (the load tool) and
# redis-server (the peer snappass's store) from apt, and the servers speaking
# the AWS protocols that the test suite uses. Idempotent.
set -eu
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1 || ! command -v redis-server >/dev/null 2>&1; then
    echo "Installing wrk and redis-server"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk redis-server
    # The benchmark starts its own redis on a free loopback port; a system-wide one is not wanted.
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then
        systemctl disable --now redis-server
    fi
fi

sh scripts/install-aws-servers.sh
