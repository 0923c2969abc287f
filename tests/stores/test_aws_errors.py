"""
How the aws backend maps AWS failures, without servers: botocore's Stubber
answers each call with the error a real service would send, and transport
failures are raised where botocore would raise them.
"""

import io
import logging
import time

import pytest
from botocore.exceptions import (
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
    ResponseStreamingError,
)
from botocore.stub import ANY, Stubber

from sharing.errors import StorageUnavailable
from sharing.stores.aws import DynamoRecordStore, S3BlobStore
from sharing.stores.aws.dynamo import _to_item as _item
from sharing.stores.aws.s3 import _Body
from sharing.stores.base import BlobNotFound, RecordExists, Tally
from tests.support.records import record

# Nothing listens here: a call that slipped past the stubs fails at once, locally.
NOWHERE = "http://127.0.0.1:9"
RECORD = record(secret_id="AAAAAAAAAAAAAAAA", views=2, expires_at=2_000_000_000)


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "unittest")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "unittest")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def records():
    store = DynamoRecordStore(table="Secrets", region="us-east-1", endpoint_url=NOWHERE)
    with Stubber(store.client) as stub:
        yield store, stub
        stub.assert_no_pending_responses()


@pytest.fixture
def blobs():
    store = S3BlobStore(bucket="secrets", region="us-east-1", endpoint_url=NOWHERE)
    with Stubber(store.client) as stub:
        yield store, stub
        stub.assert_no_pending_responses()


def raise_in(client, operation: str, error: Exception) -> None:
    """Make one operation fail in transport, the way botocore reports it."""

    def fail(**kwargs):
        raise error

    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register_first(f"before-call.{service}.{operation}", fail)


# -- DynamoDB ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("ProvisionedThroughputExceededException", "busy"),
        ("ThrottlingException", "busy"),
        ("RequestLimitExceeded", "busy"),
        ("InternalServerError", "unavailable"),
        ("ResourceNotFoundException", "unavailable"),
        ("AccessDeniedException", "unavailable"),
    ],
)
def test_dynamodb_errors_become_storage_unavailable(records, code, message):
    store, stub = records
    stub.add_client_error("get_item", service_error_code=code, http_status_code=400)
    with pytest.raises(StorageUnavailable, match=message) as caught:
        store.get("AAAAAAAAAAAAAAAA", now=time.time())
    assert caught.value.__cause__ is not None


def test_condition_failures_are_results_not_errors(records):
    store, stub = records
    stub.add_client_error("put_item", service_error_code="ConditionalCheckFailedException")
    stub.add_client_error("update_item", service_error_code="ConditionalCheckFailedException")
    with pytest.raises(RecordExists):
        store.put(RECORD)
    assert store.claim_view(RECORD.secret_id, now=time.time()) is None


def test_claim_is_one_conditional_update_checking_views_expiry_reservation_and_token(records):
    store, stub = records
    stub.add_response(
        "update_item",
        {"Attributes": {"views_left": {"N": "1"}}},
        {
            "TableName": "Secrets",
            "Key": {"secret_id": {"S": RECORD.secret_id}},
            "UpdateExpression": (
                "SET views_left = views_left - :one, last_viewed_at = :now"
                " ADD failed_attempts :give_back, claims :token, views_taken :one"
            ),
            "ConditionExpression": (
                "views_left >= :one AND expires_at > :now AND failed_attempts >= :one"
                " AND NOT contains(claims, :mine)"
            ),
            "ExpressionAttributeValues": {
                ":one": {"N": "1"},
                ":give_back": {"N": "-1"},
                ":now": {"N": "1700000000"},
                ":token": ANY,
                ":mine": ANY,
            },
            "ReturnValues": "ALL_NEW",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        },
    )
    assert store.claim_view(RECORD.secret_id, now=1_700_000_000.9) == 1


def test_reserve_makes_the_same_three_calls_whether_or_not_the_id_exists(records):
    store, stub = records
    tally = Tally(1_700_000_000, {"failed_attempts": 1})
    reserve = {
        "TableName": "Secrets",
        "Key": {"secret_id": {"S": RECORD.secret_id}},
        "UpdateExpression": "ADD failed_attempts :one",
        "ConditionExpression": "views_left >= :one AND expires_at > :now AND failed_attempts < :limit",
        "ExpressionAttributeValues": {":one": {"N": "1"}, ":now": {"N": "1700000000"}, ":limit": {"N": "10"}},
        "ReturnValues": "ALL_NEW",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }

    stub.add_response(
        "update_item", {"Attributes": {**_item(RECORD), "failed_attempts": {"N": "1"}}}, reserve
    )
    expect_counts(stub, failed_attempts=1)
    stub.add_client_error(
        "update_item", service_error_code="ConditionalCheckFailedException", expected_params=reserve
    )
    expect_counts(stub, failed_attempts=0)
    assert (
        store.reserve_attempt(RECORD.secret_id, now=1_700_000_000, limit=10, tally=tally).failed_attempts == 1
    )
    assert store.reserve_attempt(RECORD.secret_id, now=1_700_000_000, limit=10, tally=tally) is None


def test_last_claim_leaves_a_tombstone_on_condition_of_zero_views(records):
    store, stub = records
    stub.add_response("update_item", {"Attributes": {"views_left": {"N": "0"}}})
    stub.add_response(
        "update_item",
        {},
        {
            "TableName": "Secrets",
            "Key": {"secret_id": {"S": RECORD.secret_id}},
            "UpdateExpression": (
                "SET ended = :ended, views_left = :zero, blob_size = :zero REMOVE salt, wrapped_key, payload"
            ),
            "ConditionExpression": "views_left = :zero AND attribute_not_exists(ended)",
            "ExpressionAttributeValues": {":zero": {"N": "0"}, ":ended": {"S": "used_up"}},
        },
    )
    assert store.claim_view(RECORD.secret_id, now=time.time()) == 0


def test_a_count_failing_after_the_change_loses_the_count_not_the_result(records, caplog):
    store, stub = records
    tally = Tally(1_700_000_000, {"views": 1}, if_last={"used_up": 1})
    stub.add_response("put_item", {})
    stub.add_client_error("update_item", service_error_code="InternalServerError", http_status_code=500)
    stub.add_response("update_item", {"Attributes": {"views_left": {"N": "0"}}})
    stub.add_response("update_item", {})  # the tombstone
    stub.add_client_error("update_item", service_error_code="ThrottlingException")

    with caplog.at_level(logging.WARNING, logger="sharing.stores.aws"):
        store.put(RECORD, tally=Tally(1_700_000_000, {"created_text": 1}))
        assert store.claim_view(RECORD.secret_id, now=1_700_000_000, tally=tally) == 0
    assert caplog.text.count("Counters not updated") == 2


def expect_counts(stub, **counts) -> None:
    """Expect the two atomic ADDs of ``counts``: to the day's item (2023-11-14) and to the totals."""
    for day in ("2023-11-14", "total"):
        stub.add_response(
            "update_item",
            {},
            {
                "TableName": "Secrets",
                "Key": {"secret_id": {"S": f"#counters#{day}"}},
                "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counts))),
                "ExpressionAttributeNames": {f"#c{i}": name for i, name in enumerate(counts)},
                "ExpressionAttributeValues": {f":c{i}": {"N": str(n)} for i, n in enumerate(counts.values())},
            },
        )


def test_counts_go_to_the_day_and_the_totals_with_atomic_adds(records):
    store, stub = records
    expect_counts(stub, views=2, stored_bytes=-300, burned=0)
    # A zero is written too: a step that changed nothing can then cost what one that did.
    store.add_counts({"views": 2, "stored_bytes": -300, "burned": 0}, now=1_700_000_000)


def test_unknown_counters_are_refused_before_any_change(records):
    store, _ = records  # no responses stubbed: any call would fail the test
    with pytest.raises(ValueError):
        store.add_counts({"secret_id_count": 1}, now=0)


def test_claim_failing_in_transport_is_storage_unavailable():
    store = DynamoRecordStore(table="Secrets", endpoint_url=NOWHERE)
    raise_in(store.client, "UpdateItem", ReadTimeoutError(endpoint_url=NOWHERE))
    with pytest.raises(StorageUnavailable) as caught:
        store.claim_view(RECORD.secret_id, now=time.time())
    assert isinstance(caught.value.__cause__, ReadTimeoutError)


@pytest.mark.parametrize(
    "error",
    [
        EndpointConnectionError(endpoint_url=NOWHERE),
        ConnectTimeoutError(endpoint_url=NOWHERE),
        ReadTimeoutError(endpoint_url=NOWHERE),
    ],
)
def test_transport_failures_become_storage_unavailable(error):
    store = DynamoRecordStore(table="Secrets", endpoint_url=NOWHERE)
    raise_in(store.client, "PutItem", error)
    with pytest.raises(StorageUnavailable) as caught:
        store.put(RECORD)
    assert caught.value.__cause__ is error


def test_unreachable_endpoint_fails_within_seconds(caplog):
    store = DynamoRecordStore(table="Secrets", endpoint_url=NOWHERE)
    started = time.monotonic()
    with pytest.raises(StorageUnavailable), caplog.at_level(logging.WARNING):
        store.get(RECORD.secret_id, now=time.time())
    assert time.monotonic() - started < 8
    # The log names the failure, never the endpoint URL or the id it was reading.
    assert "EndpointConnectionError" in caplog.text
    assert RECORD.secret_id not in caplog.text


def test_expired_or_used_up_items_read_as_absent(records):
    store, stub = records
    item = {
        "secret_id": {"S": RECORD.secret_id},
        "kind": {"S": "text"},
        "version": {"N": "1"},
        "kdf_n": {"N": "1024"},  # no "kdf": an item from before passphrase kinds
        "salt": {"B": b"s"},
        "wrapped_key": {"B": b"k"},
        "payload": {"B": b"p"},
        "views_left": {"N": "1"},
        "expires_at": {"N": "1000"},
        "blob_size": {"N": "0"},
    }
    stub.add_response("get_item", {"Item": item})
    stub.add_response("get_item", {"Item": item})
    stub.add_response("get_item", {"Item": {**item, "views_left": {"N": "0"}}})
    assert store.get(RECORD.secret_id, now=999.9).expires_at == 1000
    assert store.get(RECORD.secret_id, now=1000) is None
    assert store.get(RECORD.secret_id, now=10) is None


def test_clients_are_built_once_and_dropped_by_close():
    store = DynamoRecordStore(table="Secrets", endpoint_url=NOWHERE)
    first = store.client
    assert store.client is first
    store.close()
    assert store.client is not first


def test_options_are_checked():
    with pytest.raises(ValueError, match="DYNAMO_TABLE"):
        DynamoRecordStore(table="")
    with pytest.raises(ValueError, match="S3_BUCKET"):
        S3BlobStore(bucket="")
    with pytest.raises(ValueError, match="S3_SSE"):
        S3BlobStore(bucket="b", sse="none")
    with pytest.raises(TypeError):
        DynamoRecordStore(table="Secrets", colour="blue")


# -- S3 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [("SlowDown", 503, "busy"), ("AccessDenied", 403, "unavailable"), ("InternalError", 500, "unavailable")],
)
def test_s3_errors_become_storage_unavailable(blobs, code, status, message):
    store, stub = blobs
    stub.add_client_error("get_object", service_error_code=code, http_status_code=status)
    with pytest.raises(StorageUnavailable, match=message):
        store.open_read("AAAAAAAAAAAAAAAA")


def test_missing_object_is_blob_not_found(blobs):
    store, stub = blobs
    stub.add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)
    with pytest.raises(BlobNotFound):
        store.open_read("AAAAAAAAAAAAAAAA")


def test_failed_part_aborts_the_upload_and_a_failed_abort_is_not_masking(blobs, caplog):
    store, stub = blobs
    stub.add_response("create_multipart_upload", {"UploadId": "u1"})
    stub.add_client_error("upload_part", service_error_code="InternalError", http_status_code=500)
    stub.add_client_error("abort_multipart_upload", service_error_code="InternalError", http_status_code=500)

    with (
        pytest.raises(StorageUnavailable),
        caplog.at_level(logging.WARNING),
        store.open_write("AAAAAAAAAAAAAAAA") as writer,
    ):
        writer.write(b"x" * store.part_size)
    assert "lifecycle rule will" in caplog.text


def test_failed_complete_aborts_the_upload(blobs):
    store, stub = blobs
    stub.add_response("create_multipart_upload", {"UploadId": "u1"})
    stub.add_response("upload_part", {"ETag": '"1"'})
    stub.add_response("upload_part", {"ETag": '"2"'})
    stub.add_client_error("complete_multipart_upload", service_error_code="InternalError")
    stub.add_response(
        "abort_multipart_upload", {}, {"Bucket": "secrets", "Key": "AAAAAAAAAAAAAAAA", "UploadId": "u1"}
    )
    writer = store.open_write("AAAAAAAAAAAAAAAA")
    writer.write(b"x" * (store.part_size + 1))
    with pytest.raises(StorageUnavailable):
        writer.commit()
    writer.abort()  # the caller's own clean-up is a no-op now


def test_setup_tolerates_only_not_implemented(blobs):
    store, stub = blobs
    stub.add_response("head_bucket", {})
    stub.add_client_error("put_public_access_block", service_error_code="AccessDenied", http_status_code=403)
    with pytest.raises(StorageUnavailable):
        store.setup()


def test_read_errors_while_streaming_become_storage_unavailable():
    class BrokenBody:
        def read(self, n):
            raise ResponseStreamingError(error="connection reset")

        def close(self):
            pass

    stream = io.BufferedReader(_Body(BrokenBody()))
    with pytest.raises(StorageUnavailable):
        stream.read(10)
