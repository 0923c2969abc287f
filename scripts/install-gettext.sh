#!/bin/sh
# GNU gettext's msgfmt, which `manage.py compilemessages` runs to turn the
# catalogues in locale/ into the .mo files Django reads. Debian's package;
# does nothing when it is already installed.
set -eu
sh "$(dirname "$0")/debian-package.sh" msgfmt gettext
