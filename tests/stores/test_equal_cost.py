"""
What a miss costs depends only on what the caller sends, on every backend.

For each kind of passphrase a guesser may send, a reveal and a burn of an
unknown id, of a live secret with the wrong passphrase, of a used-up one, of
an expired one, of a record of the other passphrase kind and of a malformed
id must make the same store calls, the same storage operations (SQL
statements and commits on SQLite, API calls on DynamoDB) and the same key
derivations. The benchmark measures the time; this proves the work.
"""

import re
import time

import pytest

from sharing.domain import crypto, passphrases
from sharing.domain.lifecycle import Lifecycle, Policy, new_secret_id
from sharing.errors import SecretNotFound

N = 1024
OWN = "the passphrase I chose"


class Recorded:
    """A store whose method calls are written down (names only), then passed on."""

    def __init__(self, store, log: list):
        self._store, self._log = store, log

    def __getattr__(self, name):
        attribute = getattr(self._store, name)
        if not callable(attribute):
            return attribute

        def call(*args, **kwargs):
            self._log.append(f"{type(self._store).__name__}.{name}")
            return attribute(*args, **kwargs)

        return call


_LITERALS = re.compile(r"'[^']*'|X'[0-9A-Fa-f]*'|\b\d+(\.\d+)?\b")


class Work:
    """Everything a lifecycle step does below the domain: store calls, storage operations, derivations."""

    def __init__(self, records, blobs, monkeypatch):
        self.calls: list[str] = []
        self.storage: list[str] = []
        self.derivations: list[str] = []
        self.watching = False
        real_expand = crypto.expand_key

        def expand(passphrase, salt):
            self.derivations.append("hkdf")
            return real_expand(passphrase, salt)

        monkeypatch.setattr(crypto, "expand_key", expand)
        if hasattr(records, "client"):  # DynamoDB: every API call, with what it asks for
            records.client.meta.events.register("before-call.dynamodb", self._api_call)
        else:  # SQLite: every statement, values blanked, on this thread's connection
            records._connections.get().set_trace_callback(self._statement)
        self.life = Lifecycle(
            records=Recorded(records, self.calls),
            blobs=Recorded(blobs, self.calls),
            policy=Policy(kdf_n=N),
            derive=self._scrypt,
        )

    def _scrypt(self, passphrase, salt, n):
        self.derivations.append(f"scrypt {n}")
        return crypto.derive_key(passphrase, salt, n)

    def _api_call(self, params, model, **kwargs):
        if self.watching:
            shape = {name: value for name, value in params.items() if name.endswith("Expression")}
            self.storage.append(f"{model.name} {sorted(params)} {shape}")

    def _statement(self, sql: str):
        if self.watching:
            self.storage.append(_LITERALS.sub("?", sql))

    def of(self, step) -> tuple:
        """The work ``step`` does, which must end in the one ``SecretNotFound``."""
        self.calls.clear(), self.storage.clear(), self.derivations.clear()
        self.watching = True
        try:
            with pytest.raises(SecretNotFound):
                step()
        finally:
            self.watching = False
        return list(self.calls), list(self.storage), list(self.derivations)


@pytest.fixture
def work(record_store, blob_store, monkeypatch):
    return Work(record_store, blob_store, monkeypatch)


def misses(life, guess: str) -> dict:
    """Every way ``guess`` can miss, each on a secret made for it."""
    generated = life.create_text(text="g", view_count=2)
    own = life.create_text(text="o", view_count=2, passphrase=OWN)
    same_kind = generated if passphrases.is_generated(guess) else own
    other_kind = own if same_kind is generated else generated
    used_up = life.create_text(text="u", passphrase=None if same_kind is generated else OWN)
    life.reveal(secret_id=used_up.secret_id, passphrase=used_up.passphrase)
    expired = life.create_text(text="e", lifetime=300, passphrase=None if same_kind is generated else OWN)
    return {
        "unknown id": new_secret_id(),
        "malformed id": "../../etc/passwd",
        "wrong passphrase": same_kind.secret_id,
        "used up": used_up.secret_id,
        "expired": expired.secret_id,
        "other kind": other_kind.secret_id,
    }


@pytest.mark.parametrize("guess", ["generated", "own"])
@pytest.mark.parametrize("action", ["reveal", "burn"])
def test_every_miss_does_the_same_work(work, monkeypatch, guess, action):
    sent = passphrases.new_passphrase() if guess == "generated" else "a wrong guess of mine"
    cases = misses(work.life, sent)
    # Expired by the clock, not by waiting: every case runs at this moment.
    later = time.time() + 301
    monkeypatch.setattr(work.life, "clock", lambda: later)
    step = getattr(work.life, action)
    done = {
        case: work.of(lambda sid=sid: step(secret_id=sid, passphrase=sent)) for case, sid in cases.items()
    }

    expected = done["unknown id"]
    calls, storage, derivations = expected
    assert [call.split(".")[1] for call in calls] == ["reserve_attempt"]
    # The reservation writes whether or not the id exists: one committed
    # transaction with the counters in it, or one conditional update and the
    # two counter updates.
    if calls[0].startswith("SQLite"):
        assert storage[:2] == ["PRAGMA synchronous=NORMAL", "BEGIN IMMEDIATE"] and storage[-1] == "COMMIT"
        assert any(statement.startswith("INSERT INTO counters") for statement in storage)
    else:
        assert [operation.split()[0] for operation in storage] == ["UpdateItem"] * 3
    assert derivations == (["hkdf"] if guess == "generated" else [f"scrypt {N}"])
    for case, did in done.items():
        assert did == expected, case
