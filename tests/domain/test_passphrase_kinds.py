"""
Passphrase kinds: generated ones are keyed by HKDF, a person's own are
stretched by scrypt, the kind is told from the string alone, and records made
before kinds existed (version 1, scrypt 2^15, the old alphabet) still open.
"""

import sqlite3
import string

import pytest

from sharing.domain import crypto, passphrases
from sharing.domain.lifecycle import Lifecycle, Policy
from sharing.errors import InvalidInput, SecretNotFound
from sharing.stores.local import SCHEMA_VERSION, FileBlobStore, SQLiteRecordStore
from tests.support.lifecycle import read, upload
from tests.support.records import VERSION_1_SCHEMA

N = 1024


class Derivations:
    """Counts scrypt runs (the lifecycle's ``derive``) and HKDF runs, with the cost each asked for."""

    def __init__(self, monkeypatch):
        self.scrypt: list[int] = []
        self.hkdf = 0
        real_expand = crypto.expand_key

        def expand(passphrase, salt):
            self.hkdf += 1
            return real_expand(passphrase, salt)

        monkeypatch.setattr(crypto, "expand_key", expand)

    def derive(self, passphrase, salt, n):
        self.scrypt.append(n)
        return crypto.derive_key(passphrase, salt, n)


@pytest.fixture
def counted(monkeypatch):
    return Derivations(monkeypatch)


@pytest.fixture
def life(tmp_path, counted):
    records = SQLiteRecordStore(path=str(tmp_path / "r.db"))
    blobs = FileBlobStore(root=str(tmp_path / "blobs"))
    yield Lifecycle(records=records, blobs=blobs, policy=Policy(kdf_n=N), derive=counted.derive)
    records.close()


def test_generated_passphrases_have_the_form_and_are_told_apart_by_it():
    drawn = {passphrases.new_passphrase() for _ in range(500)}
    assert len(drawn) == 500
    for passphrase in drawn:
        assert len(passphrase) == 32 and set(passphrase) <= set(string.ascii_letters + string.digits + "-_")
        assert passphrases.kind_of(passphrase) == passphrases.GENERATED
    one = next(iter(drawn))
    # The original README's example has the form; anything longer, shorter or with other characters is own.
    assert passphrases.kind_of("iT95_B9p9PSMcP-hH9OGS81w9FZVTEpf") == passphrases.GENERATED
    for own in (
        one[:31],
        one + "A",
        one[:31] + "!",
        one[:31] + " ",
        "correct horse battery staple",
        "é" * 32,
    ):
        assert passphrases.kind_of(own) == passphrases.OWN


def test_a_generated_passphrase_is_keyed_by_hkdf_without_scrypt(life, counted):
    created = life.create_text(text="fast")
    stored = life.records.get(created.secret_id, now=life.clock())
    assert (stored.version, stored.kdf, stored.kdf_n) == (2, crypto.HKDF_SHA256, 0)
    assert life.reveal(secret_id=created.secret_id, passphrase=created.passphrase).text == "fast"
    assert (counted.scrypt, counted.hkdf) == ([], 2)


def test_an_own_passphrase_is_stretched_by_scrypt_at_the_policy_cost(life, counted):
    created = life.create_text(text="slow", passphrase="a passphrase of mine")
    stored = life.records.get(created.secret_id, now=life.clock())
    assert (stored.version, stored.kdf, stored.kdf_n) == (2, crypto.SCRYPT, N)
    assert life.reveal(secret_id=created.secret_id, passphrase="a passphrase of mine").text == "slow"
    assert (counted.scrypt, counted.hkdf) == ([N, N], 0)


def test_an_own_passphrase_of_the_generated_form_is_refused_at_create(life):
    with pytest.raises(InvalidInput) as refused:
        life.create_text(text="s", passphrase=passphrases.new_passphrase())
    assert refused.value.field == "passphrase"
    assert "form of a passphrase the service generates" in refused.value.detail
    with pytest.raises(InvalidInput):
        life.create_file(upload=upload(life, b"f"), passphrase=passphrases.new_passphrase())


def test_a_passphrase_against_a_record_of_the_other_kind_is_a_miss_of_its_own_kind(life, counted):
    generated = life.create_text(text="g")
    own = life.create_text(text="o", passphrase="my very own words")
    counted.scrypt.clear()
    counted.hkdf = 0
    with pytest.raises(SecretNotFound):
        life.reveal(secret_id=own.secret_id, passphrase=passphrases.new_passphrase())
    assert (counted.scrypt, counted.hkdf) == ([], 1)
    with pytest.raises(SecretNotFound):
        life.reveal(secret_id=generated.secret_id, passphrase="my very own words")
    assert (counted.scrypt, counted.hkdf) == ([N], 1)


def test_policy_refuses_a_cost_it_cannot_derive():
    with pytest.raises(ValueError):
        Policy(kdf_n=1000)


# -- records from before passphrase kinds ---------------------------------------------

# Sealed by the previous release (format version 1): scrypt at N=2^15 from a
# passphrase of its 32-character generated alphabet, which had symbols.
OLD_PASSPHRASE = "k#8V!q2@Zx_w9+Le$3T~rM=u5&Pn*Y?d"
OLD_SALT = bytes(range(100, 116))
OLD_TEXT = (
    "Qm7Tz2XkP9aLw4Rb",
    "38fe2e418c3d98382d5a3ffbce4a919fb4dc37ac00a6c099f964610aa4e1fc63ef6efe96db19ce5a4577653a28820d1ccbcbd7efc1c373b073d08747",
    "8b70b6e9c1c5b537888bdab95c92877d36e1ca619ed7a6e9677d6c5bf232bbe8f6bda5f27af1c8fa859aff4e7411b3a0",
)
OLD_FILE = (
    "Fm7Tz2XkP9aLw4Rb",
    "fb3ad2620c0a878ef9c983a4bf3cb926b61d7b241a87df2277cb8010ec1cc7af646bd912e6e611aa8df6087d6e7226a7797523f94f49e0e9e5807714",
    "0d399d5ab09411ffffffff028332465fccb461e0e36fc830ed69773f19a46ae5c42d8778e36d5a591eaa0651aac2fea6f47a1b685cdbe23eb757d2fa89914dcb6d4304e2abb96915a6dfaade80dcb56e82",
)
OLD_FILE_BODY = (
    "562673cf6a8213df79e274973db5f13f51fe6e8b1e37d42fb61a4e61"
    "69fa6eb3396759e8a43e2930362601abb83c6d9a99f94c038f4cdc"
)


def old_database(path, expires_at: int) -> None:
    db = sqlite3.connect(path)
    db.executescript(VERSION_1_SCHEMA)
    rows = [
        (
            sealed[0],
            kind,
            1,
            2**15,
            OLD_SALT,
            bytes.fromhex(sealed[1]),
            bytes.fromhex(sealed[2]),
            views,
            expires_at,
            size,
        )
        for sealed, kind, views, size in ((OLD_TEXT, "text", 2, 0), (OLD_FILE, "file", 1, 56))
    ]
    db.executemany(
        "INSERT INTO secrets (secret_id, kind, version, kdf_n, salt, wrapped_key, payload, views_left,"
        " expires_at, blob_size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.execute("INSERT INTO counters VALUES ('total', 'created_text', 7)")
    db.commit()
    db.close()


def test_version_1_records_in_an_old_database_still_open(tmp_path, counted):
    clock = 1_900_000_000
    old_database(tmp_path / "r.db", expires_at=clock + 3600)
    (tmp_path / "blobs").mkdir()
    (tmp_path / "blobs" / OLD_FILE[0]).write_bytes(bytes.fromhex(OLD_FILE_BODY))
    records = SQLiteRecordStore(path=str(tmp_path / "r.db"))
    life = Lifecycle(
        records=records,
        blobs=FileBlobStore(root=str(tmp_path / "blobs")),
        policy=Policy(kdf_n=N),
        clock=lambda: clock,
        derive=counted.derive,
    )
    with pytest.raises(SecretNotFound):
        life.reveal(secret_id=OLD_TEXT[0], passphrase="not the old passphrase")
    revealed = life.reveal(secret_id=OLD_TEXT[0], passphrase=OLD_PASSPHRASE)
    assert (revealed.text, revealed.views_left) == ("kept since version 1", 1)
    file = life.reveal(secret_id=OLD_FILE[0], passphrase=OLD_PASSPHRASE)
    assert (file.name, file.views_left) == ("old.txt", 0)
    assert read(file) == b"v1 file body " * 3
    # Each try of a version 1 record derived at the cost it carries.
    assert counted.scrypt == [2**15, 2**15, 2**15] and counted.hkdf == 0
    assert records.read_counts(now=clock).totals["created_text"] == 7
    records.close()
    db = sqlite3.connect(tmp_path / "r.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    # The text, still live; the file, used up, left a tombstone.
    assert db.execute("SELECT kdf, ended FROM secrets ORDER BY ended").fetchall() == [
        ("scrypt", ""),
        ("scrypt", "used_up"),
    ]
