"""
The local record store's own guarantees: its schema carries a version and is
upgraded in place; any storage failure, the folder's included, is a 503.
"""

import sqlite3

import pytest

from sharing.errors import StorageUnavailable
from sharing.stores.local import SCHEMA_VERSION, SQLiteRecordStore
from tests.support.records import LIMIT, NOW, VERSION_1_SCHEMA, record


def test_a_new_database_is_made_at_the_current_version(tmp_path):
    store = SQLiteRecordStore(path=str(tmp_path / "r.db"))
    store.put(record(kdf="hkdf-sha256", kdf_n=0))
    store.close()
    assert sqlite3.connect(tmp_path / "r.db").execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_database_without_a_version_is_upgraded_once_and_keeps_its_rows(tmp_path):
    old = sqlite3.connect(tmp_path / "r.db")
    old.executescript(VERSION_1_SCHEMA)
    old.execute(
        "INSERT INTO secrets (secret_id, kind, version, kdf_n, salt, wrapped_key, payload, views_left,"
        " expires_at) VALUES ('AAAAAAAAAAAAAAAA', 'text', 1, 32768, x'00', x'01', x'02', 1, ?)",
        (NOW + 60,),
    )
    old.commit()
    old.close()
    for _ in range(2):  # a second opening finds nothing to do
        store = SQLiteRecordStore(path=str(tmp_path / "r.db"))
        kept = store.get("AAAAAAAAAAAAAAAA", now=NOW)
        assert (kept.version, kept.kdf, kept.kdf_n) == (1, "scrypt", 32768)
        store.put(record(kdf="hkdf-sha256", kdf_n=0))
        store.close()


def test_a_database_from_a_newer_release_is_refused_not_written(tmp_path):
    newer = sqlite3.connect(tmp_path / "r.db")
    newer.execute("CREATE TABLE secrets (secret_id TEXT PRIMARY KEY)")
    newer.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    newer.commit()
    newer.close()
    store = SQLiteRecordStore(path=str(tmp_path / "r.db"))
    with pytest.raises(StorageUnavailable):
        store.get("AAAAAAAAAAAAAAAA", now=NOW)
    db = sqlite3.connect(tmp_path / "r.db")
    assert db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall() == [("secrets",)]
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


def test_an_unusable_folder_is_storage_unavailable_for_every_call(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    store = SQLiteRecordStore(path=str(tmp_path / "a-file" / "r.db"))
    calls = [
        lambda: store.put(record()),
        lambda: store.get("AAAAAAAAAAAAAAAA", now=NOW),
        lambda: store.reserve_attempt("AAAAAAAAAAAAAAAA", now=NOW, limit=LIMIT),
        lambda: store.claim_view("AAAAAAAAAAAAAAAA", now=NOW),
        lambda: store.delete("AAAAAAAAAAAAAAAA", now=NOW),
        lambda: store.sweep_expired(now=NOW),
        lambda: store.read_counts(now=NOW),
        store.check,
    ]
    for call in calls:
        with pytest.raises(StorageUnavailable) as caught:
            call()
        assert isinstance(caught.value.__cause__, OSError)
