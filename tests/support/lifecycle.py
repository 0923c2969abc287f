"""
The lifecycle on real local stores in a test's own folder, with a clock that
moves only when told (``clock.now += 3600``); and helpers to push a file
through it and read one back.
"""

import time

import pytest

from sharing.domain.lifecycle import Lifecycle, Policy, RevealedFile
from sharing.stores.local import FileBlobStore, SQLiteRecordStore


class Clock:
    """Starts at the real time (blob files carry real modification times) and moves only when told."""

    def __init__(self):
        self.now = time.time()

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def local_stores(tmp_path):
    """A record store and a blob store, both set up, under ``tmp_path``."""
    records = SQLiteRecordStore(path=str(tmp_path / "r.db"))
    blobs = FileBlobStore(root=str(tmp_path / "blobs"))
    blobs.setup()
    yield records, blobs
    records.close()


@pytest.fixture
def life(local_stores, clock):
    records, blobs = local_stores
    return Lifecycle(records=records, blobs=blobs, policy=Policy(kdf_n=1024), clock=clock)


def upload(life, content: bytes, name="notes.txt", piece=1000):
    """A file upload fed to the lifecycle in pieces, as a request body arrives."""
    file = life.begin_file()
    for i in range(0, len(content), piece):
        file.write(content[i : i + piece])
    return file.finish(name=name, content_type="text/plain")


def read(revealed: RevealedFile) -> bytes:
    try:
        return b"".join(revealed.content)
    finally:
        revealed.content.close()
