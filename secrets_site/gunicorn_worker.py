"""
gunicorn's threaded worker, with connections closed by the thread that served them.

gunicorn closes a connection "gracefully" (RFC 9112 §9.6): it sends FIN and
then waits, up to 2 s, for the client to finish reading and close its side.
Stock gthread does that wait on the worker's main thread, the one that
accepts connections and tells the arbiter the worker is alive. A slow client
still reading the last megabytes of a download (they sit in kernel buffers
once the response is written) then holds the main loop for up to 2 s at each
close: nothing new is accepted meanwhile, and a dozen such closes in a row
outlast GUNICORN_TIMEOUT, so the arbiter kills the worker with every transfer
it was serving. Here the serving thread does the wait itself, and the main
loop only finds a socket already closed.

And a kept-alive connection's next request is served by the thread that
served the last one, when it comes within KEEPALIVE_LINGER. Stock gthread
hands every kept-alive connection back to the main loop after each response:
a wake-up over a pipe, a poller registration, and a new hand-off to the pool
when the next request arrives, four thread switches each waiting for the
interpreter lock. A script's or a proxy's next request usually comes within a
millisecond. The wait is short, taken only while another thread stays free for
new connections, and never while the worker stops; a connection that stays
quiet goes back to the poller as before.

And a client that stops sending or reading gives its thread back. A thread
blocked on a client that sends half a request, or that stops reading a
download, would otherwise wait for as long as the client likes, and
THREADS such clients would hold a worker. Each connection's socket gets a
kernel send and receive timeout of CLIENT_TIMEOUT seconds (SO_SNDTIMEO,
SO_RCVTIMEO): any single read or write that makes no progress for that long
fails, the request ends, and the connection is closed (logged in one line:
secrets_site/gunicorn_logging.py). A slow client that
keeps moving is never cut off; one that stalls loses what it was doing (a
download's view stays spent, as for any abandoned download).
"""

import mmap
import os
import select
import socket
import struct
import threading
import time

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

CLOSED = object()  # handle() closed the connection itself


CLIENT_TIMEOUT = 60  # seconds, unless the environment's CLIENT_TIMEOUT says otherwise
KEEPALIVE_LINGER = 0.01  # seconds a serving thread waits for a kept-alive connection's next request
ACCEPT_DEFER = 0.001  # seconds a worker holding more connections than another leaves a newcomer to it


def client_timeout() -> int:
    """CLIENT_TIMEOUT, checked by gunicorn.conf.py when the master starts."""
    return int(os.environ.get("CLIENT_TIMEOUT", CLIENT_TIMEOUT))


class Balance:
    """
    How many connections each worker holds, in memory shared by the master and
    every worker it forks. The master gives each worker a slot (``claim``) and
    frees it when the worker exits (``release``); a worker writes only its own
    slot and reads the others'. Each count is one aligned 8-byte word, written
    and read whole, so no lock is needed: a count read a moment stale only
    sends one newcomer to a worker that is, at worst, no busier than this one.
    """

    SLOTS = 256  # workers at once; any beyond go unbalanced
    FREE, BOOTING = -2, -1  # a slot no worker holds; one whose worker is not accepting yet

    def __init__(self):
        self._memory = mmap.mmap(-1, 8 * self.SLOTS)  # anonymous and shared: inherited by fork()
        self._counts = memoryview(self._memory).cast("q")
        for slot in range(self.SLOTS):
            self._counts[slot] = self.FREE

    def claim(self) -> int | None:
        """In the master, for a worker about to be forked: a free slot, or None if none is."""
        for slot in range(self.SLOTS):
            if self._counts[slot] == self.FREE:
                self._counts[slot] = self.BOOTING
                return slot
        return None

    def release(self, slot: int | None) -> None:
        """In the master, once the worker holding ``slot`` has exited."""
        if slot is not None:
            self._counts[slot] = self.FREE

    def publish(self, slot: int, connections: int) -> None:
        self._counts[slot] = connections

    def fewest_elsewhere(self, slot: int) -> int | None:
        """The fewest connections any other accepting worker holds; None if there is none."""
        return min((n for i, n in enumerate(self._counts) if n >= 0 and i != slot), default=None)


BALANCE = Balance()  # made when the master imports this module, before it forks any worker


class ClosingThreadWorker(ThreadWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Runs in the master; gunicorn.conf.py's child_exit releases the slot.
        self.balance_slot = BALANCE.claim()
        self._defer_until = 0.0  # accepting stopped until then (monotonic)

    def init_process(self):
        self._stall_limit = struct.pack("ll", client_timeout(), 0)  # struct timeval
        self._serving, self._serving_lock = 0, threading.Lock()
        super().init_process()

    def accept(self, listener):
        if self.balance_slot is not None and self._defer_until == 0.0:
            fewest = BALANCE.fewest_elsewhere(self.balance_slot)
            if fewest is not None and self.nr_conns > fewest:
                self._defer_until = time.monotonic() + ACCEPT_DEFER
                super().set_accept_enabled(False)
                return
        super().accept(listener)
        self._publish()

    def set_accept_enabled(self, enabled):
        # The main loop turns accepting back on whenever it can accept; not before the deferral ends.
        if not (enabled and self._defer_until):
            super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout):
        self._publish()  # the count after the main loop closed idle connections
        if self._defer_until:
            timeout = min(timeout, max(self._defer_until - time.monotonic(), 0.0))
        super().wait_for_and_dispatch_events(timeout)
        if self._defer_until and time.monotonic() >= self._defer_until:
            self._defer_until = 0.0
            if self.alive:
                super().set_accept_enabled(True)
                for listener in self.sockets:
                    # Whoever the newcomer was left to has had its turn: take it if it still waits.
                    super().accept(listener)
        self._publish()

    def _publish(self) -> None:
        if self.balance_slot is not None:
            BALANCE.publish(self.balance_slot, self.nr_conns)

    def handle(self, conn):
        if not getattr(conn, "stall_limited", False):
            # setblocking() leaves these alone: they hold for every read and write of the connection.
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, self._stall_limit)
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, self._stall_limit)
            conn.stall_limited = True
        with self._serving_lock:
            self._serving += 1
        try:
            keep = super().handle(conn)
            while keep is True and self._next_request_soon(conn):
                keep = super().handle(conn)
        finally:
            with self._serving_lock:
                self._serving -= 1
        if keep is False:
            util.close_graceful(conn.sock)
            return CLOSED
        return keep

    def _next_request_soon(self, conn) -> bool:
        """Whether the connection's next request arrived within KEEPALIVE_LINGER, worth serving here."""
        if not self.alive or self._serving >= self.cfg.threads - 1:
            return False  # stopping, or the pool's last free thread is kept for new connections
        if conn.parser.unreader.buf.getvalue():
            return False  # read ahead into the next request: finish_request hands it on as it is
        poll = select.poll()
        poll.register(conn.sock, select.POLLIN)
        return bool(poll.poll(KEEPALIVE_LINGER * 1000))

    def finish_request(self, conn, fs):
        # Runs on the main thread: for a connection already closed, only count it gone.
        if not fs.cancelled() and fs.exception() is None and fs.result() is CLOSED:
            self.nr_conns -= 1
            return
        super().finish_request(conn, fs)
