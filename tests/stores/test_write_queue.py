"""
The writers' queue of the local SQLite files: one writer at a time across
processes and the threads inside each, a bounded wait that ends as
unavailable, a turn that comes back when its holder dies, and group commit:
the writes a process's threads queue meanwhile share one commit, and one that
fails is rolled back alone.
"""

import multiprocessing
import sqlite3
import threading
import time

import pytest

from sharing.errors import StorageUnavailable
from sharing.sqlite import ConnectionPerThread, WriteQueue
from sharing.stores.base import RecordExists
from sharing.stores.local import SQLiteRecordStore
from tests.support.crowd import all_at_once, hold_in_threads, most_at_once
from tests.support.records import NOW, record


def test_one_writer_at_a_time_across_processes_and_their_threads(tmp_path):
    queue = WriteQueue(tmp_path / "db.writers", timeout=30)
    crowds = all_at_once(hold_in_threads, (queue, 4, 0.02), 4)
    spans = [span for crowd in crowds for span in crowd]
    assert len(spans) == 16
    assert most_at_once(spans) == 1


def hold_until_killed(queue, held, seconds):
    with queue():
        held.set()
        time.sleep(seconds)


def test_a_wait_past_the_timeout_is_unavailable_and_a_dead_holders_turn_comes_back(tmp_path):
    path = tmp_path / "secrets.sqlite3"
    store = SQLiteRecordStore(path=str(path), timeout=0.3)
    store.check()
    ctx = multiprocessing.get_context("fork")
    held = ctx.Event()
    holder = ctx.Process(
        target=hold_until_killed, args=(WriteQueue(str(path) + ".writers", timeout=5), held, 60)
    )
    holder.start()
    assert held.wait(10)
    began = time.monotonic()
    with pytest.raises(StorageUnavailable):
        store.put(record())
    assert 0.3 <= time.monotonic() - began < 5
    holder.kill()
    holder.join()
    store.put(record())  # the kernel released the dead holder's lock
    store.close()


def queued_meanwhile(queue: WriteQueue, writes: list, count: int) -> list[threading.Thread]:
    """Start a thread per write; return once every one waits in ``queue`` for the turn held now."""
    threads = [threading.Thread(target=write) for write in writes]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while len(queue._pending) < count:
        assert time.monotonic() < deadline, "the writes never queued"
        time.sleep(0.01)
    return threads


def test_writes_queued_while_another_process_writes_share_one_commit(tmp_path):
    path = tmp_path / "secrets.sqlite3"
    store = SQLiteRecordStore(path=str(path), timeout=30)
    store.check()
    statements = []
    opened = store._connections._open

    def traced():
        db = opened()
        db.set_trace_callback(statements.append)
        return db

    store._connections = ConnectionPerThread(traced)
    store._writers._connect = store._connections.get
    ctx = multiprocessing.get_context("fork")
    held = ctx.Event()
    holder = ctx.Process(target=hold_until_killed, args=(WriteQueue(str(path) + ".writers", 5), held, 60))
    holder.start()
    assert held.wait(10)
    records = [record() for _ in range(8)]
    threads = queued_meanwhile(store._writers, [lambda r=r: store.put(r) for r in records], 8)
    holder.kill()
    holder.join()
    for thread in threads:
        thread.join(30)
    for r in records:
        assert store.get(r.secret_id, now=NOW) == r
    # One thread's turn commits all eight; each alone would have committed once.
    assert statements.count("COMMIT") == 1
    assert statements.count("PRAGMA synchronous=FULL") == 1
    store.close()


def test_a_write_that_fails_is_rolled_back_alone_and_its_writer_told(tmp_path):
    store = SQLiteRecordStore(path=str(tmp_path / "secrets.sqlite3"), timeout=30)
    taken = record()
    store.put(taken)
    fresh = [record() for _ in range(3)]
    outcomes = {}

    def put(r, name):
        try:
            store.put(r)
            outcomes[name] = "stored"
        except RecordExists:
            outcomes[name] = "exists"

    writes = [lambda r=r, i=i: put(r, i) for i, r in enumerate(fresh)]
    writes.insert(1, lambda: put(record(secret_id=taken.secret_id, payload=b"another"), "clash"))
    with store._writers():
        threads = queued_meanwhile(store._writers, writes, 4)
    for thread in threads:
        thread.join(30)
    assert outcomes == {0: "stored", 1: "stored", 2: "stored", "clash": "exists"}
    assert store.get(taken.secret_id, now=NOW) == taken
    for r in fresh:
        assert store.get(r.secret_id, now=NOW) == r
    store.close()


def test_work_that_raises_keeps_none_of_its_statements_and_the_others_keep_theirs(tmp_path):
    path = tmp_path / "db.sqlite3"

    def connect():
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")
        return db

    connections = ConnectionPerThread(connect)
    queue = WriteQueue(tmp_path / "db.writers", 30, connections.get)
    outcomes = {}

    def work(n, fail):
        def insert(db):
            db.execute("INSERT INTO t VALUES (?)", (n,))
            if fail:
                raise ValueError(f"work {n} failed after writing")
            return n

        def write():
            try:
                outcomes[n] = queue.run(insert, durable=False)
            except ValueError as e:
                outcomes[n] = str(e)

        return write

    with queue():
        threads = queued_meanwhile(queue, [work(1, False), work(2, True), work(3, False)], 3)
    for thread in threads:
        thread.join(30)
    assert outcomes == {1: 1, 2: "work 2 failed after writing", 3: 3}
    rows = connect().execute("SELECT n FROM t ORDER BY n").fetchall()
    assert rows == [(1,), (3,)]
