#!/bin/sh
# The Docker image's command. Serving needs only item and object access, so
# provisioning the stores is not done here unless asked for (SETUP_STORAGE=True,
# for a single machine that may create its own table and bucket). Elsewhere run
# `python manage.py setup_storage` once, as a one-off task with a role allowed
# to provision (README: Deploy on AWS).
set -eu
case "${SETUP_STORAGE:-False}" in
    True) python manage.py setup_storage ;;
    False) ;;
    *)
        echo "SETUP_STORAGE is '${SETUP_STORAGE}'; set it to True or False." >&2
        exit 2
        ;;
esac
# The operators' database (accounts, sessions): idempotent, and the image's own
# SQLite in DATA_DIR unless DATABASE_URL names a shared one.
python manage.py migrate --noinput -v 0
# exec: gunicorn gets the container's signals, not a shell.
exec gunicorn --config secrets_site/gunicorn.conf.py --bind "0.0.0.0:${PORT:-8000}" --workers "${WORKERS:-2}" \
    secrets_site.wsgi
