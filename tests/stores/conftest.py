"""
The contract suite runs once per backend. A backend is a pair of store specs
(dotted class path, options, extra environment), so tests can build the same
store again inside other processes.
"""

import uuid

import pytest

from tests.support.backends import build


def local_backend(request, tmp_path) -> dict:
    return {
        "records": {
            "path": "sharing.stores.local.SQLiteRecordStore",
            "options": {"path": str(tmp_path / "r.db")},
        },
        "blobs": {"path": "sharing.stores.local.FileBlobStore", "options": {"root": str(tmp_path / "blobs")}},
    }


def aws_backend(request, tmp_path) -> dict:
    # DynamoDB Local and SeaweedFS, started once per session (tests/support/aws_fixtures.py).
    env = request.getfixturevalue("aws_env")
    auth = {name: value for name, value in env.items() if name.startswith("AWS_")}
    region = env["AWS_REGION"]
    return {
        "records": {
            "path": "sharing.stores.aws.DynamoRecordStore",
            "options": {
                "table": env["DYNAMO_TABLE"],
                "region": region,
                "endpoint_url": env["AWS_ENDPOINT_URL_DYNAMODB"],
            },
            "env": auth,
        },
        "blobs": {
            "path": "sharing.stores.aws.S3BlobStore",
            "options": {
                "bucket": env["S3_BUCKET"],
                "region": region,
                "endpoint_url": env["AWS_ENDPOINT_URL_S3"],
                # A prefix of its own: the bucket is the session's, and other tests leave blobs in it.
                "prefix": f"contract-{uuid.uuid4().hex}/",
            },
            "env": auth,
        },
    }


BACKENDS = {"local": local_backend, "aws": aws_backend}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request, tmp_path):
    return BACKENDS[request.param](request, tmp_path)


@pytest.fixture
def record_store(backend):
    store = build(backend["records"])
    store.setup()
    yield store
    store.close()


@pytest.fixture
def blob_store(backend):
    store = build(backend["blobs"])
    store.setup()
    yield store
    store.close()
