"""
Encrypted file bodies in S3: one private, server-side encrypted object per
blob, streamed in parts and out in chunks, so no machine holds a whole file.
The bucket's lifecycle rule is a lazy backstop for expiry.
"""

from __future__ import annotations

import contextlib
import io
import logging
import mmap
from collections.abc import Iterator

from botocore.exceptions import BotoCoreError, ClientError

from sharing.errors import StorageUnavailable
from sharing.memory import LARGE_TRANSFER, release_freed_memory
from sharing.stores.aws.common import Clients, aws_errors, error_code, error_name
from sharing.stores.base import BlobExists, BlobNotFound, BlobStore, BlobWriter

log = logging.getLogger(__name__)

# S3 wants every part but the last to be at least 5 MiB, and at most 10,000
# parts: 5 MiB parts carry up to 48.8 GiB. The default, as each upload holds
# one part in memory.
MIN_PART_SIZE = 5 * 1024 * 1024


class _Body(io.RawIOBase):
    """
    A streaming S3 body whose read errors are storage errors too. Closing it
    after a large download gives the memory the transfer freed back
    (sharing.memory).
    """

    def __init__(self, body):
        super().__init__()
        self._body = body
        self._read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        with aws_errors("read a blob"):
            data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        self._read += len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
            if self._read >= LARGE_TRANSFER:
                release_freed_memory()
        super().close()


# What S3 answers a conditional write that lost: the object exists (412), or
# another conditional write to the key is under way (409).
_EXISTS = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})


@contextlib.contextmanager
def _refused_if_exists(key: str):
    try:
        yield
    except ClientError as e:
        if error_code(e) in _EXISTS:
            raise BlobExists(key) from None
        raise


class _PartBody(io.RawIOBase):
    """
    A part as a request body, read from the writer's buffer in place.

    botocore reads a file-like body in pieces (its checksum, its signature,
    the socket) and seeks back between them and for a retry. A bytes-like body
    would be copied whole over HTTPS, where botocore wraps it in a BytesIO to
    append the checksum as a trailer. A read returns at most ``PIECE`` bytes
    (a short read, as a socket's): botocore asks for 1 MiB and holds two.
    """

    PIECE = 256 * 1024

    def __init__(self, view: memoryview):
        super().__init__()
        self._view = view
        self._at = 0

    def __len__(self) -> int:
        return len(self._view)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else self._at + min(size, self.PIECE)
        piece = bytes(self._view[self._at : end])  # one copy of one piece, not two (RawIOBase.read)
        self._at += len(piece)
        return piece

    def readinto(self, buffer) -> int:
        piece = self._view[self._at : self._at + min(len(buffer), self.PIECE)]
        buffer[: len(piece)] = piece
        self._at += len(piece)
        return len(piece)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        start = {io.SEEK_SET: 0, io.SEEK_CUR: self._at, io.SEEK_END: len(self._view)}[whence]
        self._at = min(max(0, start + offset), len(self._view))
        return self._at

    def tell(self) -> int:
        return self._at

    def close(self) -> None:
        # botocore may keep the request (and this body) past the call; the
        # writer's buffer can be unmapped only once no view of it is left.
        self._view.release()
        super().close()


class S3BlobWriter(BlobWriter):
    """
    Holds at most one part in memory, in one buffer that is filled, sent and
    filled again; botocore reads each part from it in place (``_PartBody``),
    so no part is ever copied whole. A blob smaller than a part is one
    PutObject at commit; a larger one becomes a multipart upload, which S3
    keeps invisible until it is completed.

    The buffer is an anonymous memory map rather than a heap allocation: only
    the pages written become resident (a small blob costs its own size), and
    they go back to the system when the upload ends. From the heap, malloc
    would keep a freed part for the worker's lifetime, and the next upload's
    part would not always fit where it was.
    """

    def __init__(self, store: S3BlobStore, key: str):
        self._store = store
        self._key = key
        self._part = mmap.mmap(-1, store.part_size)
        self._filled = 0  # bytes of ``_part`` that belong to the part being filled
        self._upload_id: str | None = None
        self._parts: list[dict] = []
        self._size = 0
        self._done = False

    def write(self, data: bytes) -> None:
        if self._done:
            raise ValueError("write to a finished blob")
        view = memoryview(data).cast("B")
        self._size += view.nbytes
        part_size = self._store.part_size
        while view:
            piece = view[: part_size - self._filled]
            end = self._filled + len(piece)
            self._part[self._filled : end] = piece
            self._filled, view = end, view[len(piece) :]
            if self._filled == part_size:
                self._send_part()

    def _body(self) -> _PartBody:
        """The part being filled, as a request body."""
        return _PartBody(memoryview(self._part)[: self._filled])

    def _send_part(self) -> None:
        store = self._store
        with self._aborting_on_error("upload a blob part"):
            if self._upload_id is None:
                self._upload_id = store.client.create_multipart_upload(
                    Bucket=store.bucket, Key=self._key, **store.sse_args
                )["UploadId"]
            number = len(self._parts) + 1
            with self._body() as body:
                etag = store.client.upload_part(
                    Bucket=store.bucket,
                    Key=self._key,
                    UploadId=self._upload_id,
                    PartNumber=number,
                    Body=body,
                )["ETag"]
            self._parts.append({"PartNumber": number, "ETag": etag})
        self._filled = 0

    def commit(self) -> int:
        if self._done:
            raise ValueError("commit of a finished blob")
        store = self._store
        # If-None-Match: S3 refuses (412) to replace an object that exists.
        # A retry of a write that did succeed is refused too: a create then
        # fails where it had stored its body, which is safe, never the reverse.
        try:
            with self._aborting_on_error("store a blob"), _refused_if_exists(self._key):
                if self._upload_id is None:
                    with self._body() as body:
                        store.client.put_object(
                            Bucket=store.bucket, Key=self._key, Body=body, IfNoneMatch="*", **store.sse_args
                        )
                else:
                    if self._filled:
                        self._send_part()
                    store.client.complete_multipart_upload(
                        Bucket=store.bucket,
                        Key=self._key,
                        UploadId=self._upload_id,
                        MultipartUpload={"Parts": self._parts},
                        IfNoneMatch="*",
                    )
        except BlobExists:
            self.abort()
            raise
        self._release()
        self._done = True
        return self._size

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        self._release()
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
            log.warning("Could not abort a multipart upload (lifecycle rule will): %s", error_name(e))

    def _release(self) -> None:
        # A body botocore still holds (in a traceback, say) keeps the map
        # until it goes; it is unmapped then.
        with contextlib.suppress(BufferError):
            self._part.close()
        self._filled = 0
        if self._size >= LARGE_TRANSFER:
            release_freed_memory()  # what the request's reading and sealing freed on the way

    @contextlib.contextmanager
    def _aborting_on_error(self, action: str):
        try:
            with aws_errors(action):
                yield
        except StorageUnavailable:
            self.abort()
            raise


class S3BlobStore(BlobStore):
    """
    One private, server-side encrypted object per blob, under ``prefix`` in
    ``bucket``. The lifecycle rule set up here expires objects after
    ``expire_days`` and drops abandoned multipart uploads after a day.
    ``max_connections``: how many of a worker's threads may read or write at
    once without opening a connection of their own (settings pass THREADS).
    """

    def __init__(
        self,
        *,
        bucket: str,
        region: str = "us-east-1",
        sse: str = "AES256",
        expire_days: int = 6,
        prefix: str = "",
        part_size: int = MIN_PART_SIZE,
        endpoint_url: str | None = None,
        max_connections: int = 32,
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
        self._clients = Clients("s3", region, endpoint_url, max_connections=max_connections)

    @property
    def client(self):
        return self._clients.get()

    def _key(self, blob_id: str) -> str:
        return self.prefix + blob_id

    def setup(self) -> None:
        with aws_errors("set up the bucket"):
            try:
                self.client.head_bucket(Bucket=self.bucket)
            except ClientError as e:
                if error_code(e) not in ("404", "NoSuchBucket"):
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
            if error_code(e) != "BucketAlreadyOwnedByYou":
                raise

    def _optional(self, what: str, call, **kwargs) -> None:
        # Local S3 servers implement only part of the bucket API. These settings
        # are a backstop (expiry is enforced by the record store), so a server
        # that does not implement one gets a warning, not a failed setup.
        try:
            call(**kwargs)
        except ClientError as e:
            if error_code(e) != "NotImplemented":
                raise
            log.warning("The S3 endpoint does not implement the call to %s; skipped", what)

    def check(self) -> None:
        with aws_errors("check the bucket"):
            self.client.head_bucket(Bucket=self.bucket)

    def open_write(self, blob_id: str) -> S3BlobWriter:
        return S3BlobWriter(self, self._key(blob_id))

    def open_read(self, blob_id: str) -> io.BufferedReader:
        with aws_errors("open a blob"):
            try:
                body = self.client.get_object(Bucket=self.bucket, Key=self._key(blob_id))["Body"]
            except ClientError as e:
                if error_code(e) in ("NoSuchKey", "404"):
                    raise BlobNotFound(blob_id) from None
                raise
        return io.BufferedReader(_Body(body), buffer_size=64 * 1024)

    def delete(self, blob_id: str) -> None:
        with aws_errors("delete a blob"):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(blob_id))

    def list_ids(self, *, older_than: float) -> Iterator[str]:
        with aws_errors("list blobs"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix
            )
            for page in pages:
                for obj in page.get("Contents", []):
                    if obj["LastModified"].timestamp() < older_than:
                        yield obj["Key"][len(self.prefix) :]

    def close(self) -> None:
        self._clients.close()
