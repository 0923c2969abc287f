"""Stored records to put straight into a store, bypassing the lifecycle."""

import os

from sharing.domain.lifecycle import new_secret_id
from sharing.stores.base import SecretRecord

NOW = 1_900_000_000  # a fixed instant, 2030-03-17 UTC, for stores told the time


def record(views: int = 1, expires_at: int = NOW + 3600, **fields) -> SecretRecord:
    """A text record of random bytes under a fresh id; any field may be given."""
    values = {
        "secret_id": new_secret_id(),
        "kind": "text",
        "version": 1,
        "kdf_n": 1024,
        "salt": os.urandom(16),
        "wrapped_key": os.urandom(60),
        "payload": os.urandom(100) + b"\x00\xff",
        "views_left": views,
        "expires_at": expires_at,
        "blob_size": 0,
    }
    return SecretRecord(**{**values, **fields})
