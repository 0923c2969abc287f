"""
The lifecycle counts what happens, once and only once, on real local stores:
in-process with a controlled clock, and then against the real service under
gunicorn, with reveals racing across its worker processes.
"""

import json
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from sharing.domain.lifecycle import Lifecycle, Policy
from sharing.errors import SecretNotFound, StorageUnavailable
from sharing.stores.base import COUNTERS
from sharing.stores.local import FileBlobStore, SQLiteRecordStore
from tests.support.aws_fixtures import make_stores
from tests.support.crowd import all_at_once
from tests.support.http import file_form, send
from tests.support.lifecycle import read, upload
from tests.support.server import GunicornServer


def totals(records) -> dict:
    return {name: n for name, n in records.read_counts(now=time.time(), days=1).totals.items() if n}


def blob_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.iterdir() if p.is_file()) if root.exists() else 0


def test_each_step_of_a_text_is_counted_once(life):
    created = life.create_text(text="hello", view_count=2)
    assert totals(life.records) == {"created_text": 1}
    for guess in ("wrong passphrase", created.passphrase + "x"):
        with pytest.raises(SecretNotFound):
            life.reveal(secret_id=created.secret_id, passphrase=guess)
    assert totals(life.records) == {"created_text": 1, "failed_attempts": 2}
    life.reveal(secret_id=created.secret_id, passphrase=created.passphrase)
    assert totals(life.records) == {"created_text": 1, "failed_attempts": 2, "views": 1}
    life.reveal(secret_id=created.secret_id, passphrase=created.passphrase)
    expected = {"created_text": 1, "failed_attempts": 2, "views": 2, "used_up": 1}
    assert totals(life.records) == expected
    # Used up: the same 404, and nothing more is counted, right passphrase or not.
    for guess in (created.passphrase, "wrong passphrase"):
        with pytest.raises(SecretNotFound):
            life.reveal(secret_id=created.secret_id, passphrase=guess)
    assert totals(life.records) == expected


def test_unknown_ids_and_wrong_kinds_are_not_failed_attempts(life):
    created = life.create_text(text="hello")
    with pytest.raises(SecretNotFound):
        life.reveal(secret_id="A" * 16, passphrase="anything at all")
    with pytest.raises(SecretNotFound):
        life.reveal(secret_id=created.secret_id, passphrase=created.passphrase, kind="file")
    assert totals(life.records) == {"created_text": 1}


def test_stored_bytes_follow_the_files_on_disk(life, tmp_path):
    blobs = tmp_path / "blobs"
    kept = life.create_file(upload=upload(life, b"k" * 5000), view_count=2)
    last = life.create_file(upload=upload(life, b"l" * 3000))
    burned = life.create_file(upload=upload(life, b"b" * 7000))
    assert totals(life.records)["stored_bytes"] == blob_bytes(blobs) > 15000
    read(life.reveal(secret_id=last.secret_id, passphrase=last.passphrase))
    read(life.reveal(secret_id=kept.secret_id, passphrase=kept.passphrase))
    life.burn(secret_id=burned.secret_id, passphrase=burned.passphrase)
    assert totals(life.records) == {
        "created_file": 3,
        "views": 2,
        "used_up": 1,
        "burned": 1,
        "stored_bytes": blob_bytes(blobs),
    }
    assert blob_bytes(blobs) > 5000  # the kept file, still stored


def test_the_sweep_counts_what_expired(life, clock, tmp_path):
    life.create_text(text="stays", lifetime=3600)
    for _ in range(2):
        life.create_text(text="goes", lifetime=300)
    life.create_file(upload=upload(life, b"f" * 4000), lifetime=300)
    clock.now += 301
    assert life.sweep(grace_seconds=3600) == (3, 0)
    assert totals(life.records) == {"created_text": 3, "created_file": 1, "expired": 3}
    assert blob_bytes(tmp_path / "blobs") == 0
    assert life.sweep(grace_seconds=3600) == (0, 0)
    assert totals(life.records)["expired"] == 3


class CountersDown(SQLiteRecordStore):
    def add_counts(self, changes, *, now):
        raise StorageUnavailable()


def test_a_failed_count_of_a_wrong_guess_still_answers_not_found(local_stores, clock, tmp_path):
    records = CountersDown(path=str(tmp_path / "r.db"))
    life = Lifecycle(records=records, blobs=local_stores[1], policy=Policy(kdf_n=1024), clock=clock)
    created = life.create_text(text="hello")
    with pytest.raises(SecretNotFound):
        life.reveal(secret_id=created.secret_id, passphrase="a wrong passphrase")
    assert life.reveal(secret_id=created.secret_id, passphrase=created.passphrase).text == "hello"
    records.close()


# -- the real service, many workers ---------------------------------------------------


def call(url: str, body, content_type: str = "application/json") -> tuple[int, bytes]:
    status, _, answer = send(url, body, content_type=content_type)
    return status, answer


def _status(url, body):
    return call(url, body)[0]


def crowd_reveal(url: str, body: dict, size: int) -> list[int]:
    return all_at_once(_status, (url, body), size)


@pytest.fixture(params=["local", "aws"])
def backend_env(request, monkeypatch):
    """The server's extra environment: local stores, or the aws servers with a table of this test's own."""
    if request.param == "local":
        return {}
    env = request.getfixturevalue("aws_servers").env(table=f"Counted{uuid.uuid4().hex[:12]}")
    for name, value in env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)  # this process reads the same stores afterwards
    return env


def stores_of(server: GunicornServer, env: dict):
    if env.get("SECRETS_BACKEND") == "aws":
        return make_stores(env)
    data = Path(server.data_dir)
    return SQLiteRecordStore(path=str(data / "secrets.sqlite3")), FileBlobStore(root=str(data / "blobs"))


@pytest.mark.slow
def test_every_counter_equals_what_happened_across_worker_processes(backend_env):
    expected = Counter()
    with GunicornServer(backend_env, workers=3) as server:
        url = server.url

        def create_text(view_count=1, lifetime=None):
            body = {"secret": f"text {uuid.uuid4().hex}", "view_count": view_count}
            status, answer = call(
                url + "/api/text/", {**body, **({"lifetime": lifetime} if lifetime else {})}
            )
            assert status == 201, answer
            expected["created_text"] += 1
            return json.loads(answer)

        def create_file(size, view_count=1, lifetime=None):
            fields = {"view_count": view_count, **({"lifetime": lifetime} if lifetime else {})}
            status, answer = call(url + "/api/files/", *file_form(b"x" * size, **fields))
            assert status == 201, answer
            expected["created_file"] += 1
            return json.loads(answer)

        def reveal(secret, passphrase=None):
            path = f"/api/secrets/{secret['secret_id']}/reveal/"
            return call(url + path, {"passphrase": passphrase or secret["passphrase"]})[0]

        once, twice, crowded, burn_me = (create_text(n) for n in (1, 2, 3, 1))
        file_once, file_kept, file_burned = create_file(70_000), create_file(300_000, 3), create_file(1000)
        doomed = [create_text(lifetime=300), create_text(2, lifetime=300), create_file(5000, lifetime=300)]

        for secret in (once, file_kept, doomed[0]):  # wrong guesses on secrets that exist
            assert reveal(secret, "not the passphrase at all") == 404
            expected["failed_attempts"] += 1
        assert reveal({"secret_id": "A" * 16}, "not the passphrase at all") == 404  # no such secret

        statuses = crowd_reveal(
            f"{url}/api/secrets/{crowded['secret_id']}/reveal/", {"passphrase": crowded["passphrase"]}, 16
        )
        assert sorted(statuses) == [200] * 3 + [404] * 13, server.log()[-2000:]
        expected.update(views=3, used_up=1)

        for secret in (once, twice, file_once, file_kept):
            assert reveal(secret) == 200
            expected["views"] += 1
        expected["used_up"] += 2  # once, file_once
        assert reveal(once) == 404  # used up: not a view, not a failed attempt

        for secret in (burn_me, file_burned):
            path = f"/api/secrets/{secret['secret_id']}/burn/"
            assert call(url + path, {"passphrase": secret["passphrase"]})[0] == 204
            expected["burned"] += 1

        # Expiry: sweep the server's own stores in this process, five minutes on
        # (a long grace: orphan blobs are not what this test counts).
        records, blobs = stores_of(server, backend_env)
        later = time.time() + 301
        sweeper = Lifecycle(records=records, blobs=blobs, policy=Policy(), clock=lambda: later)
        assert sweeper.sweep(grace_seconds=30 * 86400) == (len(doomed), 0)
        expected["expired"] += len(doomed)

        # Only file_kept is left, with the size its record was written with.
        expected["stored_bytes"] = records.get(file_kept["secret_id"], now=later).blob_size
        usage = records.read_counts(now=later, days=30)
        records.close()
        blobs.close()
        if not backend_env:
            assert blob_bytes(Path(server.data_dir) / "blobs") == expected["stored_bytes"]

    assert expected["stored_bytes"] > 300_000
    assert usage.totals == {name: expected[name] for name in COUNTERS}
    by_days = {name: sum(counts[name] for _, counts in usage.days) for name in COUNTERS}
    assert by_days == usage.totals
