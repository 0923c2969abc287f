#!/bin/sh
# Installs one of Debian's packages unless the command it provides is there:
#   sh scripts/debian-package.sh COMMAND PACKAGE
# Idempotent; needs root only when something is missing.
set -eu
command="$1"
package="$2"
if command -v "$command" >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "$command is missing; install it with: sudo apt-get install -y $package" >&2
    exit 1
fi
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$package"
