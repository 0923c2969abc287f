"""
The sweep deletes only what is named like a secret: a stray file in the blob
folder, or another application's objects in a shared bucket or under a shared
prefix, are left alone and do not stop it (both backends).
"""

import time

from sharing.domain.lifecycle import Lifecycle, Policy
from sharing.stores.local import FileBlobStore

FOREIGN = ["notes.txt", "README", "backup-2030.tar.gz", "AAAAAAAAAAAAAAA-", "AAAAAAAAAAAAAAAAA", "x.partial"]


def put_foreign(blob_store, name: str) -> None:
    if isinstance(blob_store, FileBlobStore):
        (blob_store.root / name).write_bytes(b"not ours")
    else:
        blob_store.client.put_object(Bucket=blob_store.bucket, Key=blob_store.prefix + name, Body=b"not ours")


def foreign_left(blob_store) -> set[str]:
    if isinstance(blob_store, FileBlobStore):
        return {path.name for path in blob_store.root.iterdir()} & set(FOREIGN)
    listed = blob_store.client.list_objects_v2(Bucket=blob_store.bucket, Prefix=blob_store.prefix)
    return {obj["Key"][len(blob_store.prefix) :] for obj in listed.get("Contents", [])} & set(FOREIGN)


def remove_foreign(blob_store) -> None:
    for name in FOREIGN:
        if isinstance(blob_store, FileBlobStore):
            (blob_store.root / name).unlink(missing_ok=True)
        else:
            blob_store.client.delete_object(Bucket=blob_store.bucket, Key=blob_store.prefix + name)


def test_the_sweep_leaves_foreign_names_alone_and_still_removes_orphans(record_store, blob_store):
    later = time.time() + 3600  # everything written now is older than the grace then
    life = Lifecycle(records=record_store, blobs=blob_store, policy=Policy(kdf_n=1024), clock=lambda: later)
    for name in FOREIGN:
        put_foreign(blob_store, name)
    if isinstance(blob_store, FileBlobStore):
        (blob_store.root / "a-folder").mkdir()
    upload = life.begin_file()
    upload.write(b"an upload whose record was never written")
    upload.finish(name="f.txt", content_type="text/plain")
    try:
        _, orphans = life.sweep(grace_seconds=60)
        assert orphans >= 1
        assert upload.secret_id not in set(blob_store.list_ids(older_than=later))
        assert foreign_left(blob_store) == set(FOREIGN)
    finally:
        remove_foreign(blob_store)
