"""
The real service under gunicorn, for tests that need real processes: several
workers, real sockets, a real multipart stream.

    with GunicornServer(env={"TTL_DAYS": "2"}, workers=2) as server:
        urllib.request.urlopen(server.url + "/")
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from harness.processes import ROOT, Gunicorn

__all__ = ["ROOT", "GunicornServer"]


class GunicornServer(Gunicorn):
    """
    Starts ``secrets_site.wsgi`` on a free port of 127.0.0.1 with ``env`` added
    to this process's environment (cheap scrypt, no throttles; DATA_DIR
    defaults to a fresh folder), its stores set up, waits until it answers,
    and stops it on exit. ``log()`` is its output.
    """

    name = "server"

    def __init__(self, env: dict | None = None, *, workers: int = 2, data_dir: str | None = None):
        self._tmp = tempfile.TemporaryDirectory(prefix="pysecrets-server-")
        self.data_dir = data_dir or os.path.join(self._tmp.name, "data")
        defaults = {
            "DATA_DIR": self.data_dir,
            "THROTTLE_CREATE": "",
            "THROTTLE_REVEAL": "",
            "THROTTLE_RECEIPT": "",
        }
        super().__init__(
            Path(self._tmp.name), workers=workers, env={**defaults, **(env or {})}, name="server"
        )
        # The schema is built on first use: once it answers, every route does.
        self.ready_path = "/api/schema/"

    def spawn(self) -> None:
        self.manage("setup_storage")
        super().spawn()

    def start(self, timeout: float = 30) -> GunicornServer:
        return super().start(timeout)

    def __exit__(self, *exc) -> None:
        super().__exit__(*exc)
        self._tmp.cleanup()
