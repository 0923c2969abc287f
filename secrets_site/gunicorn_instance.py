"""
What one gunicorn instance keeps in its own DATA_DIR (secrets_site/gunicorn.conf.py):
its control socket, and its workers' metrics files.

gunicorn's default control socket is one per user ($HOME/.gunicorn/gunicorn.ctl):
a second instance on the same host would take it over, and the first one to stop
would remove it for both. In DATA_DIR each instance has its own.

Before any worker starts, the master empties DATA_DIR/metrics and names it in
PROMETHEUS_MULTIPROC_DIR, which the workers inherit: each then keeps its
numbers in files there, and /metrics sums them. When a worker exits, its
"live" gauges (derivations running and waiting) are dropped; its counters and
histograms stay, so totals never go down while the server runs.
"""

import importlib
import os
import shutil

from sharing.privatefiles import private_dir

# Read by prometheus_client when it is first imported: the master must not
# import it (nor sharing.metrics) before setting this, or every worker it forks
# would inherit single-process counting.
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def data_dir():
    settings = importlib.import_module(os.environ.get("DJANGO_SETTINGS_MODULE", "secrets_site.settings"))
    return private_dir(settings.DATA_DIR)


def metrics_dir():
    return data_dir() / "metrics"


def on_starting(server) -> None:
    directory = metrics_dir()
    # Numbers left by a previous run belong to processes that are gone.
    shutil.rmtree(directory, ignore_errors=True)
    private_dir(directory)
    os.environ[MULTIPROCESS_ENV] = str(directory)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
