"""
End-to-end sealing: this machine encrypts, the server never sees the secret or the passphrase.

The format is the server's docs/e2e-format.md, implemented once in
``pysecrets_e2e`` (shipped beside this package) and by the web page, so a
secret made by either opens on the other. What travels: the sealed text or
file, a verifier at creation, and at reveal or burn a proof derived from the
passphrase; the passphrase and the content key stay here.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterator
from typing import BinaryIO

import pysecrets_e2e as fmt

from pysecrets_cli.api import Response, fail
from pysecrets_cli.errors import Missing, Trouble, Usage
from pysecrets_cli.links import segment
from pysecrets_cli.sealing import (
    NOT_FOUND,
    OPTION_NAMES,
    Created,
    Options,
    RevealedFile,
    RevealedText,
    Sealing,
)

ALTERED = (
    "The secret arrived but does not decrypt: it was altered on the way or in storage. "
    "The view it took is spent and nothing was kept."
)
NO_E2E = "The server does not offer end-to-end secrets; add --server-side to let it encrypt."
B = fmt.b64encode


class SealingReader:
    """A file-like view of ``source`` sealed chunk by chunk: what the upload reads instead of the file."""

    def __init__(self, source: BinaryIO, sealer: fmt.FileSealer, progress: Callable[[int], None]):
        self._source, self._sealer, self._progress = source, sealer, progress
        self._ready = bytearray()
        self._done = False

    def read(self, n: int) -> bytes:
        while len(self._ready) < n and not self._done:
            plain = self._source.read(fmt.CHUNK_BYTES)
            if plain:
                self._ready += self._sealer.update(plain)
                self._progress(len(plain))
            else:
                self._ready += self._sealer.finish()
                self._done = True
        out = bytes(self._ready[:n])
        del self._ready[:n]
        return out


def sealed_size(size: int) -> int:
    """Bytes of the sealed body of a ``size``-byte file: a 16-byte tag per chunk, at least one chunk."""
    return size + 16 * max(1, -(-size // fmt.CHUNK_BYTES))


class EndToEnd(Sealing):
    """This machine encrypts (the default): the server stores ciphertext it cannot open."""

    def _ticket(self) -> dict:
        response = self.api.send_json("POST", "/api/e2e/", {})
        if response.status != 201:
            fail(response, missing=NO_E2E, fields=OPTION_NAMES)
        ticket = response.json()
        if not all(isinstance(ticket.get(k), str) for k in ("secret_id", "text_url", "file_url")):
            raise Trouble("The server's answer lacks an id to seal the secret under.")
        return ticket

    @staticmethod
    def _passphrase(options: Options) -> str:
        if options.passphrase is None:
            return fmt.new_passphrase()
        try:
            fmt.check_own_passphrase(options.passphrase)
        except ValueError as e:
            raise Usage(f"That passphrase cannot be used: {e}.") from None
        return options.passphrase

    def _created(self, response: Response, passphrase: str) -> Created:
        if response.status != 201:
            fail(response, missing=NO_E2E, fields=OPTION_NAMES)
        body = response.json()
        try:
            return Created(
                secret_id=body["secret_id"],
                passphrase=passphrase,
                expires_at=body["expires_at"],
                receipt=body.get("receipt"),
                receipt_url=body.get("receipt_url"),
            )
        except KeyError as e:
            raise Trouble("The server's answer lacks the secret's id.") from e

    @staticmethod
    def _options(options: Options) -> dict:
        fields = {"view_count": options.views, "lifetime": options.lifetime}
        return {name: value for name, value in fields.items() if value is not None}

    def create_text(self, text: str, options: Options) -> Created:
        ticket = self._ticket()
        passphrase = self._passphrase(options)
        secret_id = ticket["secret_id"]
        keys = fmt.derive_keys(passphrase, secret_id=secret_id)
        sealed = fmt.seal_text(keys.content_key, text, secret_id=secret_id)
        verifier = fmt.verifier(keys.proof, fmt.sealed_digest(sealed))
        body = {"sealed": B(sealed), "verifier": B(verifier), **self._options(options)}
        return self._created(self.api.send_json("POST", ticket["text_url"], body), passphrase)

    def create_file(self, source, *, name, size, options, progress) -> Created:
        ticket = self._ticket()
        passphrase = self._passphrase(options)
        secret_id = ticket["secret_id"]
        keys = fmt.derive_keys(passphrase, secret_id=secret_id)
        sealer = fmt.FileSealer(keys.content_key, secret_id=secret_id)
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        # The size is known before reading, so the metadata goes ahead of the
        # body; a file that grows or shrinks meanwhile is refused on the way.
        meta = sealer.metadata(name=name, content_type=content_type, size=size)
        fields = {
            "sealed_metadata": B(meta),
            "verifier": B(fmt.verifier(keys.proof, fmt.sealed_digest(meta))),
            **{k: str(v) for k, v in self._options(options).items()},
        }
        reader = CountingReader(source, size)
        response = self.api.upload(
            ticket["file_url"],
            fields,
            file_name="sealed",
            source=SealingReader(reader, sealer, progress),
            size=sealed_size(size),
        )
        reader.check()
        return self._created(response, passphrase)

    def reveal(self, secret_id, passphrase):
        keys = self._keys(secret_id, passphrase)
        path = f"/api/e2e/{segment(secret_id)}/reveal/"
        response = self.api.send_json("POST", path, {"proof": B(keys.proof)})
        if response.status != 200:
            fail(response, missing=NOT_FOUND, fields=OPTION_NAMES)
        if response.headers.get_content_type() == "application/json":
            body = response.json()
            try:
                text = fmt.open_text(keys.content_key, fmt.b64decode(body["sealed"]), secret_id=secret_id)
            except (KeyError, ValueError, fmt.DecryptionFailed) as e:
                raise Trouble(ALTERED) from e
            return RevealedText(text=text, views_left=int(body.get("views_left", 0)))
        try:
            views_left = int(response.headers.get("X-Views-Left", "0"))
            meta = fmt.b64decode(response.headers.get("X-Sealed-Metadata", ""))
            opener = fmt.FileOpener(keys.content_key, meta, secret_id=secret_id)
        except (ValueError, fmt.DecryptionFailed) as e:
            response.close()
            raise Trouble(ALTERED) from e
        return RevealedFile(
            name=opener.metadata.name,
            size=opener.metadata.size,
            views_left=views_left,
            chunks=opened(opener, response.chunks()),
            close=response.close,
        )

    def burn(self, secret_id, passphrase):
        keys = self._keys(secret_id, passphrase)
        response = self.api.send_json(
            "POST", f"/api/e2e/{segment(secret_id)}/burn/", {"proof": B(keys.proof)}
        )
        if response.status != 204:
            fail(response, missing=NOT_FOUND, fields=OPTION_NAMES)
        response.close()

    @staticmethod
    def _keys(secret_id: str, passphrase: str) -> fmt.Keys:
        try:
            return fmt.derive_keys(passphrase, secret_id=secret_id)
        except ValueError:
            # Not an id's form: the server would not know it either.
            raise Missing(NOT_FOUND) from None


class CountingReader:
    """Reads ``source``, refusing to pass more than ``size`` bytes; ``check`` then wants exactly ``size``."""

    def __init__(self, source: BinaryIO, size: int):
        self._source, self._size, self._read = source, size, 0

    def read(self, n: int) -> bytes:
        data = self._source.read(n)
        self._read += len(data)
        if self._read > self._size:
            raise Usage("The file grew while it was being sent; send it again once it is complete.")
        return data

    def check(self) -> None:
        if self._read != self._size:
            raise Usage("The file shrank while it was being sent; send it again once it is complete.")


def opened(opener: fmt.FileOpener, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Plaintext as the sealed body arrives; the last piece only once the whole body proved genuine."""
    try:
        for chunk in chunks:
            plain = opener.feed(chunk)
            if plain:
                yield plain
        yield opener.finish()
    except fmt.DecryptionFailed as e:
        raise Trouble(ALTERED) from e
