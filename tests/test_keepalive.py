"""
Kept-alive connections under the threaded worker (secrets_site/gunicorn_worker.py).

- A connection's next request is answered whether it comes at once (served by
  the thread that lingers for it), after the linger (handed back to the
  poller), or pipelined behind the first.
- A lingering thread never keeps a new client waiting: with two threads and
  connections going quiet one after another, every new client is answered.
"""

from __future__ import annotations

import socket
import time

import pytest

from secrets_site.gunicorn_worker import KEEPALIVE_LINGER
from tests.support.server import GunicornServer

pytestmark = pytest.mark.slow

HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def read_answer(sock: socket.socket, buffered: bytearray) -> int:
    """Read one whole answer (Content-Length framed) from ``sock``; return its status."""
    while b"\r\n\r\n" not in buffered:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        buffered += chunk
    head, rest = bytes(buffered).split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        int(v) for k, _, v in (h.partition(":") for h in lines[1:]) if k.lower() == "content-length"
    )
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection mid-answer"
        rest += chunk
    buffered[:] = rest[length:]
    return int(lines[0].split()[1])


class Client:
    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffered = bytearray()

    def ask(self, request: bytes = HEALTHZ, answers: int = 1) -> list[int]:
        self.sock.sendall(request)
        return [read_answer(self.sock, self.buffered) for _ in range(answers)]

    def close(self) -> None:
        self.sock.close()


def test_next_requests_are_answered_at_once_after_the_linger_and_pipelined():
    with GunicornServer(workers=1) as server:
        client = Client(server.port)
        try:
            assert client.ask() == [200]
            assert client.ask() == [200]  # at once: within the linger
            time.sleep(KEEPALIVE_LINGER * 20)  # back on the poller by now
            assert client.ask() == [200]
            assert client.ask(HEALTHZ * 3, answers=3) == [200, 200, 200]  # pipelined
            assert client.ask() == [200]
        finally:
            client.close()


def test_quiet_connections_never_keep_a_new_client_waiting():
    with GunicornServer({"THREADS": "2"}, workers=1) as server:
        quiet = []
        try:
            for _ in range(6):
                newcomer = Client(server.port)
                started = time.monotonic()
                assert newcomer.ask() == [200]
                # The keep-alive timeout is 2 s: a thread held for a quiet connection
                # until then would show as an answer that long in coming.
                assert time.monotonic() - started < 1.5
                quiet.append(newcomer)
            for client in quiet:  # every quiet connection still works
                assert client.ask() == [200]
        finally:
            for client in quiet:
                client.close()
