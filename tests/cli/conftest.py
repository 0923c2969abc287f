"""
The client against the real server under gunicorn on each backend (the
``cli`` fixture), or on the local backend only (``cli_local``).
"""

import uuid

import pytest

from tests.support.client import Client
from tests.support.server import GunicornServer


@pytest.fixture(scope="module", params=["local", "aws"])
def served(request):
    env = {}
    if request.param == "aws":
        env = request.getfixturevalue("aws_servers").env(table=f"Cli{uuid.uuid4().hex[:12]}")
    with GunicornServer(env, workers=2) as server:
        yield server


@pytest.fixture(scope="module")
def local_server():
    with GunicornServer(workers=2) as server:
        yield server


@pytest.fixture
def cli(served, tmp_path):
    """The client against the server of each backend."""
    return Client(served.url, tmp_path)


@pytest.fixture
def cli_local(local_server, tmp_path):
    """The client against the local backend only, for what does not depend on storage."""
    return Client(local_server.url, tmp_path)
