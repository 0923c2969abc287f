"""Start-up warnings for settings that work on one machine and weaken a fleet."""

import os
import subprocess
import sys

from django.core import checks

from tests.support.server import ROOT

AWS_STORES = {
    "records": {"BACKEND": "sharing.stores.aws.DynamoRecordStore", "OPTIONS": {}},
    "blobs": {"BACKEND": "sharing.stores.aws.S3BlobStore", "OPTIONS": {}},
}


def warnings() -> set[str]:
    return {message.id for message in checks.run_checks(tags=[checks.Tags.security])}


def test_shared_stores_without_redis_warn_that_machines_throttle_alone(settings):
    settings.SECRETS_STORES = AWS_STORES
    settings.REDIS_URL = ""
    assert "pysecrets.W001" in warnings()
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    assert "pysecrets.W001" not in warnings()


def test_one_machine_with_local_stores_gets_no_fleet_warning(settings):
    settings.REDIS_URL = ""
    settings.DATABASE_URL = ""
    assert not {"pysecrets.W001", "pysecrets.W002"} & warnings()


def test_a_fleet_without_a_shared_secret_key_is_warned(settings):
    settings.SECRETS_STORES = AWS_STORES
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    settings.SECRET_KEY_FROM_ENV = False
    assert "pysecrets.W002" in warnings()
    settings.SECRET_KEY_FROM_ENV = True
    assert "pysecrets.W002" not in warnings()


def test_every_worker_logs_the_warning_as_it_loads(tmp_path):
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "SECRETS_BACKEND": "aws",
        "S3_BUCKET": "b",
        "REDIS_URL": "",
        "DJANGO_SECRET_KEY": "x" * 50,
    }
    result = subprocess.run(
        [sys.executable, "-c", "import secrets_site.wsgi"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "pysecrets.W001" in result.stderr and "REDIS_URL" in result.stderr
