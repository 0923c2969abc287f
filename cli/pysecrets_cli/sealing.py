"""
How a secret is sealed on the way out and opened on the way back.

``Sealing`` states the contract every way of sealing keeps; the commands in
``main`` speak only to it. ``ServerSide`` hands plaintext to the server over
TLS and lets the server encrypt, through the resource API. Another way (the
sender's machine encrypting before anything leaves it) plugs in as one more
subclass, without touching the commands.
"""

from __future__ import annotations

import email.message
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import unquote

from pysecrets_cli.api import Api, fail
from pysecrets_cli.errors import Trouble
from pysecrets_cli.links import segment

NOT_FOUND = (
    "No secret with this id and passphrase: it never existed, the passphrase is wrong, "
    "or it was used up, burned or expired."
)

# The server's input names, as the options a person typed.
OPTION_NAMES = {
    "view_count": "--views",
    "lifetime": "--expires",
    "passphrase": "passphrase",
    "secret": "the text",
    "file": "the file",
}


@dataclass(frozen=True)
class Options:
    """What the sender chose; ``None`` leaves the server's default."""

    views: int | None = None
    lifetime: int | None = None
    passphrase: str | None = None  # the sender's own; otherwise the server generates one


@dataclass(frozen=True)
class Created:
    secret_id: str
    passphrase: str  # the generated one, or the sender's own
    expires_at: str
    receipt: str | None = None
    receipt_url: str | None = None


@dataclass(frozen=True)
class RevealedText:
    text: str
    views_left: int


@dataclass
class RevealedFile:
    """A file being received: ``chunks`` yields its bytes as they arrive, exactly ``size`` of them."""

    name: str
    size: int
    views_left: int
    chunks: Iterator[bytes]
    close: Callable[[], None] = field(default=lambda: None)


class Sealing:
    """
    One way of sealing. Every method talks to ``api``'s server and raises the
    errors of ``pysecrets_cli.errors``: ``Missing`` when there is nothing to
    open, ``Usage`` for input the server refuses, ``Trouble`` otherwise.
    """

    def __init__(self, api: Api):
        self.api = api

    def create_text(self, text: str, options: Options) -> Created:
        """Share ``text``; return what the receiver needs."""
        raise NotImplementedError(".create_text() must be overridden")

    def create_file(
        self, source: BinaryIO, *, name: str, size: int, options: Options, progress: Callable[[int], None]
    ) -> Created:
        """Share ``size`` bytes read from ``source`` as the file ``name``, in constant memory."""
        raise NotImplementedError(".create_file() must be overridden")

    def reveal(self, secret_id: str, passphrase: str) -> RevealedText | RevealedFile:
        """Take one view. A file comes back as a stream that the caller must read or close."""
        raise NotImplementedError(".reveal() must be overridden")

    def burn(self, secret_id: str, passphrase: str) -> None:
        """Delete the secret now."""
        raise NotImplementedError(".burn() must be overridden")


class ServerSide(Sealing):
    """The server encrypts: plaintext and passphrase travel to it (over TLS) and no further."""

    def create_text(self, text: str, options: Options) -> Created:
        response = self.api.send_json("POST", "/api/text/", {"secret": text, **create_fields(options)})
        return self._created(response)

    def create_file(self, source, *, name, size, options, progress) -> Created:
        fields = {k: str(v) for k, v in create_fields(options).items()}
        response = self.api.upload(
            "/api/files/", fields, file_name=name, source=source, size=size, progress=progress
        )
        return self._created(response)

    def _created(self, response) -> Created:
        if response.status != 201:
            fail(
                response,
                missing="The server has no such API; is this a pysecrets server?",
                fields=OPTION_NAMES,
            )
        body = response.json()
        try:
            return Created(
                secret_id=body["secret_id"],
                passphrase=body["passphrase"],
                expires_at=body["expires_at"],
                receipt=body.get("receipt"),
                receipt_url=body.get("receipt_url"),
            )
        except KeyError as e:
            raise Trouble("The server's answer lacks the secret's id or passphrase.") from e

    def reveal(self, secret_id, passphrase):
        path = f"/api/secrets/{segment(secret_id)}/reveal/"
        response = self.api.send_json("POST", path, {"passphrase": passphrase})
        if response.status != 200:
            fail(response, missing=NOT_FOUND, fields=OPTION_NAMES)
        if response.headers.get_content_type() == "application/json":
            body = response.json()
            if not isinstance(body.get("data"), str):
                raise Trouble("The server's answer lacks the secret.")
            return RevealedText(text=body["data"], views_left=int(body.get("views_left", 0)))
        try:
            size = int(response.headers["Content-Length"])
            views_left = int(response.headers.get("X-Views-Left", "0"))
        except (KeyError, ValueError) as e:
            response.close()
            raise Trouble("The server sent a file without saying how large it is.") from e
        name = attachment_name(response.headers.get("Content-Disposition", ""))
        return RevealedFile(
            name=name, size=size, views_left=views_left, chunks=response.chunks(), close=response.close
        )

    def burn(self, secret_id, passphrase):
        path = f"/api/secrets/{segment(secret_id)}/burn/"
        response = self.api.send_json("POST", path, {"passphrase": passphrase})
        if response.status != 204:
            fail(response, missing=NOT_FOUND, fields=OPTION_NAMES)
        response.close()


def create_fields(options: Options) -> dict:
    fields = {"view_count": options.views, "lifetime": options.lifetime, "passphrase": options.passphrase}
    return {name: value for name, value in fields.items() if value is not None}


def attachment_name(header: str) -> str:
    """The file name of a Content-Disposition header (RFC 6266: ``filename*`` wins), unsanitised."""
    star = re.search(r"filename\*\s*=\s*([^;]+)", header, re.IGNORECASE)
    if star:
        charset, _, rest = star.group(1).strip().partition("'")
        try:
            return unquote(rest.partition("'")[2], encoding=charset or "utf-8", errors="strict")
        except (LookupError, UnicodeDecodeError):
            pass  # a charset we cannot read: the plain name below
    message = email.message.Message()
    message["Content-Disposition"] = header
    return message.get_filename() or ""
