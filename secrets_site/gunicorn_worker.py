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
"""

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

CLOSED = object()  # handle() closed the connection itself


class ClosingThreadWorker(ThreadWorker):
    def handle(self, conn):
        keep = super().handle(conn)
        if keep is False:
            util.close_graceful(conn.sock)
            return CLOSED
        return keep

    def finish_request(self, conn, fs):
        # Runs on the main thread: for a connection already closed, only count it gone.
        if not fs.cancelled() and fs.exception() is None and fs.result() is CLOSED:
            self.nr_conns -= 1
            return
        super().finish_request(conn, fs)
