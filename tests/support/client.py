"""
The command-line client as people run it: a separate process per command, with
no controlling terminal, run from this checkout's cli/ whether installed or not.
"""

import os
import subprocess
import sys

from tests.support.server import ROOT

CLI_SOURCE = ROOT / "cli"
# The in-process tests import the client from this checkout too, installed or not.
sys.path.insert(0, str(CLI_SOURCE))


class Client:
    """Runs ``pysecrets`` from this checkout's cli/ with ``PYSECRETS_URL`` pointing at ``url``."""

    def __init__(self, url: str, cwd):
        self.url = url
        self.cwd = cwd

    def __call__(self, *args, input: bytes | str = b"", env: dict | None = None, cwd=None):
        environment = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("PYSECRETS_") and not name.lower().endswith("_proxy")
        }
        environment.update({"PYTHONPATH": str(CLI_SOURCE), "PYSECRETS_URL": self.url, **(env or {})})
        return subprocess.run(
            [sys.executable, "-m", "pysecrets_cli", *args],
            input=input.encode() if isinstance(input, str) else input,
            capture_output=True,
            env={k: v for k, v in environment.items() if v is not None},
            cwd=cwd or self.cwd,
            timeout=120,
            # A session of its own: no controlling terminal, so nothing can prompt.
            start_new_session=True,
        )
