"""
gunicorn settings; the command line (Makefile, Dockerfile) sets the bind address.

Threaded workers (gthread, closing connections off the main loop:
secrets_site/gunicorn_worker.py): WORKERS processes (one per core by default), each
serving up to THREADS requests at once. A request spends most of its life
waiting on a client (a file at 100 KB/s takes a minute), a disk or a store,
not on a core, so a slow client holds one thread, never a whole worker, and
everything else keeps being answered. What does need a core, key stretching,
passes the per-machine derivation gate (sharing.kdfgate), so more threads
never mean more scrypt runs at once, nor their memory.

The worker timeout watches each worker's main loop, which keeps beating while
its threads stream: a transfer may run as long as it needs, and only a worker
that stops answering is restarted.
"""

import contextlib
import ctypes
import os

from secrets_site.gunicorn_worker import BALANCE, CLIENT_TIMEOUT


def _whole(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"{name} is {value!r}; set it to a whole number of at least 1.")
    return int(value)


# glibc gives threads malloc arenas of their own (up to 8 per core) and each
# arena keeps what it has freed: with upload chunks and response buffers passing
# through 32 threads, a worker's memory crept up by a quarter over ten minutes
# of a local soak, and by 4% with two arenas (docs/reliability.md, "Soak").
# Set here, in the master before it forks, so every worker inherits it.
with contextlib.suppress(OSError, AttributeError):
    ctypes.CDLL("libc.so.6").mallopt(-8, 2)  # M_ARENA_MAX

wsgi_app = "secrets_site.wsgi"
worker_class = "secrets_site.gunicorn_worker.ClosingThreadWorker"  # gthread, see there
workers = _whole("WORKERS", len(os.sched_getaffinity(0)))  # the cores this process may use
threads = _whole("THREADS", 32)
timeout = _whole("GUNICORN_TIMEOUT", 30)
# Seconds a client may go without sending or reading a byte (gunicorn_worker.py).
os.environ["CLIENT_TIMEOUT"] = str(_whole("CLIENT_TIMEOUT", CLIENT_TIMEOUT))
graceful_timeout = 20
# Secret ids travel in paths: the access log shows them as short keyed hashes.
logger_class = "secrets_site.gunicorn_logging.RedactingLogger"
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# /metrics summed over every worker (prometheus_client's multiprocess mode),
# and a control socket of this instance's own.
from secrets_site import gunicorn_instance  # noqa: E402
from secrets_site.gunicorn_instance import data_dir, on_starting  # noqa: E402, F401

control_socket = str(data_dir() / "gunicorn.ctl")


def child_exit(server, worker) -> None:
    gunicorn_instance.child_exit(server, worker)
    BALANCE.release(getattr(worker, "balance_slot", None))  # a new worker may take it (gunicorn_worker.py)
