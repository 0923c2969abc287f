"""
The aws backend: records in DynamoDB, encrypted file bodies in S3.

Many stateless machines share one table and one bucket, so every rule that
must hold across machines is a conditional write on DynamoDB's side: a new id
is put only if absent, and a view is taken by one conditional decrement that
also checks expiry. DynamoDB's TTL purge and S3's lifecycle rule are lazy
backstops; expiry is enforced here on every read and in every condition.

boto3 is imported only by this module. Clients are built on first use and
reused; any AWS failure becomes ``StorageUnavailable``, never a half-done
result that can be read.
"""

from __future__ import annotations

import contextlib
import io
import logging
import threading
from collections.abc import Callable, Iterator, Mapping

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from sharing.errors import StorageUnavailable
from sharing.stores.base import (
    BlobNotFound,
    BlobStore,
    BlobWriter,
    RecordExists,
    RecordStore,
    SecretRecord,
    Tally,
    Usage,
    build_usage,
    checked_counts,
    utc_day,
)

log = logging.getLogger(__name__)

# Modest timeouts and few retries: a request is waiting on us, so an
# unreachable endpoint must become a 503 within seconds, not minutes.
CLIENT_CONFIG = Config(
    connect_timeout=2,
    read_timeout=10,
    retries={"mode": "standard", "max_attempts": 3},
)

THROTTLED = {
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
    "Throttling",
    "SlowDown",
    "TooManyRequestsException",
}
# S3 wants every part but the last to be at least 5 MiB.
MIN_PART_SIZE = 5 * 1024 * 1024


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def _name(error: Exception) -> str:
    """What to log of an AWS error: its code or class, never its text (it may hold a key)."""
    return (_code(error) if isinstance(error, ClientError) else "") or type(error).__name__


@contextlib.contextmanager
def _aws_errors(action: str):
    """Turn any boto3/botocore failure inside the block into ``StorageUnavailable``."""
    try:
        yield
    except (BotoCoreError, ClientError) as e:
        log.warning("AWS storage failed to %s: %s", action, _name(e))
        if isinstance(e, ClientError) and _code(e) in THROTTLED:
            raise StorageUnavailable("Storage is busy right now; please try again shortly.") from e
        raise StorageUnavailable() from e


_loader = None  # botocore's parsed service models, shared by every client
_build_lock = threading.Lock()


def _new_client(service: str, **kwargs):
    """
    A client with a session of its own, so credentials and endpoints are read
    from the environment as it is now; the service models, slow to load, are
    parsed once per process. Called under ``_build_lock``: sessions are not
    thread-safe, clients are.
    """
    global _loader
    session = botocore.session.get_session()
    if _loader is None:
        _loader = session.get_component("data_loader")
    else:
        session.register_component("data_loader", _loader)
    return boto3.session.Session(botocore_session=session).client(service, **kwargs)


class _Clients:
    """One lazily built, reused boto3 client per store."""

    def __init__(self, service: str, region: str, endpoint_url: str | None):
        # Without endpoint_url, boto3 reads AWS_ENDPOINT_URL_DYNAMODB / _S3 itself.
        self._args = {"region_name": region, "endpoint_url": endpoint_url, "config": CLIENT_CONFIG}
        self._service = service
        self._client = None

    def get(self):
        client = self._client
        if client is None:
            with _build_lock:
                if self._client is None:
                    with _aws_errors("create a client"):
                        self._client = _new_client(self._service, **self._args)
                client = self._client
        return client

    def close(self) -> None:
        with _build_lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()


# -- records ---------------------------------------------------------------


def _to_item(record: SecretRecord) -> dict:
    return {
        "secret_id": {"S": record.secret_id},
        "kind": {"S": record.kind},
        "version": {"N": str(record.version)},
        "kdf_n": {"N": str(record.kdf_n)},
        "salt": {"B": record.salt},
        "wrapped_key": {"B": record.wrapped_key},
        "payload": {"B": record.payload},
        "views_left": {"N": str(record.views_left)},
        "expires_at": {"N": str(record.expires_at)},
        "blob_size": {"N": str(record.blob_size)},
        "failed_attempts": {"N": str(record.failed_attempts)},
    }


def _from_item(item: dict) -> SecretRecord:
    return SecretRecord(
        secret_id=item["secret_id"]["S"],
        kind=item["kind"]["S"],
        version=int(item["version"]["N"]),
        kdf_n=int(item["kdf_n"]["N"]),
        salt=bytes(item["salt"]["B"]),
        wrapped_key=bytes(item["wrapped_key"]["B"]),
        payload=bytes(item["payload"]["B"]),
        views_left=int(item["views_left"]["N"]),
        expires_at=int(item["expires_at"]["N"]),
        blob_size=int(item.get("blob_size", {"N": "0"})["N"]),
        failed_attempts=int(item.get("failed_attempts", {"N": "0"})["N"]),
    )


def _epoch(now: float) -> dict:
    return {"N": str(int(now))}


COUNTER_KEY = "#counters#"  # secret ids are letters and digits, never "#"
TOTAL = "total"


def _counter_key(day: str) -> dict:
    return {"secret_id": {"S": COUNTER_KEY + day}}


class DynamoRecordStore(RecordStore):
    """
    One item per secret, keyed by ``secret_id``; ``expires_at`` (epoch seconds)
    is the table's TTL attribute. A record is alive while ``views_left >= 1``
    and ``expires_at > now``; everything else reads as absent.

    The operators' counters live in the same table, one item per UTC day and
    one for the totals, each counter a number attribute moved by DynamoDB's
    atomic ``ADD``. They are added after the state change they count, not in a
    transaction with it: every change touches the same few counter items, and
    transactions on hot items cancel each other under load.
    """

    def __init__(self, *, table: str = "Secrets", region: str = "us-east-1", endpoint_url: str | None = None):
        super().__init__()
        if not table:
            raise ValueError("the DynamoDB table name is empty; set DYNAMO_TABLE")
        self.table = table
        self._clients = _Clients("dynamodb", region, endpoint_url)

    @property
    def client(self):
        return self._clients.get()

    def setup(self) -> None:
        with _aws_errors("set up the table"):
            try:
                self.client.describe_table(TableName=self.table)
            except ClientError as e:
                if _code(e) != "ResourceNotFoundException":
                    raise
                self._create_table()
            self.client.get_waiter("table_exists").wait(
                TableName=self.table, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
            )
            ttl = self.client.describe_time_to_live(TableName=self.table)["TimeToLiveDescription"]
            if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                self.client.update_time_to_live(
                    TableName=self.table,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
                )
            elif ttl.get("AttributeName") != "expires_at":
                log.warning(
                    "Table %s already has TTL on %r, not expires_at", self.table, ttl["AttributeName"]
                )

    def _create_table(self) -> None:
        log.info("Creating DynamoDB table %s", self.table)
        try:
            self.client.create_table(
                TableName=self.table,
                KeySchema=[{"AttributeName": "secret_id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "secret_id", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        except ClientError as e:
            # Another machine ran setup at the same moment; the waiter covers it.
            if _code(e) != "ResourceInUseException":
                raise

    def check(self) -> None:
        with _aws_errors("check the table"):
            self.client.get_item(TableName=self.table, Key=_counter_key(TOTAL))

    def put(self, record: SecretRecord, *, tally: Tally | None = None) -> None:
        changes = checked_counts(tally.changes) if tally else {}
        with _aws_errors("store a record"):
            try:
                self.client.put_item(
                    TableName=self.table,
                    Item=_to_item(record),
                    ConditionExpression="attribute_not_exists(secret_id)",
                )
            except ClientError as e:
                if _code(e) == "ConditionalCheckFailedException":
                    raise RecordExists(record.secret_id) from None
                raise
        self._count_after_change(changes, tally)

    def get(self, secret_id: str, *, now: float) -> SecretRecord | None:
        with _aws_errors("read a record"):
            item = self.client.get_item(
                TableName=self.table, Key={"secret_id": {"S": secret_id}}, ConsistentRead=True
            ).get("Item")
        if item is None or "views_left" not in item:
            return None
        record = _from_item(item)
        if record.expires_at <= int(now) or record.views_left < 1:
            return None
        return record

    def _update_live(
        self, key: dict, expression: str, attribute: str, *, now: float, what: str
    ) -> int | None:
        """
        Apply ``expression`` to a live item (a view left, not expired at ``now``)
        in one conditional write; return ``attribute``'s new value, or ``None``
        when there was no live item.
        """
        with _aws_errors(what):
            try:
                attributes = self.client.update_item(
                    TableName=self.table,
                    Key=key,
                    UpdateExpression=expression,
                    ConditionExpression="views_left >= :one AND expires_at > :now",
                    ExpressionAttributeValues={":one": {"N": "1"}, ":now": _epoch(now)},
                    ReturnValues="UPDATED_NEW",
                )["Attributes"]
            except ClientError as e:
                if _code(e) == "ConditionalCheckFailedException":
                    return None
                raise
        return int(attributes[attribute]["N"])

    @staticmethod
    def _counts(tally: Tally | None) -> tuple[dict[str, int], dict[str, int]]:
        """The counts to add after a step, and after one that removed the item; checked before the step."""
        if tally is None:
            return {}, {}
        changes = checked_counts(tally.changes)
        return changes, _summed(changes, checked_counts(tally.if_last))

    def claim_view(self, secret_id: str, *, now: float, tally: Tally | None = None) -> int | None:
        changes, changes_if_last = self._counts(tally)
        key = {"secret_id": {"S": secret_id}}
        left = self._update_live(
            key, "SET views_left = views_left - :one", "views_left", now=now, what="claim a view"
        )
        if left is None:
            return None
        if left == 0:
            self._delete_used_up(key)
        self._count_after_change(changes_if_last if left == 0 else changes, tally)
        return left

    def add_failure(self, secret_id: str, *, now: float, limit: int, tally: Tally | None = None) -> bool:
        changes, changes_if_last = self._counts(tally)
        key = {"secret_id": {"S": secret_id}}
        failed = self._update_live(
            key, "ADD failed_attempts :one", "failed_attempts", now=now, what="count a failed attempt"
        )
        if failed is None:
            return False
        # Exactly one caller sees the count reach the limit; any later one sees it above.
        destroyed = failed == limit
        if destroyed:
            # Taking the views first makes the item read as absent at once,
            # whether or not the delete that follows gets through.
            with _aws_errors("destroy a record"):
                try:
                    self.client.update_item(
                        TableName=self.table,
                        Key=key,
                        UpdateExpression="SET views_left = :zero",
                        ExpressionAttributeValues={":zero": {"N": "0"}},
                        ConditionExpression="attribute_exists(secret_id)",
                    )
                except ClientError as e:
                    if _code(e) != "ConditionalCheckFailedException":  # already gone is as good
                        raise
            self._delete_used_up(key)
        self._count_after_change(changes_if_last if destroyed else changes, tally)
        return destroyed

    def _delete_used_up(self, key: dict) -> None:
        # The view is already ours and a record at 0 views reads as absent, so a
        # failure here must not cost the caller the secret: the leftover item is
        # harmless and goes with the TTL purge or the sweep.
        try:
            self.client.delete_item(
                TableName=self.table,
                Key=key,
                ConditionExpression="views_left = :zero",
                ExpressionAttributeValues={":zero": {"N": "0"}},
            )
        except (BotoCoreError, ClientError) as e:
            log.warning("Could not delete a used-up record (left for the sweep): %s", _name(e))

    def delete(self, secret_id: str, *, tally: Tally | None = None) -> bool:
        changes = checked_counts(tally.changes) if tally else {}
        with _aws_errors("delete a record"):
            old = self.client.delete_item(
                TableName=self.table, Key={"secret_id": {"S": secret_id}}, ReturnValues="ALL_OLD"
            ).get("Attributes")
        if old is None:
            return False
        self._count_after_change(changes, tally)
        return True

    def sweep_expired(
        self, *, now: float, tally: Callable[[SecretRecord], Mapping[str, int]] | None = None
    ) -> list[SecretRecord]:
        deleted = []
        try:
            with _aws_errors("sweep expired records"):
                pages = self.client.get_paginator("scan").paginate(
                    TableName=self.table,
                    ConsistentRead=True,
                    FilterExpression="expires_at <= :now",
                    ExpressionAttributeValues={":now": _epoch(now)},
                )
                for page in pages:
                    for item in page.get("Items", []):
                        record = self._delete_expired(item["secret_id"], now)
                        if record is not None:
                            deleted.append(record)
        finally:
            # Whatever was deleted is counted, even if the sweep stopped part-way.
            if tally and deleted:
                changes = {}
                for record in deleted:
                    changes = _summed(changes, checked_counts(tally(record)))
                self._count_after_change(changes, Tally(now, changes))
        return deleted

    def _delete_expired(self, key: dict, now: float) -> SecretRecord | None:
        try:
            old = self.client.delete_item(
                TableName=self.table,
                Key={"secret_id": key},
                ConditionExpression="expires_at <= :now",
                ExpressionAttributeValues={":now": _epoch(now)},
                ReturnValues="ALL_OLD",
            )["Attributes"]
        except ClientError as e:
            # Gone meanwhile (TTL purge, a burn, another sweep): not ours to report.
            if _code(e) == "ConditionalCheckFailedException":
                return None
            raise
        return _from_item(old)

    # -- counters ---------------------------------------------------------------

    def add_counts(self, changes: Mapping[str, int], *, now: float) -> None:
        changes = checked_counts(changes)
        if not changes:
            return
        names = {f"#c{i}": name for i, name in enumerate(changes)}
        values = {f":c{i}": {"N": str(n)} for i, n in enumerate(changes.values())}
        expression = "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(changes)))
        with _aws_errors("add to the counters"):
            for day in (utc_day(now).isoformat(), TOTAL):
                self.client.update_item(
                    TableName=self.table,
                    Key=_counter_key(day),
                    UpdateExpression=expression,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                )

    def _count_after_change(self, changes: Mapping[str, int], tally: Tally | None) -> None:
        # The state change has happened and its result must reach the caller;
        # a count that cannot be added now is lost, never made up later.
        if not changes or tally is None:
            return
        try:
            self.add_counts(changes, now=tally.now)
        except StorageUnavailable:
            log.warning("Counters not updated after a change that succeeded")

    def read_counts(self, *, now: float, days: int = 30) -> Usage:
        span = [day for day, _ in build_usage({}, {}, now=now, days=days).days]
        wanted = [TOTAL, *(day.isoformat() for day in span)]
        found: dict[str, dict[str, int]] = {}
        with _aws_errors("read the counters"):
            for start in range(0, len(wanted), 100):  # BatchGetItem's limit
                keys = [_counter_key(day) for day in wanted[start : start + 100]]
                request = {self.table: {"Keys": keys, "ConsistentRead": True}}
                while request:
                    answer = self.client.batch_get_item(RequestItems=request)
                    for item in answer["Responses"].get(self.table, []):
                        day = item.pop("secret_id")["S"][len(COUNTER_KEY) :]
                        found[day] = {name: int(value["N"]) for name, value in item.items()}
                    request = answer.get("UnprocessedKeys") or None
        by_day = {day: found[day.isoformat()] for day in span if day.isoformat() in found}
        return build_usage(found.get(TOTAL, {}), by_day, now=now, days=days)

    def close(self) -> None:
        self._clients.close()


def _summed(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    return {name: a.get(name, 0) + b.get(name, 0) for name in {*a, *b}}


# -- blobs -----------------------------------------------------------------


class _Body(io.RawIOBase):
    """A streaming S3 body whose read errors are storage errors too."""

    def __init__(self, body):
        super().__init__()
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        with _aws_errors("read a blob"):
            data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3BlobWriter(BlobWriter):
    """
    Buffers at most one part in memory. A blob smaller than a part is one
    PutObject at commit; a larger one becomes a multipart upload, which S3 keeps
    invisible until it is completed.
    """

    def __init__(self, store: S3BlobStore, key: str):
        self._store = store
        self._key = key
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict] = []
        self._size = 0
        self._done = False

    def write(self, data: bytes) -> None:
        if self._done:
            raise ValueError("write to a finished blob")
        self._buffer += data
        self._size += len(data)
        part_size = self._store.part_size
        while len(self._buffer) >= part_size:
            self._send_part(bytes(self._buffer[:part_size]))
            del self._buffer[:part_size]

    def _send_part(self, data: bytes) -> None:
        store = self._store
        with self._aborting_on_error("upload a blob part"):
            if self._upload_id is None:
                self._upload_id = store.client.create_multipart_upload(
                    Bucket=store.bucket, Key=self._key, **store.sse_args
                )["UploadId"]
            number = len(self._parts) + 1
            etag = store.client.upload_part(
                Bucket=store.bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number, Body=data
            )["ETag"]
            self._parts.append({"PartNumber": number, "ETag": etag})

    def commit(self) -> int:
        if self._done:
            raise ValueError("commit of a finished blob")
        store = self._store
        with self._aborting_on_error("store a blob"):
            if self._upload_id is None:
                store.client.put_object(
                    Bucket=store.bucket, Key=self._key, Body=bytes(self._buffer), **store.sse_args
                )
            else:
                if self._buffer:
                    self._send_part(bytes(self._buffer))
                store.client.complete_multipart_upload(
                    Bucket=store.bucket,
                    Key=self._key,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": self._parts},
                )
        self._buffer = bytearray()
        self._done = True
        return self._size

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        self._buffer = bytearray()
        if self._upload_id is None:
            return  # nothing was sent
        upload_id, self._upload_id = self._upload_id, None
        try:
            self._store.client.abort_multipart_upload(
                Bucket=self._store.bucket, Key=self._key, UploadId=upload_id
            )
        except (BotoCoreError, ClientError) as e:
            # Abort runs while another error is on its way out; don't mask it.
            # The bucket's lifecycle rule drops incomplete uploads after a day.
            log.warning("Could not abort a multipart upload (lifecycle rule will): %s", _name(e))

    @contextlib.contextmanager
    def _aborting_on_error(self, action: str):
        try:
            with _aws_errors(action):
                yield
        except StorageUnavailable:
            self.abort()
            raise


class S3BlobStore(BlobStore):
    """
    One private, server-side encrypted object per blob, under ``prefix`` in
    ``bucket``. The lifecycle rule set up here expires objects after
    ``expire_days`` and drops abandoned multipart uploads after a day.
    """

    def __init__(
        self,
        *,
        bucket: str,
        region: str = "us-east-1",
        sse: str = "AES256",
        expire_days: int = 6,
        prefix: str = "",
        part_size: int = 8 * 1024 * 1024,
        endpoint_url: str | None = None,
    ):
        super().__init__()
        if not bucket:
            raise ValueError("the S3 bucket name is empty; set S3_BUCKET")
        if sse not in ("AES256", "aws:kms"):
            raise ValueError(f"S3_SSE is {sse!r}; use AES256 or aws:kms")
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (an S3 limit)")
        self.bucket = bucket
        self.region = region
        self.sse_args = {"ServerSideEncryption": sse}
        self.expire_days = expire_days
        self.prefix = prefix
        self.part_size = part_size
        self._clients = _Clients("s3", region, endpoint_url)

    @property
    def client(self):
        return self._clients.get()

    def _key(self, blob_id: str) -> str:
        return self.prefix + blob_id

    def setup(self) -> None:
        with _aws_errors("set up the bucket"):
            try:
                self.client.head_bucket(Bucket=self.bucket)
            except ClientError as e:
                if _code(e) not in ("404", "NoSuchBucket"):
                    raise
                self._create_bucket()
            self._optional(
                "block public access",
                self.client.put_public_access_block,
                Bucket=self.bucket,
                PublicAccessBlockConfiguration={
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True,
                },
            )
            self._optional(
                "set the lifecycle rule",
                self.client.put_bucket_lifecycle_configuration,
                Bucket=self.bucket,
                LifecycleConfiguration={
                    "Rules": [
                        {
                            "ID": "expire-secrets",
                            "Status": "Enabled",
                            "Filter": {"Prefix": self.prefix},
                            "Expiration": {"Days": self.expire_days},
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                        }
                    ]
                },
            )

    def _create_bucket(self) -> None:
        log.info("Creating S3 bucket %s", self.bucket)
        args = {"Bucket": self.bucket}
        if self.region != "us-east-1":  # the one region that rejects its own name here
            args["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            self.client.create_bucket(**args)
        except ClientError as e:
            if _code(e) != "BucketAlreadyOwnedByYou":
                raise

    def _optional(self, what: str, call, **kwargs) -> None:
        # Local S3 servers implement only part of the bucket API. These settings
        # are a backstop (expiry is enforced by the record store), so a server
        # that does not implement one gets a warning, not a failed setup.
        try:
            call(**kwargs)
        except ClientError as e:
            if _code(e) != "NotImplemented":
                raise
            log.warning("The S3 endpoint does not implement the call to %s; skipped", what)

    def check(self) -> None:
        with _aws_errors("check the bucket"):
            self.client.head_bucket(Bucket=self.bucket)

    def open_write(self, blob_id: str) -> S3BlobWriter:
        return S3BlobWriter(self, self._key(blob_id))

    def open_read(self, blob_id: str) -> io.BufferedReader:
        with _aws_errors("open a blob"):
            try:
                body = self.client.get_object(Bucket=self.bucket, Key=self._key(blob_id))["Body"]
            except ClientError as e:
                if _code(e) in ("NoSuchKey", "404"):
                    raise BlobNotFound(blob_id) from None
                raise
        return io.BufferedReader(_Body(body), buffer_size=64 * 1024)

    def delete(self, blob_id: str) -> None:
        with _aws_errors("delete a blob"):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(blob_id))

    def list_ids(self, *, older_than: float) -> Iterator[str]:
        with _aws_errors("list blobs"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix
            )
            for page in pages:
                for obj in page.get("Contents", []):
                    if obj["LastModified"].timestamp() < older_than:
                        yield obj["Key"][len(self.prefix) :]

    def close(self) -> None:
        self._clients.close()
