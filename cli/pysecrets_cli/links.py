"""
Where a secret lives: a server's base URL and the id or receipt on it.

A full link names its own server (``https://host/secret/ID``, also under a
path prefix such as ``https://host/share/secret/ID``); a bare id or receipt
token is looked up on ``--url`` or ``PYSECRETS_URL``. An end-to-end secret's
link is ``https://host/e/ID``, optionally with its passphrase after ``#``
(the fragment never reaches the server).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from pysecrets_cli.errors import Usage

SECRET_PATH = "/secret/"  # noqa: S105 - a URL path, not a password
E2E_PATH = "/e/"
RECEIPT_PATH = "/receipt/"


@dataclass(frozen=True)
class Ref:
    """A secret id or a receipt token on a server; ``fragment`` is whatever a link carried after ``#``."""

    server: str
    token: str
    fragment: str = ""
    end_to_end: bool | None = None  # what the link says; None for a bare id


def server_url(url: str | None) -> str:
    """The server from ``--url`` (given) or ``PYSECRETS_URL``, checked and without a trailing slash."""
    url = url or os.environ.get("PYSECRETS_URL", "")
    if not url:
        raise Usage("Which server? Give --url https://... or set PYSECRETS_URL.")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Usage(f"The server address must start with https:// or http://, not {url!r}.")
    if parts.query or parts.fragment:
        raise Usage("The server address is the site's own address, without ?query or #fragment.")
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


def parse(ref: str, *, url: str | None, marker: str, what: str) -> Ref:
    """A link containing ``marker`` (``/secret/``), or a bare token on the configured server."""
    ref = ref.strip()
    if "://" in ref:
        parts = urlsplit(ref)
        at = parts.path.rfind(marker)
        token = unquote(parts.path[at + len(marker) :].strip("/")) if at >= 0 else ""
        if parts.scheme not in ("http", "https") or not parts.netloc or not token or "/" in token:
            raise Usage(f"This is not a pysecrets {what} link: {ref}")
        return Ref(f"{parts.scheme}://{parts.netloc}{parts.path[:at]}", token, parts.fragment)
    if not ref or "/" in ref or any(c.isspace() for c in ref):
        raise Usage(f"Give a {what} link or its id, not {ref!r}.")
    return Ref(server_url(url), ref)


def secret_ref(ref: str, *, url: str | None) -> Ref:
    """A secret's link of either kind (its path says which), or a bare id."""
    if "://" in ref and E2E_PATH in urlsplit(ref.strip()).path:
        found = parse(ref, url=url, marker=E2E_PATH, what="secret")
        return Ref(found.server, found.token, unquote(found.fragment), end_to_end=True)
    found = parse(ref, url=url, marker=SECRET_PATH, what="secret")
    return Ref(found.server, found.token, found.fragment, end_to_end=False if "://" in ref else None)


def receipt_ref(ref: str, *, url: str | None) -> Ref:
    return parse(ref, url=url, marker=RECEIPT_PATH, what="receipt")


def secret_link(server: str, secret_id: str, *, end_to_end: bool = False) -> str:
    return f"{server}{E2E_PATH if end_to_end else SECRET_PATH}{quote(secret_id, safe='')}"


def segment(token: str) -> str:
    """A token as one URL path segment, whatever it holds."""
    return quote(token, safe="")
