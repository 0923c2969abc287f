#!/bin/sh
# The servers a fleet of machines shares beside the AWS stores, for the
# multi-instance tests: Redis (throttle windows) and PostgreSQL (operators'
# accounts), both from Debian's packages. The suite starts its own throw-away
# instances on free loopback ports, so the system-wide services are not wanted.
# Idempotent: does nothing when both are installed.
set -eu
need=""
command -v redis-server >/dev/null 2>&1 || need="$need redis-server"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$need postgresql"
command -v setpriv >/dev/null 2>&1 || need="$need util-linux"
[ -n "$need" ] || exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "Missing:$need; install with: sudo apt-get install -y$need" >&2
    exit 1
fi
echo "Installing$need"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need
for service in redis-server postgresql; do
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$service" 2>/dev/null; then
        systemctl disable --now "$service"
    elif command -v service >/dev/null 2>&1; then
        service "$service" stop >/dev/null 2>&1 || true
    fi
done
