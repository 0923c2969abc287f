"""
Kept-alive connections under the threaded worker (secrets_site/gunicorn_worker.py).

- A connection's next request is answered whether it comes at once (served by
  the thread that lingers for it), after the linger (handed back to the
  poller), or pipelined behind the first.
- A lingering thread never keeps a new client waiting: with two threads and
  connections going quiet one after another, every new client is answered.
- New connections go to the worker holding the fewest, and a worker that
  stops answering never strands a newcomer left to it.
"""

from __future__ import annotations

import collections
import os
import signal
import socket
import time
from pathlib import Path

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


def held_connections(server) -> collections.Counter:
    """How many established connections each worker of ``server`` holds (from /proc)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port, state, inode = int(fields[1].split(":")[1], 16), fields[3], fields[9]
        if local_port == server.port and state == "01":  # TCP_ESTABLISHED
            inodes.add(f"socket:[{inode}]")
    held = collections.Counter({pid: 0 for pid in server.worker_pids()})
    for pid in held:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) in inodes:
                    held[pid] += 1
            except OSError:
                continue  # closed meanwhile
    return held


def connect_until_every_worker_holds_one(server) -> list[Client]:
    """Open kept-alive connections until each worker holds one: every worker is accepting then."""
    clients = []
    deadline = time.monotonic() + 20
    while 0 in held_connections(server).values():
        assert time.monotonic() < deadline, "a worker never took a connection"
        clients.append(Client(server.port))
        assert clients[-1].ask() == [200]
    return clients


def open_answered(server, count: int, clients: list) -> None:
    """Open ``count`` kept-alive connections one after another, as a pool fills up; each answers at once."""
    for _ in range(count):
        clients.append(Client(server.port))
        started = time.monotonic()
        assert clients[-1].ask() == [200]
        assert time.monotonic() - started < 1.0


def test_new_connections_go_to_the_worker_holding_the_fewest_and_none_waits_for_a_stopped_one():
    with GunicornServer(workers=2) as server:
        clients = connect_until_every_worker_holds_one(server)
        try:
            # A worker that stops answering (stopped here; hung or paused in life) still shows
            # the fewest: each newcomer is left to it, and taken by the other after the deferral.
            stopped = held_connections(server).most_common()[-1][0]
            os.kill(stopped, signal.SIGSTOP)
            try:
                open_answered(server, 16, clients)
            finally:
                os.kill(stopped, signal.SIGCONT)
            before = held_connections(server)[stopped]
            assert before < len(clients) - 16
            # Back, it holds far fewer: the next newcomers are its own. A few may go to the other
            # worker where this one was slow to take its turn (a busy machine's scheduler).
            open_answered(server, 16, clients)
            taken = held_connections(server)[stopped] - before
            assert taken >= 12, f"{taken} of 16 newcomers went to the worker holding the fewest"
            for client in clients:  # and every connection is still served
                assert client.ask() == [200]
        finally:
            for client in clients:
                client.close()
