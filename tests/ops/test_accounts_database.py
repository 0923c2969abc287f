"""Operators' accounts: Django's default database, or a shared one named by DATABASE_URL."""

import os
import subprocess
import sys

from tests.support.server import ROOT

# The settings module alone: a PostgreSQL driver need not be installed to read the URL.
SHOW = "from secrets_site import settings; d = settings.DATABASES['default']; print(d['ENGINE'], d['NAME'])"


def database_with(tmp_path, **env) -> str:
    result = subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "secrets_site.settings",
            "DATA_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_accounts_default_to_sqlite_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_with(tmp_path) == f"django.db.backends.sqlite3 {tmp_path / 'django.sqlite3'}"


def test_database_url_names_a_shared_database(tmp_path):
    url = "postgres://ops:secret@db.internal:5432/operators"
    assert database_with(tmp_path, DATABASE_URL=url) == "django.db.backends.postgresql operators"


def migrate(url: str, data_dir) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env={**os.environ, "DATA_DIR": str(data_dir), "DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_machines_starting_at_once_migrate_a_shared_postgresql_once(postgres_url, tmp_path):
    import psycopg

    starting = [migrate(postgres_url, tmp_path / f"machine-{n}") for n in range(3)]
    outputs = [(process.wait(timeout=120), process.stdout.read()) for process in starting]
    for code, output in outputs:
        assert code == 0, output
    # One machine applied the migrations; the others waited and found nothing to do.
    assert sum("Applying auth.0001_initial" in output for _, output in outputs) == 1
    with psycopg.connect(postgres_url) as db:
        applied = db.execute(
            "SELECT app, name, count(*) FROM django_migrations GROUP BY app, name"
        ).fetchall()
    assert applied and all(count == 1 for _, _, count in applied)
