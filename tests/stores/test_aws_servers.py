"""
The aws backend against DynamoDB Local and SeaweedFS: what the shared
contract suite cannot see from outside (expired items still stored, the table
and bucket set-up, multipart uploads, a failed create leaving an orphan blob).
"""

import hashlib
import logging
import secrets
import threading
import time
import tracemalloc
from unittest import mock

import pytest
from botocore.exceptions import EndpointConnectionError

from harness.processes import listening_addresses
from sharing.domain.lifecycle import Lifecycle, Policy
from sharing.errors import StorageUnavailable
from sharing.stores.aws import S3BlobStore
from sharing.stores.base import BlobNotFound, RecordExists, SecretRecord
from tests.support.aws_fixtures import make_stores
from tests.support.records import claim, record

pytest_plugins = ["tests.support.aws_fixtures"]
pytestmark = pytest.mark.slow

MiB = 1024 * 1024


def make_record(**fields) -> SecretRecord:
    """A record live for an hour from now: these servers keep real time."""
    return record(**{"expires_at": int(time.time()) + 3600, **fields})


def raw_item(store, secret_id: str) -> dict | None:
    return store.client.get_item(
        TableName=store.table, Key={"secret_id": {"S": secret_id}}, ConsistentRead=True
    ).get("Item")


def is_tombstone(item: dict | None, ended: str) -> bool:
    """An ended secret's item: its ending kept for the receipt, no key material left."""
    return (
        item is not None
        and item.get("ended") == {"S": ended}
        and item["views_left"] == {"N": "0"}
        and not {"salt", "wrapped_key", "payload"} & set(item)
    )


def test_servers_listen_on_loopback_only(aws_servers, aws_env):
    for server in aws_servers.servers:
        addresses = listening_addresses(server.process.pid)
        assert addresses, f"{server.name} listens nowhere"
        assert addresses <= {"127.0.0.1", "[::ffff:127.0.0.1]"}, (server.name, addresses)


# -- DynamoDB ---------------------------------------------------------------


def test_record_round_trip_uses_binary_attributes(aws_record_store):
    record = make_record(kind="file", blob_size=123, payload=b"")
    aws_record_store.put(record)

    assert aws_record_store.get(record.secret_id, now=time.time()) == record
    item = raw_item(aws_record_store, record.secret_id)
    assert {name for name, value in item.items() if "B" in value} == {"salt", "wrapped_key", "payload"}


def test_put_refuses_a_taken_id_even_when_expired(aws_record_store):
    record = make_record(expires_at=int(time.time()) - 10)
    aws_record_store.put(record)
    with pytest.raises(RecordExists):
        aws_record_store.put(make_record(secret_id=record.secret_id))
    assert raw_item(aws_record_store, record.secret_id)["expires_at"] == {"N": str(record.expires_at)}


def test_expired_item_still_in_the_table_is_never_returned_or_claimed(aws_record_store):
    expires_at = int(time.time()) + 100
    record = make_record(views=3, expires_at=expires_at)
    aws_record_store.put(record)
    assert aws_record_store.get(record.secret_id, now=expires_at - 0.5) == record

    # DynamoDB's TTL purge is lazy: the item is still there after expiry.
    for now in (expires_at, expires_at + 0.5, expires_at + 86400):
        assert aws_record_store.get(record.secret_id, now=now) is None
        assert aws_record_store.reserve_attempt(record.secret_id, now=now, limit=10) is None
        assert claim(aws_record_store, record.secret_id, now=now) is None
    assert raw_item(aws_record_store, record.secret_id)["views_left"] == {"N": "3"}


def test_claims_count_down_and_the_last_one_deletes_the_item(aws_record_store):
    record = make_record(views=2)
    aws_record_store.put(record)
    now = time.time()

    assert claim(aws_record_store, record.secret_id, now=now) == 1
    assert aws_record_store.get(record.secret_id, now=now).views_left == 1
    assert claim(aws_record_store, record.secret_id, now=now) == 0
    assert is_tombstone(raw_item(aws_record_store, record.secret_id), "used_up")
    assert claim(aws_record_store, record.secret_id, now=now) is None


def test_concurrent_claims_succeed_exactly_views_left_times(aws_record_store, aws_env):
    record = make_record(views=3)
    aws_record_store.put(record)
    start = threading.Barrier(8)
    results = []

    def reveal():
        store, _ = make_stores(aws_env)  # a client of its own, like another machine
        start.wait()
        results.append(claim(store, record.secret_id, now=time.time()))
        store.close()

    threads = [threading.Thread(target=reveal) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(r for r in results if r is not None) == [0, 1, 2]
    assert results.count(None) == 5
    item = raw_item(aws_record_store, record.secret_id)
    assert is_tombstone(item, "used_up") and item["views_taken"] == {"N": "3"}


def test_used_up_item_left_behind_reads_as_absent(aws_record_store, caplog):
    record = make_record(views=1)
    aws_record_store.put(record)
    client = aws_record_store.client
    real_update = client.update_item

    def tombstone_fails(**request):
        if request.get("UpdateExpression", "").startswith("SET ended"):
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
        return real_update(**request)

    failing_delete = mock.patch.object(client, "update_item", side_effect=tombstone_fails)

    burner = aws_record_store.reserve_attempt(record.secret_id, now=time.time(), limit=10)
    with failing_delete, caplog.at_level(logging.WARNING, logger="sharing.stores.aws"):
        # The view was taken, so the caller gets it even though the tombstone failed.
        assert claim(aws_record_store, record.secret_id, now=time.time()) == 0
    assert "used-up record" in caplog.text
    assert raw_item(aws_record_store, record.secret_id)["views_left"] == {"N": "0"}
    assert aws_record_store.get(record.secret_id, now=time.time()) is None
    assert claim(aws_record_store, record.secret_id, now=time.time()) is None
    # A burn that reserved before the last view was claimed finds nothing live:
    # it neither deletes the leftover nor claims to have burned anything.
    assert burner is not None
    assert aws_record_store.delete(record.secret_id, now=time.time()) is False
    assert raw_item(aws_record_store, record.secret_id)["views_left"] == {"N": "0"}


def test_sweep_expired_deletes_only_expired_items(aws_record_store):
    now = int(time.time())
    expired = make_record(expires_at=now - 5)
    alive = make_record(expires_at=now + 3600)
    aws_record_store.put(expired)
    aws_record_store.put(alive)

    swept = aws_record_store.sweep_expired(now=now)

    assert expired in swept
    assert alive not in swept
    assert raw_item(aws_record_store, expired.secret_id) is None
    assert aws_record_store.get(alive.secret_id, now=now) == alive


def test_table_setup_is_idempotent_with_ttl_on_expires_at(aws_record_store):
    aws_record_store.setup()
    aws_record_store.setup()

    client = aws_record_store.client
    table = client.describe_table(TableName=aws_record_store.table)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "secret_id", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = client.describe_time_to_live(TableName=aws_record_store.table)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


# -- S3 ---------------------------------------------------------------------


def write_blob(store, blob_id: str, data: bytes, piece: int = 1024 * 1024) -> int:
    with store.open_write(blob_id) as writer:
        for start in range(0, len(data), piece):
            writer.write(data[start : start + piece])
            assert writer._filled < store.part_size  # at most one part held in memory
        return writer.commit()


def read_blob(store, blob_id: str) -> bytes:
    with store.open_read(blob_id) as body:
        return body.read()


def test_large_blob_goes_up_in_parts_private_and_encrypted(aws_blob_store):
    data = secrets.token_bytes(17 * MiB + 5)
    uploads = []
    create = aws_blob_store.client.create_multipart_upload
    with mock.patch.object(
        aws_blob_store.client,
        "create_multipart_upload",
        side_effect=lambda **kw: uploads.append(kw) or create(**kw),
    ):
        assert write_blob(aws_blob_store, "big", data) == len(data)

    assert [u["ServerSideEncryption"] for u in uploads] == ["AES256"]
    head = aws_blob_store.client.head_object(Bucket=aws_blob_store.bucket, Key=aws_blob_store.prefix + "big")
    assert head["ContentLength"] == len(data)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ETag"].endswith('-4"')  # 5 MiB three times, then the rest
    with aws_blob_store.open_read("big") as body:
        digest = hashlib.sha256()
        while chunk := body.read(1_000_000):
            digest.update(chunk)
    assert digest.digest() == hashlib.sha256(data).digest()


def test_parts_go_up_from_one_buffer_never_copied(aws_blob_store):
    # The writer's one buffer is what every part is read from: botocore
    # checksums, signs and sends it a piece at a time. The buffer is a memory
    # map, which tracemalloc does not count; it sees every other Python
    # buffer, so a copy of a part (a slice, bytes(), a BytesIO) would show.
    part = aws_blob_store.part_size
    assert part == 5 * MiB  # S3's smallest, as each upload holds one in memory
    data = memoryview(secrets.token_bytes(2 * part + 3))
    bodies, sizes = [], []
    upload_part = aws_blob_store.client.upload_part

    def sent(**kwargs):
        body = kwargs["Body"]._view  # what botocore reads the part from
        bodies.append(body.obj)
        sizes.append(len(body))
        assert data[len(bodies) * part - part :][:part] == body  # compared in place
        return upload_part(**kwargs)

    with mock.patch.object(aws_blob_store.client, "upload_part", side_effect=sent):
        tracemalloc.start()
        try:
            assert write_blob(aws_blob_store, "one-buffer", data) == len(data)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    assert sizes == [part, part, 3]
    assert peak < 2 * MiB, f"{peak / MiB:.1f} MiB held at once besides the part"
    assert all(body is bodies[0] for body in bodies)  # one buffer, written over in place
    assert bodies[0].closed  # and given back to the system when the upload ended
    assert read_blob(aws_blob_store, "one-buffer") == data


def test_a_large_transfer_gives_its_freed_memory_back_when_it_ends(aws_blob_store):
    with mock.patch("sharing.stores.aws.s3.release_freed_memory") as release:
        write_blob(aws_blob_store, "tiny", b"x" * 1000)
        assert release.call_count == 0  # a small blob's buffers are reused as they are
        write_blob(aws_blob_store, "large", secrets.token_bytes(6 * MiB))
        assert release.call_count == 1
        with aws_blob_store.open_read("large") as body:
            while body.read(MiB):
                assert release.call_count == 1
        assert release.call_count == 2
        read_blob(aws_blob_store, "tiny")
        assert release.call_count == 2


def test_small_blob_is_one_encrypted_put(aws_blob_store):
    assert write_blob(aws_blob_store, "small", b"sealed bytes") == 12
    head = aws_blob_store.client.head_object(
        Bucket=aws_blob_store.bucket, Key=aws_blob_store.prefix + "small"
    )
    assert head["ServerSideEncryption"] == "AES256"
    assert read_blob(aws_blob_store, "small") == b"sealed bytes"


def test_blob_left_by_an_exception_is_aborted_and_unreadable(aws_blob_store):
    with pytest.raises(RuntimeError), aws_blob_store.open_write("broken") as writer:
        writer.write(secrets.token_bytes(9 * MiB))  # one part already uploaded
        upload_id = writer._upload_id
        assert upload_id
        raise RuntimeError("client went away")

    assert writer._part.closed  # the part's memory is given back at once
    with pytest.raises(BlobNotFound):
        aws_blob_store.open_read("broken")
    pending = aws_blob_store.client.list_multipart_uploads(Bucket=aws_blob_store.bucket).get("Uploads", [])
    assert upload_id not in [u["UploadId"] for u in pending]
    assert list(aws_blob_store.list_ids(older_than=time.time() + 60)) == []


def test_list_ids_filters_on_last_modified_and_pages(aws_blob_store):
    ids = {f"blob{i:02d}" for i in range(7)}
    for blob_id in ids:
        write_blob(aws_blob_store, blob_id, b"x")
    client = aws_blob_store.client
    paginate = client.get_paginator("list_objects_v2").paginate

    class SmallPages:
        def paginate(self, **kw):
            return paginate(**kw, PaginationConfig={"PageSize": 2})

    with mock.patch.object(client, "get_paginator", return_value=SmallPages()):
        assert set(aws_blob_store.list_ids(older_than=time.time() + 60)) == ids
    assert set(aws_blob_store.list_ids(older_than=time.time() - 60)) == set()


def test_delete_and_missing_blob(aws_blob_store):
    write_blob(aws_blob_store, "gone", b"x")
    aws_blob_store.delete("gone")
    aws_blob_store.delete("gone")  # a missing blob is not an error
    with pytest.raises(BlobNotFound):
        aws_blob_store.open_read("gone")


def test_bucket_setup_sets_the_lifecycle_rule_and_tolerates_what_is_not_implemented(aws_env, caplog):
    store = S3BlobStore(
        bucket="setup-check",
        region=aws_env["AWS_REGION"],
        endpoint_url=aws_env["AWS_ENDPOINT_URL_S3"],
        expire_days=6,
    )
    with caplog.at_level(logging.WARNING, logger="sharing.stores.aws"):
        store.setup()
        store.setup()

    rules = store.client.get_bucket_lifecycle_configuration(Bucket="setup-check")["Rules"]
    assert len(rules) == 1
    assert rules[0]["Status"] == "Enabled"
    assert rules[0]["Expiration"] == {"Days": 6}
    assert rules[0]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    # SeaweedFS has no public access block; real S3 does and gets it.
    assert "does not implement the call to block public access" in caplog.text
    store.close()


# -- both -------------------------------------------------------------------


def test_failed_create_leaves_no_readable_record_and_sweep_removes_the_orphan(
    aws_record_store, aws_blob_store
):
    clock = [time.time()]
    life = Lifecycle(
        records=aws_record_store, blobs=aws_blob_store, policy=Policy(kdf_n=1024), clock=lambda: clock[0]
    )
    upload = life.begin_file()
    upload.write(secrets.token_bytes(100_000))
    upload.finish(name="report.pdf", content_type="application/pdf")
    secret_id = upload.secret_id
    unreachable = EndpointConnectionError(endpoint_url="http://127.0.0.1:1")

    with (
        mock.patch.object(aws_record_store.client, "put_item", side_effect=unreachable),
        pytest.raises(StorageUnavailable),
    ):
        life.create_file(upload=upload, view_count=1, passphrase="correct horse battery")

    assert aws_record_store.get(secret_id, now=clock[0]) is None
    assert raw_item(aws_record_store, secret_id) is None
    assert secret_id in set(aws_blob_store.list_ids(older_than=clock[0] + 60))

    clock[0] += 120  # past the sweep's grace for uploads in progress
    _, orphans = life.sweep(grace_seconds=60)
    assert orphans == 1
    with pytest.raises(BlobNotFound):
        aws_blob_store.open_read(secret_id)


def test_file_secret_round_trip_deletes_blob_after_last_view(aws_record_store, aws_blob_store):
    life = Lifecycle(records=aws_record_store, blobs=aws_blob_store, policy=Policy(kdf_n=1024))
    content = secrets.token_bytes(300_000)
    upload = life.begin_file()
    upload.write(content)
    upload.finish(name="a.bin", content_type="application/octet-stream")
    created = life.create_file(upload=upload, view_count=1)

    revealed = life.reveal(secret_id=created.secret_id, passphrase=created.passphrase)
    assert b"".join(revealed.content) == content
    revealed.content.close()

    assert is_tombstone(raw_item(aws_record_store, created.secret_id), "used_up")
    with pytest.raises(BlobNotFound):
        aws_blob_store.open_read(created.secret_id)
