#!/bin/sh
# Brings the message catalogues in locale/ up to date with the sources: every
# string marked for translation in the templates and Python code (domain
# "django") and in the web UI's script (domain "djangojs"). Translators then
# fill in the new msgstr entries; `compilemessages` (run by make run, make test
# and the image) turns them into the .mo files Django reads.
#   sh scripts/update-messages.sh          every language in locale/
#   sh scripts/update-messages.sh pt_BR    one language, a new one included
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
languages="${*:-$(ls locale)}"
ignore="--ignore=.venv --ignore=.cache --ignore=var --ignore=staticfiles --ignore=tests --ignore=bench --ignore=cli --ignore=node_modules --ignore=artifacts"
for lang in $languages; do
    # shellcheck disable=SC2086
    "$PYTHON" manage.py makemessages -v 0 --no-location --no-obsolete -l "$lang" $ignore
    # shellcheck disable=SC2086
    "$PYTHON" manage.py makemessages -v 0 --no-location --no-obsolete -d djangojs -l "$lang" $ignore
done
