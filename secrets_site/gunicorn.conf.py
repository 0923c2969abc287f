"""
gunicorn settings; the command line (Makefile, Dockerfile) sets bind and workers.

Sync workers: each request that derives a key holds one core for ~100 ms, so
one worker per core keeps derivations from queueing on each other.
"""

import os

wsgi_app = "secrets_site.wsgi"
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))  # a 1 GiB upload on a slow link
graceful_timeout = 20
# Secret ids travel in paths: the access log shows them as short keyed hashes.
logger_class = "secrets_site.gunicorn_logging.RedactingLogger"
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# /metrics summed over every worker (prometheus_client's multiprocess mode).
from secrets_site.gunicorn_metrics import child_exit, on_starting  # noqa: E402, F401
