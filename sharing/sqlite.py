"""
SQLite connections for the files every worker of one machine shares (the
local record store, the throttle windows). Imports no Django.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable


class ConnectionPerThread:
    """
    One connection per thread and per process, opened by ``open_connection``
    on first use. A connection may not cross threads, and one inherited
    across fork() must never be used by the child: it would share the
    parent's locks.
    """

    def __init__(self, open_connection: Callable[[], sqlite3.Connection]):
        self._open = open_connection
        self._local = threading.local()

    def get(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None or self._local.pid != os.getpid():
            db = self._open()
            self._local.db, self._local.pid = db, os.getpid()
        return db

    def close(self) -> None:
        """Close this thread's connection, if this process opened it; the next ``get`` opens another."""
        db = getattr(self._local, "db", None)
        if db is not None and self._local.pid == os.getpid():
            db.close()
        self._local = threading.local()
