"""Store selection like Django's STORAGES, and the two management commands."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from sharing import services
from sharing.stores.handler import blob_store, record_store
from sharing.stores.local import SQLiteRecordStore

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ({"BACKEND": "sharing.stores.nowhere.Store"}, "could not import"),
        ({"BACKEND": "sharing.stores.local.FileBlobStore"}, "is not a RecordStore"),
        ({"BACKEND": "sharing.stores.local.SQLiteRecordStore", "OPTIONS": {"colour": "red"}}, "bad OPTIONS"),
        ({"OPTIONS": {}}, "needs a BACKEND"),
    ],
)
def test_bad_store_setting_names_the_setting(settings, records, message):
    settings.SECRETS_STORES = {**settings.SECRETS_STORES, "records": records}
    with pytest.raises(ImproperlyConfigured, match=r"SECRETS_STORES\['records'\].*" + message):
        record_store()


def test_store_is_built_once_and_rebuilt_when_the_setting_changes(settings, tmp_path):
    first = record_store()
    assert record_store() is first
    settings.SECRETS_STORES = {
        **settings.SECRETS_STORES,
        "records": {
            "BACKEND": "sharing.stores.local.SQLiteRecordStore",
            "OPTIONS": {"path": str(tmp_path / "x.db")},
        },
    }
    second = record_store()
    assert second is not first and isinstance(second, SQLiteRecordStore)
    assert second.path == tmp_path / "x.db"


def run_settings(**env):
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRETS_STORES)"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "secrets_site.settings", **env},
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"SECRETS_BACKEND": "postgres"}, "SECRETS_BACKEND"),
        ({"MAX_VIEWS": "ten"}, "MAX_VIEWS"),
        ({"SCRYPT_N": "1000"}, "power of two"),
        ({"SCRYPT_N": "65536"}, "SCRYPT_N is 65536; it must be a power of two from 2**17"),
        ({"DJANGO_DEBUG": "yes"}, "DJANGO_DEBUG"),
        (
            {"LIFETIMES": "1h,2 weeks"},
            "LIFETIMES has '2 weeks'; write each lifetime as a whole number and a unit",
        ),
        ({"LIFETIMES": "1m,1h"}, "LIFETIMES has '1m'; every lifetime must be from 5m to TTL_DAYS (5d)"),
        ({"LIFETIMES": "1h,6d"}, "LIFETIMES has '6d'"),
        (
            {"LIFETIMES": "1h,3d", "DEFAULT_LIFETIME": "1d"},
            "DEFAULT_LIFETIME is '1d'; it must be one of LIFETIMES",
        ),
        ({"DEFAULT_VIEWS": "11"}, "DEFAULT_VIEWS is 11; it must be at most MAX_VIEWS (10)"),
        ({"DEFAULT_VIEWS": "0"}, "DEFAULT_VIEWS is 0; it must be at least 1"),
        ({"SITE_NAME": "  "}, "SITE_NAME must have 1 to 60 characters"),
        ({"THREADS": "0"}, "THREADS is 0; it must be at least 1"),
    ],
)
def test_bad_environment_fails_at_start_with_a_clear_message(env, complaint, tmp_path):
    result = run_settings(DATA_DIR=str(tmp_path), **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and complaint in result.stderr


def test_aws_stores_keep_a_connection_for_each_thread_of_a_worker(tmp_path):
    result = run_settings(DATA_DIR=str(tmp_path), SECRETS_BACKEND="aws", S3_BUCKET="b", THREADS="48")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("'max_connections': 48") == 2  # the table's and the bucket's


def test_fresh_checkout_defaults_to_local_stores_under_data_dir(tmp_path):
    result = run_settings(DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "sharing.stores.local.SQLiteRecordStore" in result.stdout
    assert str(tmp_path / "secrets.sqlite3") in result.stdout
    assert (tmp_path / "django-secret-key").stat().st_mode & 0o077 == 0


def test_setup_storage_is_idempotent(isolated_stores, capsys):
    call_command("setup_storage")
    call_command("setup_storage")
    assert (isolated_stores / "secrets.sqlite3").exists()
    assert (isolated_stores / "blobs").is_dir()
    assert "Storage is ready." in capsys.readouterr().out


def test_sweep_command_deletes_expired_and_orphans(isolated_stores, capsys):
    past = time.time() - 10 * 86400
    with time_machine.travel(past, tick=False):
        services.secret_create_text(text="old", lifetime=300)
    live = services.secret_create_text(text="new")
    orphan = services.secret_upload_begin()
    orphan.write(b"never finished")
    os.utime(isolated_stores / "blobs" / f"{orphan.secret_id}.partial", (past, past))
    call_command("sweep", "--grace", "3600")
    assert "Deleted 1 expired secrets and 1 orphan blobs." in capsys.readouterr().out
    assert record_store().sweep_expired(now=time.time()) == []  # the expired one is gone already
    assert record_store().get(live.secret_id, now=time.time()) is not None
    assert list(blob_store().list_ids(older_than=time.time() + 60)) == []
