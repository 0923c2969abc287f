"""
Attempts are reserved before any key is derived, so guesses in flight count
against the cap; a right passphrase gives its attempt back with the view; a
burn deletes only what is still live.
"""

import pytest

from sharing.domain import crypto
from sharing.domain.lifecycle import Lifecycle, Policy
from sharing.errors import SecretNotFound
from tests.support.lifecycle import read, upload

OWN = "a passphrase of my own"


@pytest.fixture
def watched(local_stores, clock):
    """A lifecycle whose scrypt runs are written down with the salt they were given."""
    records, blobs = local_stores
    salts = []

    def derive(passphrase, salt, n):
        salts.append(salt)
        return crypto.derive_key(passphrase, salt, n)

    life = Lifecycle(
        records=records,
        blobs=blobs,
        policy=Policy(kdf_n=1024, max_failed_attempts=3),
        clock=clock,
        derive=derive,
    )
    return life, salts


def test_the_attempt_is_reserved_before_the_key_is_derived(watched):
    life, _ = watched
    created = life.create_text(text="s", passphrase=OWN)
    seen = []
    real = life.derive

    def derive(passphrase, salt, n):
        seen.append(life.records.get(created.secret_id, now=life.clock()).failed_attempts)
        return real(passphrase, salt, n)

    life.derive = derive
    with pytest.raises(SecretNotFound):
        life.reveal(secret_id=created.secret_id, passphrase="a wrong guess here")
    assert life.reveal(secret_id=created.secret_id, passphrase=OWN).text == "s"
    assert seen == [1, 2]  # each counted before its derivation began
    assert life.records.get(created.secret_id, now=life.clock()) is None  # one view: gone


def test_guesses_in_flight_count_against_the_cap(watched):
    life, salts = watched
    created = life.create_text(text="s", passphrase=OWN, view_count=2)
    stored = life.records.get(created.secret_id, now=life.clock())
    for _ in range(3):  # three guesses deriving right now, across the cluster
        life.records.reserve_attempt(created.secret_id, now=life.clock(), limit=3)
    salts.clear()
    with pytest.raises(SecretNotFound):
        life.reveal(secret_id=created.secret_id, passphrase=OWN)
    assert stored.salt not in salts  # not one more derivation against the secret
    # The guesses in flight turn out right: their attempts come back with their views.
    life.records.release_attempt(created.secret_id)
    assert life.reveal(secret_id=created.secret_id, passphrase=OWN).views_left == 1


def test_a_right_passphrase_on_the_wrong_route_gives_its_attempt_back(watched):
    life, _ = watched
    created = life.create_text(text="s", passphrase=OWN)
    for _ in range(5):
        with pytest.raises(SecretNotFound):
            life.reveal(secret_id=created.secret_id, passphrase=OWN, kind="file")
    assert life.records.get(created.secret_id, now=life.clock()).failed_attempts == 0
    assert life.reveal(secret_id=created.secret_id, passphrase=OWN, kind="text").text == "s"


def test_a_burn_racing_the_last_view_answers_404_and_leaves_the_download_be(watched):
    life, _ = watched
    content = bytes(range(256)) * 2000
    created = life.create_file(upload=upload(life, content), passphrase=OWN)
    before = life.records.read_counts(now=life.clock(), days=1).totals
    downloading = life.reveal(secret_id=created.secret_id, passphrase=OWN)  # the last view, not yet read
    with pytest.raises(SecretNotFound):
        life.burn(secret_id=created.secret_id, passphrase=OWN)
    assert read(downloading) == content
    after = life.records.read_counts(now=life.clock(), days=1).totals
    changed = {name: after[name] - before[name] for name in after if after[name] != before[name]}
    assert changed == {"views": 1, "used_up": 1, "stored_bytes": -created_size(life, content)}
    assert list(life.blobs.list_ids(older_than=life.clock() + 3600)) == []


def created_size(life, content: bytes) -> int:
    chunks = -(-len(content) // crypto.CHUNK_BYTES) or 1
    return len(content) + chunks * crypto.TAG_BYTES


def test_a_burn_of_a_live_secret_counts_once_and_takes_the_body(watched):
    life, _ = watched
    created = life.create_file(upload=upload(life, b"burn me"), passphrase=OWN, view_count=3)
    before = life.records.read_counts(now=life.clock(), days=1).totals
    life.burn(secret_id=created.secret_id, passphrase=OWN)
    after = life.records.read_counts(now=life.clock(), days=1).totals
    changed = {name: after[name] - before[name] for name in after if after[name] != before[name]}
    assert changed == {"burned": 1, "stored_bytes": -created_size(life, b"burn me")}
    assert list(life.blobs.list_ids(older_than=life.clock() + 3600)) == []
