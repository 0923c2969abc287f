"""
pytest fixtures for the aws backend: DynamoDB Local and SeaweedFS started once
per test session, the table and bucket provisioned by the stores' own setup().

``aws_env`` yields the environment that points the app at them (for a server
started in a child process); for the session, the test process's own AWS
variables point there too, so no test can reach a real AWS account.
"""

import uuid

import pytest

from harness.aws import AWSServers


@pytest.fixture(scope="session")
def aws_servers():
    with AWSServers() as servers:
        yield servers


@pytest.fixture(scope="session")
def aws_env(aws_servers):
    env = aws_servers.env()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            if name.startswith("AWS_"):
                patch.setenv(name, value)
        records, blobs = make_stores(env)
        records.setup()
        blobs.setup()
        records.close()
        blobs.close()
        yield env


@pytest.fixture
def aws_record_store(aws_env):
    store, _ = make_stores(aws_env)
    yield store
    store.close()


@pytest.fixture
def aws_blob_store(aws_env):
    """A blob store under a key prefix of its own, so listing sees only this test's blobs."""
    _, store = make_stores(aws_env, prefix=f"test-{uuid.uuid4().hex}/")
    yield store
    store.close()


def make_stores(env: dict, *, max_connections: int = 32, **blob_options):
    """The aws stores, configured as settings configure them for SECRETS_BACKEND=aws."""
    from sharing.stores.aws import DynamoRecordStore, S3BlobStore

    records = DynamoRecordStore(
        table=env["DYNAMO_TABLE"],
        region=env["AWS_REGION"],
        endpoint_url=env["AWS_ENDPOINT_URL_DYNAMODB"],
        max_connections=max_connections,
    )
    blobs = S3BlobStore(
        bucket=env["S3_BUCKET"],
        region=env["AWS_REGION"],
        endpoint_url=env["AWS_ENDPOINT_URL_S3"],
        max_connections=max_connections,
        **blob_options,
    )
    return records, blobs


@pytest.fixture
def aws_settings(aws_env, settings):
    """Django's settings pointing the service's stores at the session's servers."""
    env = aws_env
    settings.SECRETS_STORES = {
        "records": {
            "BACKEND": "sharing.stores.aws.DynamoRecordStore",
            "OPTIONS": {
                "table": env["DYNAMO_TABLE"],
                "region": env["AWS_REGION"],
                "endpoint_url": env["AWS_ENDPOINT_URL_DYNAMODB"],
            },
        },
        "blobs": {
            "BACKEND": "sharing.stores.aws.S3BlobStore",
            "OPTIONS": {
                "bucket": env["S3_BUCKET"],
                "region": env["AWS_REGION"],
                "endpoint_url": env["AWS_ENDPOINT_URL_S3"],
            },
        },
    }
    return settings
