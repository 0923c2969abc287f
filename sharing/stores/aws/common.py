"""
What the DynamoDB and S3 stores share: one client configuration, one lazily
built client per store, and one translation of every AWS failure into
``StorageUnavailable``.

The AWS SDK (botocore, the core of boto3) is imported only by this package.
Any AWS failure becomes ``StorageUnavailable``, never a half-done result that
can be read, and what is logged of it is its code, never its text.

Clients are botocore's own: boto3's layer adds resources and S3 transfer
helpers this backend does not use, and about 4 MiB a worker.
"""

from __future__ import annotations

import contextlib
import logging
import threading

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from sharing.errors import StorageUnavailable, gettext_noop
from sharing.memory import release_freed_memory
from sharing.stores.aws.models import SERVICES, lean_loader

log = logging.getLogger(__name__)


# Modest timeouts and few retries: a request is waiting on us, so an
# unreachable endpoint must become a 503 within seconds, not minutes.
CLIENT_CONFIG = Config(
    connect_timeout=2,
    read_timeout=10,
    retries={"mode": "standard", "max_attempts": 3},
)

THROTTLED = {
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
    "Throttling",
    "SlowDown",
    "TooManyRequestsException",
}


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def error_name(error: Exception) -> str:
    """What to log of an AWS error: its code or class, never its text (it may hold a key)."""
    return (error_code(error) if isinstance(error, ClientError) else "") or type(error).__name__


@contextlib.contextmanager
def aws_errors(action: str):
    """Turn any botocore failure inside the block into ``StorageUnavailable``."""
    try:
        yield
    except (BotoCoreError, ClientError) as e:
        log.warning("AWS storage failed to %s: %s", action, error_name(e))
        if isinstance(e, ClientError) and error_code(e) in THROTTLED:
            raise StorageUnavailable(
                gettext_noop("Storage is busy right now; please try again shortly.")
            ) from e
        raise StorageUnavailable() from e


_loader = None  # botocore's parsed data (sharing.stores.aws.models), shared by every client
_build_lock = threading.Lock()


def _new_client(service: str, **kwargs):
    """
    A client with a session of its own, so credentials and endpoints are read
    from the environment as it is now; botocore's data, slow to load and
    large, is parsed once per process and lean. Called under ``_build_lock``:
    sessions are not thread-safe, clients are.
    """
    global _loader
    if service not in SERVICES:  # the lean endpoint table has no others
        raise ValueError(f"no client for {service!r}: the aws backend uses {sorted(SERVICES)}")
    session = botocore.session.get_session()
    if _loader is None:
        _loader = lean_loader(session.get_config_variable("data_path"))
    session.register_component("data_loader", _loader)
    return session.create_client(service, **kwargs)


class Clients:
    """
    One lazily built, reused botocore client per store, keeping up to
    ``max_connections`` connections open for the threads that call it at once.

    Size it to the threads of a worker: a call that finds every kept connection
    busy opens one more and closes it afterwards (urllib3 keeps no more than
    the pool's size), so with botocore's default of 10 a worker of 32 threads
    would make and drop a connection, with its TLS handshake, on most calls of
    a busy moment.
    """

    def __init__(self, service: str, region: str, endpoint_url: str | None, *, max_connections: int):
        if max_connections < 1:
            raise ValueError(f"max_connections is {max_connections}; it must be at least 1")
        config = CLIENT_CONFIG.merge(Config(max_pool_connections=max_connections))
        # Without endpoint_url, botocore reads AWS_ENDPOINT_URL_DYNAMODB / _S3 itself.
        self._args = {"region_name": region, "endpoint_url": endpoint_url, "config": config}
        self._service = service
        self._client = None

    def get(self):
        client = self._client
        if client is None:
            with _build_lock:
                if self._client is None:
                    with aws_errors("create a client"):
                        self._client = _new_client(self._service, **self._args)
                    # Building it read megabytes of JSON text, now garbage.
                    release_freed_memory()
                client = self._client
        return client

    def close(self) -> None:
        with _build_lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()
