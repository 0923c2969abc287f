"""
The storage contract (sharing/stores/base.py), run against every backend.
A backend that passes this suite can carry the service.
"""

import os
import time

import pytest

from sharing.domain.lifecycle import new_secret_id
from sharing.stores.base import BlobExists, BlobNotFound, RecordExists
from tests.support.backends import built
from tests.support.crowd import all_at_once
from tests.support.records import LIMIT, NOW, claim, record

# -- records ------------------------------------------------------------------


def test_put_then_get_returns_every_field(record_store):
    stored = record(views=3, kind="file", blob_size=123456789012)
    record_store.put(stored)
    assert record_store.get(stored.secret_id, now=NOW) == stored
    generated = record(kdf="hkdf-sha256", kdf_n=0)
    record_store.put(generated)
    assert record_store.get(generated.secret_id, now=NOW) == generated


def test_get_unknown_is_none(record_store):
    assert record_store.get(new_secret_id(), now=NOW) is None


def test_put_refuses_a_taken_id_and_keeps_the_first(record_store):
    first = record()
    record_store.put(first)
    with pytest.raises(RecordExists):
        record_store.put(record(secret_id=first.secret_id, views=9))
    assert record_store.get(first.secret_id, now=NOW) == first


def test_put_refuses_an_id_taken_by_an_expired_record(record_store):
    old = record(expires_at=NOW - 1)
    record_store.put(old)
    with pytest.raises(RecordExists):
        record_store.put(record(secret_id=old.secret_id))


def test_expired_record_is_absent_for_get_and_claim(record_store):
    stored = record(views=2, expires_at=NOW + 10)
    record_store.put(stored)
    assert record_store.get(stored.secret_id, now=NOW + 9) == stored
    assert record_store.get(stored.secret_id, now=NOW + 10) is None
    assert record_store.reserve_attempt(stored.secret_id, now=NOW + 10, limit=LIMIT) is None
    assert record_store.reserve_attempt(stored.secret_id, now=NOW, limit=LIMIT) is not None
    assert record_store.claim_view(stored.secret_id, now=NOW + 10) is None
    assert record_store.delete(stored.secret_id, now=NOW + 10) is False
    # Still physically there until swept: expiry never depended on deletion.
    assert [r.secret_id for r in record_store.sweep_expired(now=NOW + 10) if r.secret_id == stored.secret_id]


def test_claims_count_down_and_the_last_deletes(record_store):
    stored = record(views=3)
    record_store.put(stored)
    assert claim(record_store, stored.secret_id) == 2
    assert record_store.get(stored.secret_id, now=NOW).views_left == 2
    assert claim(record_store, stored.secret_id) == 1
    assert claim(record_store, stored.secret_id) == 0
    assert claim(record_store, stored.secret_id) is None
    assert record_store.get(stored.secret_id, now=NOW) is None
    assert record_store.delete(stored.secret_id, now=NOW) is False


def test_a_claim_needs_a_reserved_attempt_and_gives_it_back(record_store):
    stored = record(views=3)
    record_store.put(stored)
    assert record_store.claim_view(stored.secret_id, now=NOW) is None
    reserved = record_store.reserve_attempt(stored.secret_id, now=NOW, limit=LIMIT)
    assert (reserved.failed_attempts, reserved.views_left) == (1, 3)
    assert record_store.claim_view(stored.secret_id, now=NOW) == 2
    assert record_store.get(stored.secret_id, now=NOW).failed_attempts == 0
    assert record_store.claim_view(stored.secret_id, now=NOW) is None  # one reservation, one view


def test_reservations_stop_at_the_limit_and_a_release_gives_one_back(record_store):
    stored = record(views=2)
    record_store.put(stored)
    counts = [record_store.reserve_attempt(stored.secret_id, now=NOW, limit=3) for _ in range(4)]
    assert [r.failed_attempts if r else None for r in counts] == [1, 2, 3, None]
    record_store.release_attempt(stored.secret_id)
    assert record_store.reserve_attempt(stored.secret_id, now=NOW, limit=3).failed_attempts == 3


def test_reserve_on_an_unknown_used_up_or_expired_id_is_none(record_store):
    used_up, expired = record(views=1), record(expires_at=NOW)
    for r in (used_up, expired):
        record_store.put(r)
    assert claim(record_store, used_up.secret_id) == 0
    for secret_id in (new_secret_id(), used_up.secret_id, expired.secret_id):
        assert record_store.reserve_attempt(secret_id, now=NOW, limit=LIMIT) is None


def test_destroy_deletes_only_a_record_out_of_attempts(record_store):
    stored = record(views=2)
    record_store.put(stored)
    record_store.reserve_attempt(stored.secret_id, now=NOW, limit=2)
    assert record_store.destroy(stored.secret_id, limit=2) is None
    record_store.reserve_attempt(stored.secret_id, now=NOW, limit=2)
    destroyed = record_store.destroy(stored.secret_id, limit=2)
    assert (destroyed.secret_id, destroyed.failed_attempts) == (stored.secret_id, 2)
    assert record_store.destroy(stored.secret_id, limit=2) is None
    assert record_store.get(stored.secret_id, now=NOW) is None


def test_burn_deletes_only_a_live_record(record_store):
    live, expired, used_up = record(views=2), record(expires_at=NOW), record(views=1)
    for r in (live, expired, used_up):
        record_store.put(r)
    # A burn that raced the last view: the reader's claim came first.
    assert record_store.reserve_attempt(used_up.secret_id, now=NOW, limit=LIMIT) is not None
    assert claim(record_store, used_up.secret_id) == 0
    assert record_store.delete(used_up.secret_id, now=NOW) is False
    assert record_store.delete(expired.secret_id, now=NOW) is False
    assert record_store.delete(live.secret_id, now=NOW) is True
    assert record_store.delete(live.secret_id, now=NOW) is False


def test_claim_unknown_is_none(record_store):
    assert record_store.claim_view(new_secret_id(), now=NOW) is None


def test_sweep_deletes_expired_only_and_returns_them(record_store):
    live, expired, expired_file = record(), record(expires_at=NOW - 5), record(expires_at=NOW, kind="file")
    for r in (live, expired, expired_file):
        record_store.put(r)
    swept = record_store.sweep_expired(now=NOW)
    assert {r.secret_id for r in swept} >= {expired.secret_id, expired_file.secret_id}
    assert live.secret_id not in {r.secret_id for r in swept}
    assert {r.kind for r in swept if r.secret_id == expired_file.secret_id} == {"file"}
    assert record_store.get(live.secret_id, now=NOW) == live
    assert record_store.sweep_expired(now=NOW) == []


def _claim(store, secret_id, now):
    return claim(store, secret_id, now)


@pytest.mark.parametrize("views", [1, 3])
def test_concurrent_claims_from_many_processes_take_exactly_the_views(backend, record_store, views):
    stored = record(views=views)
    record_store.put(stored)
    args = (backend["records"], stored.secret_id, NOW)
    outcomes = all_at_once(_claim, args, 8, prepare=built, method="spawn")
    assert sorted(o for o in outcomes if o is not None) == list(range(views))
    assert outcomes.count(None) == 8 - views
    assert record_store.get(stored.secret_id, now=NOW) is None


# -- blobs ----------------------------------------------------------------------


def write_blob(blob_store, blob_id, pieces):
    with blob_store.open_write(blob_id) as writer:
        for piece in pieces:
            writer.write(piece)
        return writer.commit()


def read_all(blob_store, blob_id) -> bytes:
    stream = blob_store.open_read(blob_id)
    try:
        parts = []
        while part := stream.read(1 << 20):
            parts.append(part)
        return b"".join(parts)
    finally:
        stream.close()


def test_blob_round_trip_in_many_pieces(blob_store):
    blob_id = new_secret_id()
    pieces = [os.urandom(1 << 20) for _ in range(12)] + [b"tail"]
    assert write_blob(blob_store, blob_id, pieces) == 12 * (1 << 20) + 4
    assert read_all(blob_store, blob_id) == b"".join(pieces)


def test_blob_is_not_readable_before_commit(blob_store):
    blob_id = new_secret_id()
    writer = blob_store.open_write(blob_id)
    writer.write(b"half")
    with pytest.raises(BlobNotFound):
        blob_store.open_read(blob_id)
    writer.commit()
    assert read_all(blob_store, blob_id) == b"half"


def test_aborted_blob_leaves_nothing(blob_store):
    blob_id = new_secret_id()
    with pytest.raises(RuntimeError), blob_store.open_write(blob_id) as writer:
        writer.write(b"x" * 1000)
        raise RuntimeError("client went away")
    with pytest.raises(BlobNotFound):
        blob_store.open_read(blob_id)
    assert blob_id not in set(blob_store.list_ids(older_than=time.time() + 3600))


@pytest.mark.parametrize("multipart", [False, True], ids=["one-piece", "multipart"])
def test_a_committed_blob_is_never_replaced(blob_store, multipart):
    # Large enough, in the second case, for a backend that uploads in parts to do so.
    piece = 1 << 20
    count = getattr(blob_store, "part_size", piece) // piece + 1 if multipart else 1
    blob_id = new_secret_id()
    first = [os.urandom(piece) for _ in range(count)]
    write_blob(blob_store, blob_id, first)
    writer = blob_store.open_write(blob_id)
    writer.write(b"another body" * count)
    with pytest.raises(BlobExists):
        writer.commit()
    assert read_all(blob_store, blob_id) == b"".join(first)
    writer.abort()  # harmless after a refused commit
    assert read_all(blob_store, blob_id) == b"".join(first)


def test_open_read_unknown_raises_blob_not_found(blob_store):
    with pytest.raises(BlobNotFound):
        blob_store.open_read(new_secret_id())


def test_delete_removes_and_tolerates_missing(blob_store):
    blob_id = new_secret_id()
    write_blob(blob_store, blob_id, [b"data"])
    blob_store.delete(blob_id)
    with pytest.raises(BlobNotFound):
        blob_store.open_read(blob_id)
    blob_store.delete(blob_id)
    blob_store.delete(new_secret_id())


def test_list_ids_respects_older_than(blob_store):
    blob_id = new_secret_id()
    write_blob(blob_store, blob_id, [b"data"])
    assert blob_id in set(blob_store.list_ids(older_than=time.time() + 3600))
    assert blob_id not in set(blob_store.list_ids(older_than=time.time() - 3600))


def test_empty_blob_round_trip(blob_store):
    blob_id = new_secret_id()
    assert write_blob(blob_store, blob_id, []) == 0
    assert read_all(blob_store, blob_id) == b""


def _reserve(store, secret_id, now):
    return store.reserve_attempt(secret_id, now=now, limit=3) is not None


def test_concurrent_reservations_from_many_processes_stop_at_the_limit(backend, record_store):
    stored = record(views=2)
    record_store.put(stored)
    outcomes = all_at_once(
        _reserve, (backend["records"], stored.secret_id, NOW), 8, prepare=built, method="spawn"
    )
    assert outcomes.count(True) == 3
    assert record_store.get(stored.secret_id, now=NOW).failed_attempts == 3
