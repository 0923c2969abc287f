"""
The aws stores keep a connection open for every thread of a worker. A call
that finds every kept connection busy opens one of its own, and urllib3 closes
it afterwards, so with botocore's default of 10 a worker of 32 threads makes
and drops connections (TLS handshakes, against AWS) all through a busy moment.
Against DynamoDB Local and SeaweedFS: THREADS threads calling at once, round
after round, open no more than THREADS connections in all.
"""

import threading
import uuid

import pytest

from sharing.stores.base import BlobNotFound
from tests.support.aws_fixtures import make_stores

pytest_plugins = ["tests.support.aws_fixtures"]
pytestmark = pytest.mark.slow

THREADS = 24
ROUNDS = 15


def connections_opened(store) -> int:
    manager = store.client._endpoint.http_session._manager
    return sum(pool.num_connections for pool in manager.pools._container.values())


def at_once(call) -> None:
    """``call`` from THREADS threads, ROUNDS times, each round started together."""
    start = threading.Barrier(THREADS)
    errors = []

    def work():
        try:
            for _ in range(ROUNDS):
                start.wait()
                call()
        except Exception as e:  # reported below, in the test's thread
            errors.append(e)
            start.abort()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors


def read_record(store) -> None:
    assert store.get("x" * 22, now=0.0) is None


def read_blob(store) -> None:
    with pytest.raises(BlobNotFound):
        store.open_read(uuid.uuid4().hex)


@pytest.fixture
def stores(aws_env, request):
    records, blobs = make_stores(aws_env, max_connections=request.param)
    yield {"records": records, "blobs": blobs}
    records.close()
    blobs.close()


@pytest.mark.parametrize("stores", [THREADS], indirect=True)
@pytest.mark.parametrize(("role", "call"), [("records", read_record), ("blobs", read_blob)])
def test_threads_calling_at_once_reuse_the_connections_kept_for_them(stores, role, call):
    at_once(lambda: call(stores[role]))
    assert 0 < connections_opened(stores[role]) <= THREADS


@pytest.mark.parametrize("stores", [10], indirect=True)
def test_with_fewer_connections_kept_than_threads_the_same_load_opens_more(stores):
    # The load above does overlap past botocore's default: otherwise the test
    # above would hold for any pool size.
    at_once(lambda: read_record(stores["records"]))
    assert connections_opened(stores["records"]) > THREADS


def test_a_store_needs_a_connection(aws_env):
    with pytest.raises(ValueError, match="max_connections is 0"):
        make_stores(aws_env, max_connections=0)
