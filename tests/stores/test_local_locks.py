"""
SQLite keeps its locks as POSIX locks, which a process loses on a file as
soon as it closes any descriptor of that file. A worker thread that opens the
record store after others must therefore not open the database file itself,
or another process closing its last connection deletes the WAL the first is
still writing to, and every commit after that is lost to everyone else.
"""

import subprocess
import sys

from sharing.stores.local import SQLiteRecordStore
from tests.support.records import record
from tests.support.server import ROOT

OPEN_AND_CLOSE = """
import sys
from sharing.stores.local import SQLiteRecordStore
store = SQLiteRecordStore(path=sys.argv[1])
store.check()
store.close()
"""

COUNT = """
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM secrets").fetchone()[0])
"""


def python(code: str, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def test_a_second_connection_in_a_process_keeps_the_commits_of_the_first_visible(tmp_path):
    path = str(tmp_path / "secrets.sqlite3")
    first = SQLiteRecordStore(path=path)
    first.put(record())  # this process now holds the database open
    second = SQLiteRecordStore(path=path)  # as a worker's next thread opens it
    second.check()
    python(OPEN_AND_CLOSE, path)  # another process, done with the database
    first.put(record())
    assert python(COUNT, path).strip() == "2"
    first.close()
    second.close()
