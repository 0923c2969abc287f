"""
The counters part of the storage contract (sharing/stores/base.py), run against
every backend: per-day and total aggregates, added atomically with the state
change they count, exact under many processes.

A backend's table may be shared by the whole session, so every test compares
the counters before and after what it does.
"""

import datetime

import pytest

from sharing.stores.base import COUNTERS, RecordExists, Tally
from tests.support.backends import built
from tests.support.crowd import all_at_once
from tests.support.records import LIMIT, NOW, claim, record

DAY = 86400
TODAY = datetime.date(2030, 3, 17)  # the UTC day of NOW


class Counted:
    """The counters of ``store`` before a test's actions, to compare with after."""

    def __init__(self, store, now=NOW):
        self.store, self.now = store, now
        self.before = store.read_counts(now=now, days=1)

    def _after(self):
        return self.store.read_counts(now=self.now, days=1)

    def totals(self) -> dict:
        after = self._after().totals
        return {
            name: after[name] - self.before.totals[name]
            for name in COUNTERS
            if after[name] != self.before.totals[name]
        }

    def today(self) -> dict:
        (_, before), (_, after) = self.before.days[0], self._after().days[0]
        return {name: after[name] - before[name] for name in COUNTERS if after[name] != before[name]}


def test_read_counts_gives_every_counter_for_every_day_oldest_first(record_store):
    usage = record_store.read_counts(now=NOW, days=30)
    assert set(usage.totals) == set(COUNTERS)
    assert [day for day, _ in usage.days] == [TODAY - datetime.timedelta(days=n) for n in range(29, -1, -1)]
    assert all(set(counts) == set(COUNTERS) for _, counts in usage.days)
    assert all(type(n) is int for _, counts in usage.days for n in counts.values())


def test_add_counts_adds_to_the_day_and_the_totals(record_store):
    counted = Counted(record_store)
    record_store.add_counts({"views": 2, "stored_bytes": 1000}, now=NOW)
    record_store.add_counts({"views": 1, "stored_bytes": -400}, now=NOW + 60)
    assert counted.totals() == counted.today() == {"views": 3, "stored_bytes": 600}


def test_days_are_utc_days_and_stay_apart(record_store):
    midnight = datetime.datetime(2030, 3, 18, tzinfo=datetime.UTC).timestamp()
    before = record_store.read_counts(now=midnight, days=3)
    record_store.add_counts({"burned": 1}, now=midnight - 1)
    record_store.add_counts({"burned": 10}, now=midnight)
    record_store.add_counts({"burned": 100}, now=midnight - 2 * DAY)
    after = record_store.read_counts(now=midnight, days=3)
    changes = [a["burned"] - b["burned"] for (_, a), (_, b) in zip(after.days, before.days, strict=True)]
    assert [day.isoformat() for day, _ in after.days] == ["2030-03-16", "2030-03-17", "2030-03-18"]
    assert changes == [100, 1, 10]
    assert after.totals["burned"] - before.totals["burned"] == 111


def test_days_outside_the_window_still_count_in_the_totals(record_store):
    counted = Counted(record_store)
    record_store.add_counts({"expired": 5}, now=NOW - 40 * DAY)
    assert counted.totals() == {"expired": 5}
    assert counted.today() == {}


def test_unknown_counter_names_are_refused_and_nothing_is_counted(record_store):
    counted = Counted(record_store)
    with pytest.raises(ValueError):
        record_store.add_counts({"views": 1, "secret_HrVfOn1aoqKHeRKi": 1}, now=NOW)
    with pytest.raises(ValueError):
        record_store.add_counts({"views": 1.5}, now=NOW)
    assert counted.totals() == {}


def test_put_counts_its_tally_only_when_it_stores(record_store):
    counted = Counted(record_store)
    stored = record(kind="file", blob_size=4096)
    tally = Tally(NOW, {"created_file": 1, "stored_bytes": 4096})
    record_store.put(stored, tally=tally)
    with pytest.raises(RecordExists):
        record_store.put(record(secret_id=stored.secret_id), tally=tally)
    assert counted.totals() == counted.today() == {"created_file": 1, "stored_bytes": 4096}


def test_claims_count_views_and_only_the_last_counts_used_up(record_store):
    counted = Counted(record_store)
    stored = record(views=3, kind="file", blob_size=777)
    record_store.put(stored)
    tally = Tally(NOW, {"views": 1}, if_last={"used_up": 1, "stored_bytes": -777})
    assert claim(record_store, stored.secret_id, tally=tally) == 2
    assert counted.totals() == {"views": 1}
    claim(record_store, stored.secret_id, tally=tally)
    claim(record_store, stored.secret_id, tally=tally)
    assert claim(record_store, stored.secret_id, tally=tally) is None
    assert counted.totals() == counted.today() == {"views": 3, "used_up": 1, "stored_bytes": -777}


def test_a_claim_on_an_expired_record_counts_nothing(record_store):
    stored = record(views=2, expires_at=NOW)
    record_store.put(stored)
    counted = Counted(record_store)
    assert claim(record_store, stored.secret_id, tally=Tally(NOW, {"views": 1})) is None
    assert counted.totals() == {}


def test_a_reservation_counts_its_tally_if_it_reserves_and_writes_zeros_if_not(record_store):
    stored = record(views=2)
    record_store.put(stored)
    counted = Counted(record_store)
    tally = Tally(NOW, {"failed_attempts": 1})
    assert record_store.reserve_attempt(stored.secret_id, now=NOW, limit=LIMIT, tally=tally) is not None
    assert record_store.reserve_attempt(record().secret_id, now=NOW, limit=LIMIT, tally=tally) is None
    assert counted.totals() == counted.today() == {"failed_attempts": 1}


def test_release_destroy_and_burn_count_only_when_they_change(record_store):
    stored = record(views=2, kind="file", blob_size=50)
    record_store.put(stored)
    counted = Counted(record_store)
    record_store.release_attempt(stored.secret_id, tally=Tally(NOW, {"failed_attempts": -1}))
    record_store.reserve_attempt(stored.secret_id, now=NOW, limit=1)
    destroyed = Tally(NOW, {"destroyed": 1, "stored_bytes": -50})
    assert record_store.destroy(stored.secret_id, limit=1, tally=destroyed) is not None
    assert record_store.destroy(stored.secret_id, limit=1, tally=destroyed) is None
    assert record_store.delete(stored.secret_id, now=NOW, tally=Tally(NOW, {"burned": 1})) is False
    assert counted.totals() == {"destroyed": 1, "stored_bytes": -50}


def test_delete_counts_its_tally_only_when_it_deletes(record_store):
    stored = record()
    record_store.put(stored)
    counted = Counted(record_store)
    tally = Tally(NOW, {"burned": 1})
    assert record_store.delete(stored.secret_id, now=NOW, tally=tally) is True
    assert record_store.delete(stored.secret_id, now=NOW, tally=tally) is False
    assert counted.totals() == counted.today() == {"burned": 1}


def test_sweep_counts_the_sum_of_its_records_tallies(record_store):
    # Sweep whatever earlier tests left expired first, so only these three count.
    record_store.sweep_expired(now=NOW)
    live = record()
    gone = [
        record(expires_at=NOW - 5),
        record(expires_at=NOW, kind="file", blob_size=300),
        record(expires_at=NOW),
        # Left at 0 views by a last claim whose delete failed: counted as used up then, not again.
        record(expires_at=NOW, views=0, kind="file", blob_size=999),
    ]
    for r in (live, *gone):
        record_store.put(r)
    counted = Counted(record_store)
    swept = record_store.sweep_expired(now=NOW, tally=Tally(NOW, {"expired": 1}))
    assert {r.secret_id for r in swept} == {r.secret_id for r in gone}
    assert counted.totals() == counted.today() == {"expired": 3, "stored_bytes": -300}
    assert record_store.sweep_expired(now=NOW, tally=Tally(NOW, {"expired": 1})) == []
    assert counted.totals() == {"expired": 3, "stored_bytes": -300}


def test_check_answers_when_the_stores_work(record_store, blob_store):
    assert record_store.check() is None
    assert blob_store.check() is None


# -- many processes -------------------------------------------------------------

ROUNDS = 40


def _count(store):
    for _ in range(ROUNDS):
        store.add_counts({"views": 1, "stored_bytes": 3}, now=NOW)
    store.close()


def _claim_counted(store, secret_id):
    tally = Tally(NOW, {"views": 1}, if_last={"used_up": 1})
    result = claim(store, secret_id, tally=tally)
    store.close()
    return result


def test_counts_from_many_processes_add_up_exactly(backend, record_store):
    counted = Counted(record_store)
    all_at_once(_count, (backend["records"],), 8, prepare=built, method="spawn")
    assert counted.totals() == counted.today() == {"views": 8 * ROUNDS, "stored_bytes": 3 * 8 * ROUNDS}


def test_concurrent_claims_count_exactly_the_views_taken(backend, record_store):
    stored = record(views=3)
    record_store.put(stored)
    counted = Counted(record_store)
    args = (backend["records"], stored.secret_id)
    outcomes = all_at_once(_claim_counted, args, 8, prepare=built, method="spawn")
    assert sorted(o for o in outcomes if o is not None) == [0, 1, 2]
    assert counted.totals() == counted.today() == {"views": 3, "used_up": 1}


def test_a_tally_checks_itself_and_says_what_it_counts():
    with pytest.raises(ValueError, match="unknown counters: nope"):
        Tally(NOW, {"views": 1, "nope": 1})
    with pytest.raises(ValueError, match="whole numbers"):
        Tally(NOW, {"views": 1}, if_last={"used_up": 0.5})
    tally = Tally(NOW, {"views": 1, "failed_attempts": -1}, if_last={"used_up": 1, "stored_bytes": -777})
    assert str(tally) == "views +1, failed_attempts -1; if last: used_up +1, stored_bytes -777 on 2030-03-17"
    assert tally.counts() == {"views": 1, "failed_attempts": -1}
    assert tally.counts(last=True) == {"views": 1, "failed_attempts": -1, "used_up": 1, "stored_bytes": -777}
    assert tally.unchanged() == {"views": 0, "failed_attempts": 0}
    with pytest.raises(TypeError):
        tally.changes["views"] = 5  # a value: what was checked cannot change afterwards
