"""Stored records to put straight into a store, bypassing the lifecycle."""

import os

from sharing.domain.lifecycle import new_secret_id
from sharing.stores.base import SecretRecord
from sharing.stores.local import VERSION_1_TABLES

NOW = 1_900_000_000  # a fixed instant, 2030-03-17 UTC, for stores told the time


def record(views: int = 1, expires_at: int = NOW + 3600, **fields) -> SecretRecord:
    """A text record of random bytes under a fresh id; any field may be given."""
    values = {
        "secret_id": new_secret_id(),
        "kind": "text",
        "version": 2,
        "kdf": "scrypt",
        "kdf_n": 1024,
        "salt": os.urandom(16),
        "wrapped_key": os.urandom(60),
        "payload": os.urandom(100) + b"\x00\xff",
        "views_left": views,
        "expires_at": expires_at,
        "blob_size": 0,
    }
    return SecretRecord(**{**values, **fields})


LIMIT = 10  # attempts a record allows, for stores told one


def claim(store, secret_id: str, now: float = NOW, tally=None):
    """A reveal's two store steps: reserve an attempt, then claim the view (which gives the attempt back)."""
    if store.reserve_attempt(secret_id, now=now, limit=LIMIT) is None:
        return None
    return store.claim_view(secret_id, now=now, tally=tally)


# The local store's tables as the release before schema versions left them on disk
# (user_version 0), for tests of the upgrade.
VERSION_1_SCHEMA = "".join(f"{statement};\n" for statement in VERSION_1_TABLES)
