"""
The writers' queue of the local SQLite files: one writer at a time across
processes and the threads inside each, a bounded wait that ends as
unavailable, and a turn that comes back when its holder dies.
"""

import multiprocessing
import time

import pytest

from sharing.errors import StorageUnavailable
from sharing.sqlite import WriteQueue
from sharing.stores.local import SQLiteRecordStore
from tests.support.crowd import all_at_once, hold_in_threads, most_at_once
from tests.support.records import record


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
