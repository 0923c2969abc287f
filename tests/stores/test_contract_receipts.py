"""
Receipts in the storage contract, on every backend: a record is found by its
receipt's hash, remembers its views, and when it ends (last view, burn,
destruction) leaves a tombstone without key material until its original
expiry, which reads as absent everywhere but ``find_receipt``.
"""

import hashlib
import os

from sharing.domain.lifecycle import new_secret_id
from sharing.stores.base import RecordExists, Tally
from tests.support.records import NOW, record

LIMIT = 10


def receipt_hash() -> str:
    return hashlib.sha256(os.urandom(24)).hexdigest()


def with_receipt(views=2, **fields):
    return record(views=views, view_count=views, created_at=NOW - 60, receipt_hash=receipt_hash(), **fields)


def claim(store, secret_id, now=NOW):
    if store.reserve_attempt(secret_id, now=now, limit=LIMIT) is None:
        return None
    return store.claim_view(secret_id, now=now)


def assert_tombstone(found, ended):
    assert found.ended == ended
    assert (found.salt, found.wrapped_key, found.payload) == (b"", b"", b"")
    assert found.views_left == 0


def test_a_record_is_found_by_its_receipt_and_by_nothing_else(record_store):
    stored = with_receipt()
    plain = record()  # made without a receipt (the original API)
    record_store.put(stored)
    record_store.put(plain)
    assert record_store.find_receipt(stored.receipt_hash, now=NOW) == stored
    assert record_store.find_receipt(receipt_hash(), now=NOW) is None
    assert record_store.find_receipt("", now=NOW) is None  # no receipt matches the records without one


def test_views_are_remembered_and_the_last_leaves_a_tombstone(record_store):
    stored = with_receipt(views=2)
    record_store.put(stored)
    assert claim(record_store, stored.secret_id, now=NOW + 5) == 1
    found = record_store.find_receipt(stored.receipt_hash, now=NOW + 6)
    assert (found.ended, found.views_taken, found.last_viewed_at, found.views_left) == ("", 1, NOW + 5, 1)
    assert claim(record_store, stored.secret_id, now=NOW + 7) == 0
    found = record_store.find_receipt(stored.receipt_hash, now=NOW + 8)
    assert_tombstone(found, "used_up")
    assert (found.views_taken, found.last_viewed_at, found.view_count) == (2, NOW + 7, 2)
    assert (found.created_at, found.expires_at) == (stored.created_at, stored.expires_at)
    # Gone for everything else: no read, no attempt, no claim, no burn, and its id stays taken.
    assert record_store.get(stored.secret_id, now=NOW + 8) is None
    assert record_store.reserve_attempt(stored.secret_id, now=NOW + 8, limit=LIMIT) is None
    assert record_store.claim_view(stored.secret_id, now=NOW + 8) is None
    assert record_store.delete(stored.secret_id, now=NOW + 8) is False
    try:
        record_store.put(record(secret_id=stored.secret_id))
        raise AssertionError("an id held by a tombstone was given out again")
    except RecordExists:
        pass


def test_a_burn_leaves_a_burned_tombstone(record_store):
    stored = with_receipt(views=3, kind="file", blob_size=4096)
    record_store.put(stored)
    assert claim(record_store, stored.secret_id) == 2
    assert record_store.delete(stored.secret_id, now=NOW) is True
    found = record_store.find_receipt(stored.receipt_hash, now=NOW)
    assert_tombstone(found, "burned")
    assert (found.views_taken, found.view_count) == (1, 3)
    assert record_store.delete(stored.secret_id, now=NOW) is False


def test_destruction_leaves_a_destroyed_tombstone(record_store):
    stored = with_receipt()
    record_store.put(stored)
    for _ in range(2):
        record_store.reserve_attempt(stored.secret_id, now=NOW, limit=2)
    assert record_store.destroy(stored.secret_id, limit=2) is not None
    assert_tombstone(record_store.find_receipt(stored.receipt_hash, now=NOW), "destroyed")


def test_a_receipt_ends_at_the_original_expiry_and_the_sweep_takes_tombstones_uncounted(record_store):
    stored = with_receipt(views=1, expires_at=NOW + 100)
    record_store.put(stored)
    assert claim(record_store, stored.secret_id) == 0
    assert record_store.find_receipt(stored.receipt_hash, now=NOW + 99).ended == "used_up"
    assert record_store.find_receipt(stored.receipt_hash, now=NOW + 100) is None
    before = record_store.read_counts(now=NOW + 100).totals
    swept = record_store.sweep_expired(now=NOW + 100, tally=Tally(NOW + 100, {"expired": 1}))
    assert stored.secret_id in {r.secret_id for r in swept}
    assert record_store.read_counts(now=NOW + 100).totals == before  # counted as used up already
    assert record_store.find_receipt(stored.receipt_hash, now=NOW) is None  # physically gone too


def test_a_live_record_expired_reads_as_absent_to_its_receipt(record_store):
    stored = with_receipt(expires_at=NOW + 10)
    record_store.put(stored)
    assert record_store.find_receipt(stored.receipt_hash, now=NOW + 10) is None


def test_unknown_ids_have_no_tombstones(record_store):
    assert record_store.delete(new_secret_id(), now=NOW) is False
