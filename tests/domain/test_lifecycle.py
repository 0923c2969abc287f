"""The lifecycle rules, on real local stores, with a controlled clock."""

import string

import pytest

from sharing.domain import crypto, passphrases
from sharing.domain.lifecycle import (
    Lifecycle,
    Policy,
    is_secret_id,
    new_secret_id,
)
from sharing.errors import InvalidInput, PayloadTooLarge, SecretNotFound, StorageUnavailable
from sharing.stores.local import FileBlobStore, SQLiteRecordStore
from tests.support.lifecycle import read, upload


def test_generated_id_and_passphrase_have_the_published_formats(life):
    created = life.create_text(text="s")
    assert is_secret_id(created.secret_id)
    assert len(created.passphrase) == 32 and set(created.passphrase) <= set(
        string.ascii_letters + string.digits + "-_"
    )
    assert passphrases.is_generated(created.passphrase)


def test_views_run_out_then_one_404(life):
    created = life.create_text(text="twice", view_count=2)
    first = life.reveal(secret_id=created.secret_id, passphrase=created.passphrase)
    second = life.reveal(secret_id=created.secret_id, passphrase=created.passphrase)
    assert (first.text, first.views_left, second.text, second.views_left) == ("twice", 1, "twice", 0)
    with pytest.raises(SecretNotFound):
        life.reveal(secret_id=created.secret_id, passphrase=created.passphrase)


def test_wrong_passphrase_consumes_nothing(life):
    created = life.create_text(text="once", view_count=1)
    for _ in range(3):
        with pytest.raises(SecretNotFound):
            life.reveal(secret_id=created.secret_id, passphrase="not the passphrase at all")
    assert life.reveal(secret_id=created.secret_id, passphrase=created.passphrase).text == "once"


def test_expired_secret_is_gone_while_its_record_is_still_stored(life, clock):
    created = life.create_text(text="brief", lifetime=300)
    clock.now += 299
    assert life.records.get(created.secret_id, now=clock.now) is not None
    clock.now += 1
    with pytest.raises(SecretNotFound):
        life.reveal(secret_id=created.secret_id, passphrase=created.passphrase)
    # The row is still in the table: expiry is enforced on read, not by deletion.
    assert [r.secret_id for r in life.records.sweep_expired(now=clock.now)] == [created.secret_id]


def test_default_lifetime_is_the_longest(life, clock):
    created = life.create_text(text="s")
    assert created.expires_at == int(clock.now) + 5 * 86400


def test_own_passphrase(life):
    created = life.create_text(text="mine", passphrase="my own long passphrase")
    assert created.passphrase == "my own long passphrase"
    assert life.reveal(secret_id=created.secret_id, passphrase="my own long passphrase").text == "mine"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"view_count": 0}, "view_count"),
        ({"view_count": 11}, "view_count"),
        ({"lifetime": 299}, "lifetime"),
        ({"lifetime": 5 * 86400 + 1}, "lifetime"),
        ({"passphrase": "short"}, "passphrase"),
    ],
)
def test_rules_are_enforced_whoever_calls(life, options, field):
    with pytest.raises(InvalidInput) as caught:
        life.create_text(text="s", **options)
    assert caught.value.field == field


def test_text_limit_is_in_bytes(life):
    life.create_text(text="é" * (64 * 1024 // 2))
    with pytest.raises(PayloadTooLarge):
        life.create_text(text="é" * (64 * 1024 // 2 + 1))


def test_burn_needs_the_passphrase_and_deletes_at_once(life):
    created = life.create_text(text="burn me", view_count=5)
    with pytest.raises(SecretNotFound):
        life.burn(secret_id=created.secret_id, passphrase="wrong passphrase here")
    life.burn(secret_id=created.secret_id, passphrase=created.passphrase)
    with pytest.raises(SecretNotFound):
        life.reveal(secret_id=created.secret_id, passphrase=created.passphrase)


def test_kind_mismatch_is_not_found(life):
    created = life.create_text(text="a text")
    with pytest.raises(SecretNotFound):
        life.reveal(secret_id=created.secret_id, passphrase=created.passphrase, kind="file")
    assert (
        life.reveal(secret_id=created.secret_id, passphrase=created.passphrase, kind="text").text == "a text"
    )


def test_malformed_ids_are_not_found(life):
    for bad in ["", "short", "../../etc/passwd", "x" * 17, "HrVfOn1aoqKHeRK!"]:
        with pytest.raises(SecretNotFound):
            life.reveal(secret_id=bad, passphrase="whatever passphrase")


def test_file_round_trip_and_the_last_view_deletes_the_blob(life):
    content = bytes(range(256)) * 4000  # 1 MB: several chunks
    created = life.create_file(upload=upload(life, content), view_count=2)
    first = life.reveal(secret_id=created.secret_id, passphrase=created.passphrase)
    assert (first.name, first.size, first.views_left) == ("notes.txt", len(content), 1)
    assert read(first) == content
    assert list(life.blobs.list_ids(older_than=life.clock() + 3600)) == [created.secret_id]
    second = life.reveal(secret_id=created.secret_id, passphrase=created.passphrase)
    assert second.views_left == 0 and read(second) == content
    assert list(life.blobs.list_ids(older_than=life.clock() + 3600)) == []


def test_last_view_deletes_the_blob_even_if_never_read(life):
    created = life.create_file(upload=upload(life, b"abc"))
    revealed = life.reveal(secret_id=created.secret_id, passphrase=created.passphrase)
    revealed.content.close()
    assert list(life.blobs.list_ids(older_than=life.clock() + 3600)) == []


def test_blob_holds_no_plaintext(life, tmp_path):
    canary = b"CANARY-PLAINTEXT-7f3a" * 1000
    life.create_file(upload=upload(life, canary, name="canary-name.txt"))
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"CANARY-PLAINTEXT" not in data and b"canary-name" not in data


def test_tampered_blob_is_not_found_and_spends_no_view(life, tmp_path):
    created = life.create_file(upload=upload(life, b"x" * 5000), view_count=1)
    path = tmp_path / "blobs" / created.secret_id
    data = bytearray(path.read_bytes())
    data[100] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(SecretNotFound):
        life.reveal(secret_id=created.secret_id, passphrase=created.passphrase)
    assert life.records.get(created.secret_id, now=life.clock()).views_left == 1


def test_record_of_another_secret_cannot_be_passed_off(life):
    a = life.create_text(text="from a", passphrase="shared passphrase 1")
    b = life.create_text(text="from b", passphrase="shared passphrase 1")
    stolen = life.records.get(a.secret_id, now=life.clock())
    # b's id stays taken by its tombstone once burned, so the copy goes under an id of its own.
    elsewhere = new_secret_id()
    life.records.put(stolen.__class__(**{**stolen.__dict__, "secret_id": elsewhere}))
    with pytest.raises(SecretNotFound):
        life.reveal(secret_id=elsewhere, passphrase="shared passphrase 1")
    assert life.reveal(secret_id=b.secret_id, passphrase="shared passphrase 1").text == "from b"


def test_oversized_upload_is_refused_and_leaves_nothing(tmp_path, clock):
    records = SQLiteRecordStore(path=str(tmp_path / "r.db"))
    blobs = FileBlobStore(root=str(tmp_path / "blobs"))
    small = Lifecycle(
        records=records, blobs=blobs, policy=Policy(kdf_n=1024, max_file_bytes=10_000), clock=clock
    )
    file = small.begin_file()
    file.write(b"x" * 9000)
    with pytest.raises(PayloadTooLarge):
        file.write(b"x" * 2000)
    assert list((tmp_path / "blobs").iterdir()) == []


def test_a_create_that_draws_a_taken_id_fails_and_leaves_the_other_secret_whole(life, monkeypatch):
    text = life.create_text(text="a text's id")
    file = life.create_file(upload=upload(life, b"a file's body"), view_count=2)
    monkeypatch.setattr("sharing.domain.lifecycle.new_secret_id", lambda: file.secret_id)
    with pytest.raises(StorageUnavailable):
        upload(life, b"a late body")  # the body has an owner: refused as it is committed
    monkeypatch.setattr("sharing.domain.lifecycle.new_secret_id", lambda: text.secret_id)
    late = upload(life, b"a late body")  # a text has no body: refused as its record is put
    with pytest.raises(StorageUnavailable):
        life.create_file(upload=late)
    late.discard()  # what the view does with an upload that made no secret
    with pytest.raises(StorageUnavailable):
        life.create_text(text="a late text")
    assert life.reveal(secret_id=text.secret_id, passphrase=text.passphrase).text == "a text's id"
    assert read(life.reveal(secret_id=file.secret_id, passphrase=file.passphrase)) == b"a file's body"
    assert set(life.blobs.list_ids(older_than=life.clock() + 3600)) == {file.secret_id}


def test_upload_never_claimed_is_discarded(life):
    file = upload(life, b"abandoned")
    file.discard()
    assert list(life.blobs.list_ids(older_than=life.clock() + 3600)) == []


def test_sweep_removes_expired_records_their_blobs_and_old_orphans(life, clock, tmp_path):
    life.create_text(text="t", lifetime=300)
    file = life.create_file(upload=upload(life, b"f"), lifetime=300)
    keep = life.create_file(upload=upload(life, b"k"))
    orphan = upload(life, b"orphan")  # a blob whose record was never written
    clock.now += 301
    assert life.sweep(grace_seconds=0) == (2, 1)
    remaining = set(life.blobs.list_ids(older_than=life.clock() + 3600))
    assert remaining == {keep.secret_id}
    assert orphan.secret_id not in remaining and file.secret_id not in remaining
    assert life.records.sweep_expired(now=clock.now) == []


def test_sweep_spares_young_blobs_that_may_be_uploads_in_progress(life):
    in_progress = upload(life, b"just arrived")
    assert life.sweep(grace_seconds=3600) == (0, 0)
    assert set(life.blobs.list_ids(older_than=life.clock() + 3600)) == {in_progress.secret_id}


def test_damage_past_the_first_chunk_stops_the_stream_without_wrong_bytes(life, tmp_path):
    content = bytes(range(256)) * 4096  # 1 MiB: four chunks
    created = life.create_file(upload=upload(life, content))
    path = tmp_path / "blobs" / created.secret_id
    data = bytearray(path.read_bytes())
    data[-100] ^= 1  # inside the last chunk
    path.write_bytes(bytes(data))
    revealed = life.reveal(secret_id=created.secret_id, passphrase=created.passphrase)
    received = b""
    with pytest.raises(crypto.DecryptionFailed):
        for chunk in revealed.content:
            received += chunk
    revealed.content.close()
    assert content.startswith(received) and len(received) < len(content)


def test_too_many_wrong_passphrases_destroy_the_secret(life):
    created = life.create_file(upload=upload(life, b"guarded"), view_count=3)
    for _ in range(life.policy.max_failed_attempts - 1):
        with pytest.raises(SecretNotFound):
            life.reveal(secret_id=created.secret_id, passphrase="a wrong guess here")
    revealed = life.reveal(secret_id=created.secret_id, passphrase=created.passphrase)
    assert read(revealed) == b"guarded"  # one short of the limit, the holder still gets in
    with pytest.raises(SecretNotFound):
        life.reveal(secret_id=created.secret_id, passphrase="the last wrong guess")
    with pytest.raises(SecretNotFound):
        life.reveal(secret_id=created.secret_id, passphrase=created.passphrase)
    assert list(life.blobs.list_ids(older_than=life.clock() + 3600)) == []
