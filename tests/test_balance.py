"""The table of connections per worker that balances new connections (secrets_site/gunicorn_worker.py)."""

import os

from secrets_site.gunicorn_worker import Balance


def test_slots_are_claimed_once_and_freed_for_the_next_worker():
    balance = Balance()
    first, second = balance.claim(), balance.claim()
    assert first != second
    balance.release(first)
    assert balance.claim() == first
    balance.release(None)  # a worker that got no slot releases nothing


def test_fewest_elsewhere_counts_only_other_workers_that_accept():
    balance = Balance()
    mine, other = balance.claim(), balance.claim()
    balance.claim()  # a third worker, still booting
    assert balance.fewest_elsewhere(mine) is None  # the others have not started accepting
    balance.publish(mine, 0)
    balance.publish(other, 5)
    assert balance.fewest_elsewhere(mine) == 5  # not its own 0, not the booting worker's
    assert balance.fewest_elsewhere(other) == 0
    balance.release(other)
    assert balance.fewest_elsewhere(mine) is None


def test_a_full_table_leaves_a_worker_unbalanced_rather_than_sharing_a_slot():
    balance = Balance()
    slots = {balance.claim() for _ in range(Balance.SLOTS)}
    assert len(slots) == Balance.SLOTS
    assert balance.claim() is None


def test_counts_are_shared_with_forked_processes():
    balance = Balance()
    mine, child_slot = balance.claim(), balance.claim()
    pid = os.fork()
    if pid == 0:  # the child publishes; the parent must see it
        balance.publish(child_slot, 7)
        os._exit(0)
    os.waitpid(pid, 0)
    assert balance.fewest_elsewhere(mine) == 7
