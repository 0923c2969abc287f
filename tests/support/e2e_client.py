"""What an end-to-end client sends, built with the format module (cli/pysecrets_e2e.py)."""

from dataclasses import dataclass

import pysecrets_e2e as e2e

B = e2e.b64encode


@dataclass
class Sealed:
    """One secret sealed on the client: the body to post, and what only the client knows."""

    secret_id: str
    passphrase: str
    keys: e2e.Keys
    body: dict  # the create request's fields (a file's body travels beside them)
    sealed_body: bytes = b""

    @property
    def proof(self) -> dict:
        return {"proof": B(self.keys.proof)}


def seal_text(ticket: dict, text: str, *, passphrase: str | None = None, **options) -> Sealed:
    passphrase = passphrase or e2e.new_passphrase()
    secret_id = ticket["secret_id"]
    keys = e2e.derive_keys(passphrase, secret_id=secret_id)
    sealed = e2e.seal_text(keys.content_key, text, secret_id=secret_id)
    verifier = e2e.verifier(keys.proof, e2e.sealed_digest(sealed))
    return Sealed(secret_id, passphrase, keys, {"sealed": B(sealed), "verifier": B(verifier), **options})


def seal_file(
    ticket: dict, content: bytes, *, name="notes.txt", content_type="text/plain", **options
) -> Sealed:
    passphrase = e2e.new_passphrase()
    secret_id = ticket["secret_id"]
    keys = e2e.derive_keys(passphrase, secret_id=secret_id)
    sealer = e2e.FileSealer(keys.content_key, secret_id=secret_id)
    body = sealer.update(content)
    last, meta = sealer.finalize(name=name, content_type=content_type)
    verifier = e2e.verifier(keys.proof, e2e.sealed_digest(meta))
    fields = {"sealed_metadata": B(meta), "verifier": B(verifier), **options}
    return Sealed(secret_id, passphrase, keys, fields, body + last)


def open_text(sealed: Sealed, answer: dict) -> str:
    return e2e.open_text(sealed.keys.content_key, e2e.b64decode(answer["sealed"]), secret_id=sealed.secret_id)


def open_file(sealed: Sealed, metadata_header: str, body: bytes) -> tuple[e2e.FileMetadata, bytes]:
    opener = e2e.FileOpener(
        sealed.keys.content_key, e2e.b64decode(metadata_header), secret_id=sealed.secret_id
    )
    plain = opener.feed(body) + opener.finish()
    return opener.metadata, plain
