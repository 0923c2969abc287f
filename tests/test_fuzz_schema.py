"""
The API against its own OpenAPI schema: schemathesis generates valid and
invalid requests for every operation of a real server and runs all of its
checks on the answers (no server error; status codes, content types, headers
and bodies as documented; invalid input rejected, valid input accepted).
"""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.server import GunicornServer

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES_PER_OPERATION = 50
SEED = 20261126  # fixed, so a failure here replays exactly


@pytest.mark.slow
def test_api_keeps_to_its_schema():
    with GunicornServer(workers=2) as server:
        run = subprocess.run(
            [
                str(SCHEMATHESIS),
                "--config-file",
                str(CONFIG),
                "run",
                f"{server.url}/api/schema/",
                "--checks",
                "all",
                "--max-examples",
                str(EXAMPLES_PER_OPERATION),
                "--seed",
                str(SEED),
                "--generation-database",
                "none",  # every run the same: no examples carried over from earlier runs
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        log = server.log()
    assert run.returncode == 0, run.stdout[-6000:]
    assert "10/10" in run.stdout and " passed" in run.stdout
    assert '" 500 ' not in log
