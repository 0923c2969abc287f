"""
Storage outages on the aws backend: the session's servers are stopped and
started again on the same ports. While one is down the service answers 503
JSON within seconds; once it is back the service works again, without a
restart of its own.
"""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sharing.errors import StorageUnavailable
from tests.support.aws_fixtures import make_stores

pytest_plugins = ["tests.support.aws_fixtures"]
pytestmark = pytest.mark.slow

# Connection refused, three attempts with back-off: a few seconds at most.
QUICK = 8


def provision(env) -> None:
    records, blobs = make_stores(env)
    records.setup()
    blobs.setup()


def restart(server) -> None:
    server.start()  # same ports: the app's clients find it where it was
    server.wait_ready()


def encrypt_text(post_json, text="the launch codes"):
    return post_json("/encrypt", {"secret": text, "view_count": 2})


def assert_unavailable(response, started):
    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"
    assert "try again" in response.json()["detail"]
    assert time.monotonic() - started < QUICK


def each_fails_fast(*calls) -> None:
    """Every store call raises StorageUnavailable, each within QUICK seconds."""
    for call in calls:
        started = time.monotonic()
        with pytest.raises(StorageUnavailable):
            call()
        assert time.monotonic() - started < QUICK


def test_records_down_is_503_json_then_recovers(aws_servers, aws_settings, aws_env, post_json):
    created = encrypt_text(post_json)
    assert created.status_code == 200
    secret = created.json()
    records, _ = make_stores(aws_env)

    aws_servers.dynamodb.stop()
    try:
        started = time.monotonic()
        assert_unavailable(encrypt_text(post_json), started)
        started = time.monotonic()
        assert_unavailable(post_json("/decrypt", secret), started)
        each_fails_fast(
            records.check,
            lambda: records.get(secret["secret_id"], now=time.time()),
            lambda: records.claim_view(secret["secret_id"], now=time.time()),
        )
    finally:
        restart(aws_servers.dynamodb)

    # DynamoDB Local keeps its tables in memory: a restart means provisioning again.
    provision(aws_env)
    created = encrypt_text(post_json, "after the outage").json()
    revealed = post_json("/decrypt", created)
    assert revealed.status_code == 200
    assert revealed.json() == {"data": "after the outage"}
    assert records.check() is None


def test_blobs_down_is_503_json_then_recovers(aws_servers, aws_settings, aws_env, api, post_json):
    def upload(content: bytes):
        return api.post("/encrypt", {"file": SimpleUploadedFile("notes.txt", content)}, format="multipart")

    before = upload(b"stored before the outage")
    assert before.status_code == 200
    _, blobs = make_stores(aws_env)

    aws_servers.s3.stop()
    try:
        started = time.monotonic()
        assert_unavailable(upload(b"during the outage"), started)
        started = time.monotonic()
        assert_unavailable(post_json("/decrypt", before.json()), started)
        each_fails_fast(
            blobs.check,
            lambda: blobs.open_read(before.json()["secret_id"]),
            lambda: list(blobs.list_ids(older_than=time.time())),
            lambda: blobs.delete(before.json()["secret_id"]),
        )
    finally:
        restart(aws_servers.s3)

    # The failed reveal spent no view, and the body survived the outage.
    revealed = post_json("/decrypt", before.json())
    assert revealed.status_code == 200
    assert b"".join(revealed.streaming_content) == b"stored before the outage"
    assert upload(b"after the outage").status_code == 200
    assert blobs.check() is None
