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

import os
import select
import socket
import struct
import threading

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

CLOSED = object()  # handle() closed the connection itself


CLIENT_TIMEOUT = 60  # seconds, unless the environment's CLIENT_TIMEOUT says otherwise
KEEPALIVE_LINGER = 0.01  # seconds a serving thread waits for a kept-alive connection's next request


def client_timeout() -> int:
    """CLIENT_TIMEOUT, checked by gunicorn.conf.py when the master starts."""
    return int(os.environ.get("CLIENT_TIMEOUT", CLIENT_TIMEOUT))


class ClosingThreadWorker(ThreadWorker):
    def init_process(self):
        self._stall_limit = struct.pack("ll", client_timeout(), 0)  # struct timeval
        self._serving, self._serving_lock = 0, threading.Lock()
        super().init_process()

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
