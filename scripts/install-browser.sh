#!/bin/sh
# The browser the end-to-end tests drive: Debian's chromium, never a
# downloaded build. Does nothing when it is already installed.
set -eu
sh "$(dirname "$0")/debian-package.sh" /usr/bin/chromium chromium
