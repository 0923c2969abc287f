"""
Every test gets its own empty local stores under a temporary DATA_DIR and a
cheap scrypt cost; tests that need the production cost set it themselves.
"""

import json
import subprocess
import sys

import pytest
from rest_framework.test import APIClient

from sharing.stores.handler import reset_stores
from tests.support.catalogues import compile_stale
from tests.support.server import ROOT

# Servers speaking the DynamoDB and S3 protocols, Redis and PostgreSQL, and a
# headless Chromium: each started once a session, when a test first asks; the
# lifecycle on local stores with a controlled clock.
pytest_plugins = [
    "tests.support.aws_fixtures",
    "tests.support.browser",
    "tests.support.lifecycle",
    "tests.support.operators_db",
    "tests.support.shared_fixtures",
    "tests.support.uploads",
]

FAST_SCRYPT_N = 2**10


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """Pages, script and API speak every language only with the catalogues compiled."""
    compile_stale()


@pytest.fixture(scope="session")
def static_files():
    """
    The current assets, collected once a session before the first server that
    serves pages starts (as `make test` does). Never again under a running
    server: collectstatic rewrites the ES modules in place, and a worker that
    indexes the folder meanwhile misses a file and answers 404 for it.
    """
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, check=True
    )


@pytest.fixture(autouse=True)
def isolated_stores(settings, tmp_path):
    settings.SCRYPT_N = FAST_SCRYPT_N
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.THROTTLE_RATES = {
        "create": None,
        "reveal": None,
        "receipt": None,
    }  # tests/api/test_throttling.py turns them on
    settings.SECRETS_STORES = {
        "records": {
            "BACKEND": "sharing.stores.local.SQLiteRecordStore",
            "OPTIONS": {"path": str(tmp_path / "data" / "secrets.sqlite3")},
        },
        "blobs": {
            "BACKEND": "sharing.stores.local.FileBlobStore",
            "OPTIONS": {"root": str(tmp_path / "data" / "blobs")},
        },
    }
    yield tmp_path / "data"
    reset_stores()


@pytest.fixture
def api():
    return APIClient()


class JSONPoster:
    """Posts JSON the way curl does: a raw body with a content type."""

    def __init__(self, client):
        self.client = client

    def __call__(self, path, body, **extra):
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return self.client.post(path, data, content_type="application/json", **extra)


@pytest.fixture
def post_json(api):
    return JSONPoster(api)


@pytest.fixture
def chosen(settings):
    """An operator's choices for the web page that no default matches."""
    settings.LIFETIMES = [30 * 60, 12 * 3600, 2 * 86400, 5 * 86400]
    settings.DEFAULT_LIFETIME = 2 * 86400
    settings.DEFAULT_VIEWS = 3
    settings.SITE_NAME = "Acme Vault"
