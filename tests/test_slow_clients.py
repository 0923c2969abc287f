"""
Slow and vanishing clients, against gunicorn as it serves in production.

- A transfer that outlasts GUNICORN_TIMEOUT completes: the timeout watches a
  worker's main loop, not how long one request takes.
- While slow transfers hold threads, the same worker answers /healthz and
  creates at once.
- An upload the client cuts off leaves nothing in the blob store, on either
  backend: no partial file, no open S3 multipart upload, and not later, at once.
- A client that stops reading, or stops sending, gives its thread back after
  CLIENT_TIMEOUT seconds without progress.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid

import pytest

from tests.support.http import file_form, send
from tests.support.server import GunicornServer

pytestmark = pytest.mark.slow

TIMEOUT = 2  # seconds; every slow transfer below takes two to four times as long


class RawClient:
    """HTTP/1.1 over a plain socket, so a test controls the pace of every byte."""

    def __init__(self, port: int, *, receive_buffer: int | None = None):
        self.sock = socket.socket()
        if receive_buffer:
            # Small, so the server's writes wait on this client rather than on kernel buffers.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(30)
        self.sock.connect(("127.0.0.1", port))

    def send_head(self, path: str, content_type: str, length: int) -> None:
        self.sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {length}\r\nConnection: close\r\n\r\n".encode()
        )

    def send_slowly(self, body: bytes, *, piece: int, pause: float) -> None:
        for start in range(0, len(body), piece):
            self.sock.sendall(body[start : start + piece])
            time.sleep(pause)

    def read_answer(self, *, piece: int = 65536, pause: float = 0.0) -> tuple[int, bytes]:
        data = b""
        while b"\r\n\r\n" not in data:
            data += self._recv(piece)
        head, body = data.split(b"\r\n\r\n", 1)
        status = int(head.split()[1])
        while chunk := self._recv(piece):
            body += chunk
            time.sleep(pause)
        self.sock.close()
        return status, body

    def _recv(self, size: int) -> bytes:
        return self.sock.recv(size)

    def cut_off(self, *, reset: bool) -> None:
        if reset:  # RST instead of FIN: the server's next read fails instead of ending early
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.sock.close()


def _create_file(url: str, content: bytes) -> dict:
    body, content_type = file_form(content)
    answer = send(url + "/api/files/", body, content_type=content_type)
    assert answer.status == 201, answer
    return json.loads(answer.body)


def _prompt(url: str) -> float:
    """Seconds the slowest of a health check and a create took."""
    slowest = 0.0
    for path, body in (("/healthz", None), ("/api/text/", {"secret": "meanwhile"})):
        began = time.monotonic()
        answer = send(url + path, body, method="GET" if body is None else "POST")
        slowest = max(slowest, time.monotonic() - began)
        assert answer.status in (200, 201), answer
    return slowest


@pytest.fixture(scope="module")
def server():
    # One worker: whatever answers during a slow transfer is that same process's other threads.
    env = {"GUNICORN_TIMEOUT": str(TIMEOUT), "THREADS": "4"}
    with GunicornServer(env, workers=1) as running:
        yield running


def test_a_slow_download_outlives_the_worker_timeout_and_others_are_answered_meanwhile(server):
    content = os.urandom(8 * 1024 * 1024)  # more than the kernel's buffers hold between the two ends
    created = _create_file(server.url, content)
    client = RawClient(server.port, receive_buffer=32 * 1024)
    body = json.dumps({"passphrase": created["passphrase"]}).encode()
    client.send_head(f"/api/files/{created['secret_id']}/reveal/", "application/json", len(body))
    client.sock.sendall(body)
    began = time.monotonic()
    data = b""
    slowest_meanwhile = 0.0
    while b"\r\n\r\n" not in data:
        data += client.sock.recv(65536)
    head, received = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200")
    while chunk := client.sock.recv(64 * 1024):  # about 1 MB/s: eight seconds for the file
        received += chunk
        time.sleep(0.06)
        if 1 < time.monotonic() - began < 3 and not slowest_meanwhile:
            slowest_meanwhile = _prompt(server.url)
    took = time.monotonic() - began
    client.cut_off(reset=False)
    assert took > TIMEOUT * 3, "the download was not slow enough to prove anything"
    assert received == content
    # Answered while the download still held its thread (it had 5 s and more to go), with room
    # for a machine busy with other work: a worker without free threads would answer after it.
    assert 0 < slowest_meanwhile < 2
    assert "WORKER TIMEOUT" not in server.log()


def test_a_slow_upload_outlives_the_worker_timeout(server):
    content = os.urandom(2 * 1024 * 1024)
    body, content_type = file_form(content)
    client = RawClient(server.port)
    client.send_head("/api/files/", content_type, len(body))
    began = time.monotonic()
    client.send_slowly(body, piece=32 * 1024, pause=0.06)  # about 500 KB/s: four seconds
    status, answer = client.read_answer()
    assert time.monotonic() - began > TIMEOUT * 1.5
    assert status == 201, answer
    created = json.loads(answer)
    revealed = send(
        f"{server.url}/api/files/{created['secret_id']}/reveal/", {"passphrase": created["passphrase"]}
    )
    assert revealed.status == 200
    assert revealed.body == content
    assert "WORKER TIMEOUT" not in server.log()


def _cut_off_upload(port: int, *, size: int, sent: int, reset: bool) -> None:
    body, content_type = file_form(os.urandom(size))
    client = RawClient(port)
    client.send_head("/api/files/", content_type, len(body))
    client.sock.sendall(body[:sent])
    time.sleep(0.3)  # let the server take in what was sent
    client.cut_off(reset=reset)


def _eventually_empty(listing, seconds: float = 3.0) -> list:
    deadline = time.monotonic() + seconds
    while (left := listing()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
def test_an_upload_cut_off_leaves_no_file_on_the_local_backend(server, reset):
    blobs = os.path.join(server.data_dir, "blobs")
    _cut_off_upload(server.port, size=4 * 1024 * 1024, sent=2 * 1024 * 1024, reset=reset)
    assert _eventually_empty(lambda: os.listdir(blobs) if os.path.isdir(blobs) else []) == []
    assert "Traceback" not in server.log()


def test_an_upload_cut_off_leaves_no_object_and_no_open_multipart_upload_on_aws(aws_env):
    import boto3

    bucket = f"cutoff-{uuid.uuid4().hex[:12]}"  # its own bucket: nothing else is listed
    s3 = boto3.client("s3", endpoint_url=aws_env["AWS_ENDPOINT_URL_S3"], region_name=aws_env["AWS_REGION"])
    with GunicornServer(
        {**aws_env, "S3_BUCKET": bucket, "GUNICORN_TIMEOUT": str(TIMEOUT)}, workers=1
    ) as server:
        # Past one 8 MiB part: the upload is a multipart one when it is cut off.
        _cut_off_upload(server.port, size=24 * 1024 * 1024, sent=12 * 1024 * 1024, reset=False)

        def left() -> list:
            objects = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
            uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
            return objects + uploads

        assert _eventually_empty(left) == []
        assert "Traceback" not in server.log()


def test_clients_that_stop_reading_or_sending_give_their_threads_back():
    stall = 2
    with GunicornServer({"CLIENT_TIMEOUT": str(stall), "THREADS": "3"}, workers=1) as server:
        # A body larger than what the kernel buffers between the two ends, so the writes block.
        created = _create_file(server.url, os.urandom(16 * 1024 * 1024))
        reader = RawClient(server.port, receive_buffer=4096)  # a download never read
        body = json.dumps({"passphrase": created["passphrase"]}).encode()
        reader.send_head(f"/api/files/{created['secret_id']}/reveal/", "application/json", len(body))
        reader.sock.sendall(body)
        uploader = RawClient(server.port)  # a body that stops half-way
        uploader.send_head("/api/text/", "application/json", 1000)
        uploader.sock.sendall(b'{"secret": "')
        header = RawClient(server.port)  # a request that stops inside its header
        header.sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(0.5)  # every thread is now held by a client that does nothing
        began = time.monotonic()
        answer = send(server.url + "/healthz", None, method="GET")
        waited = time.monotonic() - began
        assert answer.status == 200
        # Answered once a stalled client's time was up; without the limit, never.
        assert stall * 0.5 < waited < stall * 5, waited
        status, answer = uploader.read_answer()
        assert status == 400, answer
        # The download's writes stall once the kernel's buffers are full, which takes longer.
        deadline = time.monotonic() + 30
        while server.log().count("no progress for 2s") < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        log = server.log()
        reader.sock.close()
        header.sock.close()
    assert log.count("no progress for 2s") == 2, log
    assert "Traceback" not in log
