"""The throttles' sliding windows, on both backends: one contract, proven across processes."""

import contextlib
import sqlite3
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine

from sharing import ratelimit
from sharing.errors import StorageUnavailable
from sharing.ratelimit import RedisHitWindow, SQLiteHitWindow
from tests.support.crowd import all_at_once


def sqlite_window(request, tmp_path):
    return ("sqlite", str(tmp_path / "throttles.sqlite3"))


def redis_window(request, tmp_path):
    return ("redis", request.getfixturevalue("fresh_redis"))


def build(spec):
    kind, where = spec
    return SQLiteHitWindow(where) if kind == "sqlite" else RedisHitWindow(where)


@pytest.fixture(params=[sqlite_window, redis_window], ids=["sqlite", "redis"])
def spec(request, tmp_path):
    return request.param(request, tmp_path)


@pytest.fixture
def window(spec):
    built = build(spec)
    yield built
    built.close()


def test_hits_up_to_the_limit_pass_then_the_wait_is_the_oldest_hits_age_left(window):
    for _ in range(3):
        assert window.hit("client-a", limit=3, window=60) is None
    wait = window.hit("client-a", limit=3, window=60)
    assert wait is not None and 59 < wait <= 60


def test_refused_hits_are_not_recorded_and_keys_are_separate(window):
    assert window.hit("client-a", limit=1, window=1) is None
    for _ in range(5):
        assert window.hit("client-a", limit=1, window=1) is not None
    assert window.hit("client-b", limit=1, window=1) is None
    time.sleep(1.05)
    # Refusals did not extend the window: one second after the one recorded hit, a new one passes.
    assert window.hit("client-a", limit=1, window=1) is None


def test_the_window_slides(window):
    assert window.hit("k", limit=2, window=1) is None
    time.sleep(0.6)
    assert window.hit("k", limit=2, window=1) is None
    assert window.hit("k", limit=2, window=1) is not None
    time.sleep(0.5)  # the first hit has left the window, the second has not
    assert window.hit("k", limit=2, window=1) is None
    assert window.hit("k", limit=2, window=1) is not None


def _hit(window, key):
    return window.hit(key, limit=5, window=60)


def _built(spec, key):
    return build(spec), key


@pytest.mark.slow
def test_a_burst_from_many_processes_passes_exactly_the_limit(spec):
    key = f"burst-{uuid.uuid4().hex}"
    outcomes = all_at_once(_hit, (spec, key), 16, prepare=_built)
    assert sum(wait is None for wait in outcomes) == 5


def _hits_from_threads(window, key) -> list:
    # Threads of one process share the window object, each with its own connection.
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda _: window.hit(key, limit=23, window=60), range(20)))


@pytest.mark.slow
def test_a_burst_from_the_threads_of_many_processes_passes_exactly_the_limit(tmp_path):
    key = f"burst-{uuid.uuid4().hex}"
    outcomes = all_at_once(
        _hits_from_threads, (("sqlite", str(tmp_path / "t.sqlite3")), key), 4, prepare=_built
    )
    assert sum(wait is None for waits in outcomes for wait in waits) == 23


def test_an_unreachable_redis_is_a_storage_outage():
    window = RedisHitWindow("redis://127.0.0.1:9/0", timeout=0.5)  # discard port: nothing listens
    with pytest.raises(StorageUnavailable):
        window.hit("k", limit=1, window=1)


def test_the_sqlite_file_is_private(tmp_path):
    SQLiteHitWindow(tmp_path / "t.sqlite3").hit("k", limit=1, window=1)
    assert (tmp_path / "t.sqlite3").stat().st_mode & 0o077 == 0


def _rows(path) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        hits = db.execute("SELECT key, count(*) FROM hits GROUP BY key ORDER BY key").fetchall()
        counts = db.execute("SELECT key, n FROM counts ORDER BY key").fetchall()
    assert hits == counts  # the count each hit reads is the rows there are
    return hits


def test_sqlite_rows_past_their_window_count_for_nothing_and_go(tmp_path, monkeypatch):
    path = tmp_path / "throttles.sqlite3"
    window = SQLiteHitWindow(path)
    start = time.time()
    monkeypatch.setattr(SQLiteHitWindow, "PRUNE_ONE_IN", 10**9)  # never, unless set below
    with time_machine.travel(start, tick=False):
        assert [window.hit(key, limit=2, window=60) for key in "aaab"] == [None, None, 60, None]
        assert _rows(path) == [("a", 2), ("b", 1)]
    with time_machine.travel(start + 61, tick=False):
        # A key at its limit has its rows past the window deleted first.
        assert window.hit("a", limit=2, window=60) is None
        assert _rows(path) == [("a", 1), ("b", 1)]
        assert window.hit("a", limit=2, window=60) is None
        assert window.hit("a", limit=2, window=60) == 60
        # One below it keeps them a while; they count for nothing.
        assert window.hit("b", limit=2, window=60) is None
        assert _rows(path) == [("a", 2), ("b", 2)]
        assert window.hit("b", limit=2, window=60) is None
        assert window.hit("b", limit=2, window=60) == 60
        assert _rows(path) == [("a", 2), ("b", 2)]
    monkeypatch.setattr(SQLiteHitWindow, "PRUNE_ONE_IN", 1)
    with time_machine.travel(start + 122, tick=False):
        assert window.hit("c", limit=2, window=60) is None
        assert _rows(path) == [("c", 1)]  # every row whose window ended is gone, with its count
    window.close()


def test_a_file_from_before_counts_were_kept_counts_the_hits_it_holds(tmp_path):
    path = tmp_path / "throttles.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.executescript(ratelimit._SQLITE_SCHEMA)
        now = time.time()
        db.executemany("INSERT INTO hits VALUES (?, ?, ?)", [("a", now - 1, now + 59)] * 2)
    window = SQLiteHitWindow(path)
    assert window.hit("a", limit=3, window=60) is None
    assert window.hit("a", limit=3, window=60) is not None
    assert _rows(path) == [("a", 3)]
    window.close()
