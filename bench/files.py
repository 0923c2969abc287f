"""
A file secret of any size through HTTP, in constant memory on the client too:
the upload is a generated multipart stream with its length announced up
front (Django's multipart parser needs Content-Length), the download is read
in pieces, and both sides are checked by a running CRC-32 and the length.

CRC-32 rather than a cryptographic hash: it catches any corruption a
benchmark can meet and runs at >1 GB/s, where SHA-256 (~150 MB/s here) would
cap the client below the rates being measured.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import struct
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

PIECE = 1024 * 1024  # client send and receive size
BOUNDARY = "pysecrets-bench-boundary-7d1c5e"


@dataclass(frozen=True)
class Transfer:
    size: int
    up_seconds: float
    down_seconds: float
    up_peak_rss_mib: float
    down_peak_rss_mib: float
    client_peak_rss_mib: float
    up_cpu_seconds: float  # the server's workers' CPU time for the request
    down_cpu_seconds: float

    @property
    def up_mb_s(self) -> float:
        return self.size / self.up_seconds / 1e6

    @property
    def down_mb_s(self) -> float:
        return self.size / self.down_seconds / 1e6


class Content:
    """``size`` pseudo-random bytes made piece by piece: one random block, each copy numbered."""

    def __init__(self, size: int):
        self.size = size
        self.crc = 0
        self._block = os.urandom(PIECE)

    def pieces(self) -> Iterator[bytes]:
        sent, index = 0, 0
        while sent < self.size:
            piece = (struct.pack(">Q", index) + self._block[8:])[: self.size - sent]
            self.crc = zlib.crc32(piece, self.crc)
            sent, index = sent + len(piece), index + 1
            yield piece


def _multipart(content: Content) -> tuple[int, Iterator[bytes]]:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="view_count"\r\n\r\n1\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="bench.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        yield from content.pieces()
        yield tail

    return len(head) + content.size + len(tail), body()


def reset_client_peak_rss() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def client_peak_rss_mib() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024


class Connection(http.client.HTTPConnection):
    """To 127.0.0.1; a small ``receive_buffer`` makes the server's writes wait on this client's reads."""

    def __init__(self, port: int, *, timeout: float = 600, receive_buffer: int | None = None):
        super().__init__("127.0.0.1", port, timeout=timeout)
        self.receive_buffer = receive_buffer

    def connect(self) -> None:
        if not self.receive_buffer:
            return super().connect()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer)
        self.sock.settimeout(self.timeout)
        self.sock.connect((self.host, self.port))


def paced(pieces: Iterator[bytes], rate: float | None, step: int = 10_000) -> Iterator[bytes]:
    """The same bytes, at most ``rate`` bytes a second (in ``step``-byte pieces) when a rate is given."""
    if rate is None:
        yield from pieces
        return
    start, sent = time.perf_counter(), 0
    for piece in pieces:
        for at in range(0, len(piece), step):
            part = piece[at : at + step]
            yield part
            sent += len(part)
            time.sleep(max(0.0, start + sent / rate - time.perf_counter()))


def upload(port: int, content: Content, *, rate: float | None = None, timeout: float = 600) -> dict:
    """Send ``content`` as a new 1-view file secret; return the service's answer (id and passphrase)."""
    length, body = _multipart(content)
    connection = Connection(port, timeout=timeout)
    try:
        connection.request(
            "POST",
            "/api/files/",
            body=paced(body, rate),
            headers={
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                "Content-Length": str(length),
            },
        )
        response = connection.getresponse()
        answer = response.read()
    finally:
        connection.close()
    if response.status != 201:
        raise RuntimeError(f"upload of {content.size} bytes answered {response.status}: {answer[:300]!r}")
    return json.loads(answer)


def download(
    port: int, created: dict, *, rate: float | None = None, timeout: float = 600
) -> tuple[int, int, int]:
    """Reveal a file secret and read it (at ``rate`` bytes a second, if given): (status, length, CRC-32)."""
    connection = Connection(port, timeout=timeout, receive_buffer=64 * 1024 if rate else None)
    try:
        connection.request(
            "POST",
            f"/api/files/{created['secret_id']}/reveal/",
            body=json.dumps({"passphrase": created["passphrase"]}),
            headers={"Content-Type": "application/json"},
        )
        response = connection.getresponse()
        if response.status != 200:
            response.read()
            return response.status, 0, 0
        received, crc = 0, 0
        start, size = time.perf_counter(), PIECE if rate is None else 10_000
        while piece := response.read(size):
            crc = zlib.crc32(piece, crc)
            received += len(piece)
            if rate is not None:
                time.sleep(max(0.0, start + received / rate - time.perf_counter()))
        return response.status, received, crc
    finally:
        connection.close()  # the worker's CPU count is final once it has closed the response


def transfer(server, size: int, *, timeout: float = 600) -> Transfer:
    """Upload ``size`` bytes as a file secret, then reveal it; time and check each way."""
    reset_client_peak_rss()
    content = Content(size)
    server.reset_peak_rss()
    cpu, start = server.cpu_seconds(), time.perf_counter()
    created = upload(server.port, content, timeout=timeout)
    up_seconds = time.perf_counter() - start
    up_cpu = server.cpu_seconds() - cpu
    up_rss = server.peak_rss_mib()

    server.reset_peak_rss()
    cpu, start = server.cpu_seconds(), time.perf_counter()
    status, received, crc = download(server.port, created, timeout=timeout)
    down_seconds = time.perf_counter() - start
    down_rss = server.peak_rss_mib()
    time.sleep(0.05)
    down_cpu = server.cpu_seconds() - cpu
    if status != 200 or received != size or crc != content.crc:
        raise RuntimeError(
            f"download answered {status} with {received} bytes and CRC {crc:08x};"
            f" sent {size} with {content.crc:08x}"
        )
    return Transfer(size, up_seconds, down_seconds, up_rss, down_rss, client_peak_rss_mib(), up_cpu, down_cpu)
