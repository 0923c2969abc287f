"""
What a worker loads at start-up, in a fresh interpreter: not drf-spectacular's
schema machinery with ``django.test`` (built on first request:
sharing.api.openapi), and not a PostgreSQL driver when the operators'
database is SQLite (secrets_site.settings).
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import json, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "secrets_site.settings"
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver
get_wsgi_application()
get_resolver().url_patterns  # every route and view imported, as on a worker's first request
print(json.dumps(sorted(name for name, module in sys.modules.items() if module is not None)))
"""

UNUSED = (
    "django.test",
    "rest_framework.test",
    "drf_spectacular.plumbing",
    "drf_spectacular.openapi",
    "django.contrib.postgres",
    "psycopg",
)


def modules_at_start(tmp_path, **env) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path), "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(json.loads(result.stdout))


def test_a_worker_starts_without_what_it_does_not_use(tmp_path):
    loaded = modules_at_start(tmp_path)
    assert "sharing.api.views" in loaded and "sharing.api.e2e" in loaded and "rest_framework.compat" in loaded
    assert [name for name in UNUSED if name in loaded] == []


def test_a_postgresql_database_keeps_djangos_postgresql_support(tmp_path):
    # Nothing connects at start-up, so no server is needed.
    script = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'secrets_site.settings'\n"
        "import django; django.setup()\n"
        "from django.contrib.postgres import fields\n"
        "from rest_framework import compat\n"
        "print(compat.postgres_fields is fields)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path), "HOME": str(tmp_path)}
    env["DATABASE_URL"] = "postgres://ops:secret@127.0.0.1:9/operators"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.strip() == "True"
