#!/bin/sh
# The servers a fleet of machines shares beside the AWS stores, for the
# multi-instance tests: Redis (throttle windows) and PostgreSQL (operators'
# accounts), both from Debian's packages. The suite starts its own throw-away
# instances on free loopback ports, so services the packages start are stopped.
# Idempotent: does nothing when both are installed.
set -eu
cd "$(dirname "$0")/.."
sh scripts/debian-package.sh setpriv util-linux  # runs PostgreSQL as its own user when we are root
if ! command -v redis-server >/dev/null 2>&1; then
    sh scripts/debian-package.sh redis-server redis-server
    started=redis-server
fi
# PostgreSQL's programs live outside PATH, under /usr/lib/postgresql/VERSION/bin.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "PostgreSQL is missing; install it with: sudo apt-get install -y postgresql" >&2
        exit 1
    fi
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql
    started="${started:-} postgresql"
fi
for service in ${started:-}; do
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$service" 2>/dev/null; then
        systemctl disable --now "$service"
    elif command -v service >/dev/null 2>&1; then
        service "$service" stop >/dev/null 2>&1 || true
    fi
done
