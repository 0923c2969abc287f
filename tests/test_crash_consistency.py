"""
Crash consistency: a worker killed outright (SIGKILL) before or after each
storage step of create, reveal and burn, on both backends. Then: no plaintext
is ever served twice, nothing half-made is readable, no view is lost but the
one the killed request itself took, and one sweep leaves no orphan blob.

The steps are not listed by hand: a first run of each operation traces the
store calls it makes (sharing.faults), and the worker is then killed at every
one of them in turn, so a new storage step is covered the day it appears.
"""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.http import Answer, file_form, send
from tests.support.server import GunicornServer

TEXT = "crash test text"
FILE = os.urandom(300_000)  # two writes of the sealing handler, and more than one read chunk
WRONG = "not the passphrase at all"

# A view is spent, or a secret deleted, by one of these steps: a request killed
# after it has taken the view (or the secret) with it; killed before, nothing.
SPENDING_STEPS = ("records.claim_view", "records.delete")


@dataclass
class Scenario:
    name: str
    views: int
    kind: str  # "text" or "file"
    act: str  # "create", "reveal", "burn" or "guess"


SCENARIOS = [
    Scenario("create a text", 2, "text", "create"),
    Scenario("create a file", 2, "file", "create"),
    Scenario("reveal a text", 2, "text", "reveal"),
    Scenario("reveal a file", 2, "file", "reveal"),
    Scenario("reveal a file's last view", 1, "file", "reveal"),
    Scenario("burn a file", 2, "file", "burn"),
    Scenario("burn a text", 1, "text", "burn"),
    Scenario("a wrong guess", 2, "text", "guess"),
]


def create(url: str, kind: str, views: int) -> Answer:
    if kind == "text":
        return send(url + "/api/text/", {"secret": TEXT, "view_count": views})
    data, content_type = file_form(FILE, "f.bin", view_count=str(views))
    return send(url + "/api/files/", data, content_type=content_type)


def content_of(kind: str, answer: Answer) -> bytes | str:
    return json.loads(answer.body)["data"] if kind == "text" else answer.body


class Crashes:
    """A server whose workers die at the step the control file names."""

    def __init__(self, server: GunicornServer, control: Path):
        self.server, self.control, self.url = server, control, server.url

    def trace(self, run: Callable[[], Answer]) -> list[str]:
        trace = Path(f"{self.control}.trace")
        trace.unlink(missing_ok=True)
        self.control.write_text("trace")
        try:
            answer = run()
        finally:
            self.control.unlink(missing_ok=True)
        assert answer.status < 300, answer
        steps = trace.read_text().split() if trace.exists() else []
        return list(dict.fromkeys(steps))  # each step once, in order

    def killed_at(self, point: str, run: Callable[[], Answer]) -> Answer | None:
        """
        Run with the worker set to die at ``point``; return what the client got
        (``None``: the connection died). A step after the last byte (a used-up
        blob deleted as the stream closes) kills the worker once the answer is out.
        """
        self.control.write_text(point)
        try:
            answer = run()
        except (http.client.HTTPException, ConnectionError, urllib.error.URLError):
            answer = None
        deadline = time.monotonic() + 10
        while self.control.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        reached = not self.control.exists()
        self.control.unlink(missing_ok=True)
        assert reached, f"{point} was never reached: the request was answered {answer and answer.status}"
        return answer


def act(url: str, scenario: Scenario, created: dict | None) -> Answer:
    if scenario.act == "create":
        return create(url, scenario.kind, scenario.views)
    base = f"{url}/api/secrets/{created['secret_id']}"
    if scenario.act == "reveal":
        return send(base + "/reveal/", {"passphrase": created["passphrase"]})
    if scenario.act == "burn":
        return send(base + "/burn/", {"passphrase": created["passphrase"]})
    answer = send(base + "/reveal/", {"passphrase": WRONG})
    return answer._replace(status=200) if answer.status == 404 else answer  # a guess's answer is 404


def reveals_left(url: str, scenario: Scenario, created: dict) -> int:
    """Reveal until refused; every plaintext served must be whole and right."""
    for served in range(scenario.views + 2):
        answer = send(
            f"{url}/api/secrets/{created['secret_id']}/reveal/", {"passphrase": created["passphrase"]}
        )
        if answer.status == 404:
            return served
        assert answer.status == 200, answer
        assert content_of(scenario.kind, answer) == (TEXT if scenario.kind == "text" else FILE)
    raise AssertionError("more views were served than the secret had")


# One sweep, then count the blobs no record owns.
SWEEP_THEN_ORPHANS = """
import time
from sharing.domain.lifecycle import is_secret_id
from django.core.management import call_command
from sharing.stores.handler import blob_store, record_store
call_command("sweep", "--grace", "0")
now = time.time()
ids = [i for i in blob_store().list_ids(older_than=now + 60) if is_secret_id(i)]
print(sum(1 for i in ids if record_store().get(i, now=now) is None))
"""


@pytest.fixture(scope="module", params=["local", "aws"])
def crashes(request, tmp_path_factory):
    control = tmp_path_factory.mktemp("faults") / "point"
    env = request.getfixturevalue("aws_env") if request.param == "aws" else {}
    # Preloaded, a killed worker's replacement is a fork of the master, ready at once.
    env = {**env, "PYSECRETS_FAULTS": str(control), "GUNICORN_CMD_ARGS": "--preload"}
    with GunicornServer(env=env, workers=3) as server:
        yield Crashes(server, control)
        assert server.manage("shell", "-c", SWEEP_THEN_ORPHANS).split()[-1] == "0"
        assert "Traceback" not in server.log()


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_a_worker_killed_at_any_storage_step_loses_nothing_but_its_own_request(crashes, scenario):
    url = crashes.url

    def prepared() -> dict | None:
        if scenario.act == "create":
            return None
        answer = create(url, scenario.kind, scenario.views)
        assert answer.status == 201, answer
        return json.loads(answer.body)

    sample = prepared()
    steps = crashes.trace(lambda: act(url, scenario, sample))
    assert steps, "the operation made no store call"
    spending = [i for i, step in enumerate(steps) if step in SPENDING_STEPS]
    if scenario.act in ("reveal", "burn"):
        assert spending, f"no step that spends a view or a secret in {steps}"

    # Killed before the first step, and after each: between two steps nothing
    # is stored, so "before" the next is the same state as "after" the last.
    points = [(-1, steps[0], "before")] + [(index, step, "after") for index, step in enumerate(steps)]
    for index, step, moment in points:
        created = prepared()
        answer = crashes.killed_at(f"{step}:{moment}", lambda created=created: act(url, scenario, created))
        if answer is not None and scenario.act == "reveal":  # whole, if the killed request got it at all
            assert content_of(scenario.kind, answer) == (TEXT if scenario.kind == "text" else FILE)
        spent = bool(spending) and index >= spending[0]
        where = f"killed {moment} {step}"
        if scenario.act == "create":
            # Nothing reached the client, so nothing can be read; the service goes on.
            again = create(url, scenario.kind, 1)
            assert again.status == 201, where
            assert reveals_left(url, Scenario("", 1, scenario.kind, "reveal"), json.loads(again.body)) == 1
        elif scenario.act == "burn":
            assert reveals_left(url, scenario, created) == (0 if spent else scenario.views), where
        else:
            lost = 1 if (scenario.act == "reveal" and spent) else 0
            assert reveals_left(url, scenario, created) == scenario.views - lost, where
