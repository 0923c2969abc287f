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


def transfer(server, size: int, *, timeout: float = 600) -> Transfer:
    """Upload ``size`` bytes as a file secret, then reveal it; time and check each way."""
    reset_client_peak_rss()
    content = Content(size)
    length, body = _multipart(content)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    server.reset_peak_rss()
    cpu, start = server.cpu_seconds(), time.perf_counter()
    connection.request(
        "POST",
        "/api/files/",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Content-Length": str(length)},
    )
    response = connection.getresponse()
    answer = response.read()
    up_seconds = time.perf_counter() - start
    up_cpu = server.cpu_seconds() - cpu
    up_rss = server.peak_rss_mib()
    connection.close()
    if response.status != 201:
        raise RuntimeError(f"upload of {size} bytes answered {response.status}: {answer[:300]!r}")
    created = json.loads(answer)

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    server.reset_peak_rss()
    cpu, start = server.cpu_seconds(), time.perf_counter()
    connection.request(
        "POST",
        f"/api/files/{created['secret_id']}/reveal/",
        body=json.dumps({"passphrase": created["passphrase"]}),
        headers={"Content-Type": "application/json"},
    )
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"download of {size} bytes answered {response.status}: {response.read(300)!r}")
    received, crc = 0, 0
    while piece := response.read(PIECE):
        crc = zlib.crc32(piece, crc)
        received += len(piece)
    down_seconds = time.perf_counter() - start
    down_rss = server.peak_rss_mib()
    connection.close()  # the worker's CPU count is final once it has closed the response
    time.sleep(0.05)
    down_cpu = server.cpu_seconds() - cpu
    if received != size or crc != content.crc:
        raise RuntimeError(
            f"downloaded {received} bytes with CRC {crc:08x}; sent {size} with {content.crc:08x}"
        )
    return Transfer(size, up_seconds, down_seconds, up_rss, down_rss, client_peak_rss_mib(), up_cpu, down_cpu)
