"""
The API against its own OpenAPI schema: schemathesis generates valid and
invalid requests for every operation of a real server and runs all of its
checks on the answers (no server error; status codes, content types, headers
and bodies as documented; invalid input rejected, valid input accepted).
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.server import GunicornServer

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES_PER_OPERATION = 50
SEED = 20261126  # fixed, so a failure here replays exactly


# With throttles on, most valid requests are answered 429: whether valid data is
# accepted cannot be judged then, only that every answer is one the schema lists.
THROTTLED = {"THROTTLE_CREATE": "3/minute", "THROTTLE_REVEAL": "3/minute"}
CONFORMANCE = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_headers_conformance,response_schema_conformance"
)


def schemathesis(server: GunicornServer, *, checks: str, examples: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(CONFIG),
            "run",
            f"{server.url}/api/schema/",
            # Named checks on the command line outrank the per-operation
            # exclusions of the config file: "all" is left to the file.
            *(["--checks", checks] if checks != "all" else []),
            "--max-examples",
            str(examples),
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


@pytest.mark.slow
def test_api_keeps_to_its_schema():
    with GunicornServer(workers=2) as server:
        run = schemathesis(server, checks="all", examples=EXAMPLES_PER_OPERATION)
        log = server.log()
    assert run.returncode == 0, run.stdout[-6000:]
    selected = re.search(r"Selected: (\d+)/\1\b", run.stdout)
    assert selected and f"Tested: {selected[1]}" in run.stdout, "not every operation was tested"
    assert " passed" in run.stdout
    assert '" 500 ' not in log


@pytest.mark.slow
def test_throttled_and_refused_answers_are_in_the_schema():
    with GunicornServer(env=THROTTLED, workers=2) as server:
        run = schemathesis(server, checks=CONFORMANCE, examples=15)
        log = server.log()
    assert run.returncode == 0, run.stdout[-6000:]
    assert '" 429 ' in log  # the throttles did answer, so their answers were judged
    assert '" 500 ' not in log
