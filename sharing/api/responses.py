"""Responses shared by both route sets: a revealed file as a download."""

import re
from urllib.parse import quote

from django.http import StreamingHttpResponse

from sharing.domain.lifecycle import RevealedFile

_UNSAFE_IN_FALLBACK = re.compile(r"[^A-Za-z0-9._ ()+-]")


def content_disposition(name: str) -> str:
    """
    ``attachment`` with a plain ASCII fallback name and the exact name in
    RFC 5987 form. Whatever the uploader chose (quotes, CR/LF, ``;``, ``../``,
    any script), the header stays one well-formed value and no client is
    handed a path. (Django's ``content_disposition_header`` gives a name
    outside ASCII only as ``filename*``, which ``curl -J`` and older clients
    ignore; the fallback keeps such a download named.)
    """
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "secret"
    fallback = _UNSAFE_IN_FALLBACK.sub("_", name)[:150].strip(" .") or "secret"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_response(revealed: RevealedFile) -> StreamingHttpResponse:
    # Always a download of opaque bytes: the uploader's declared type is not
    # trusted to tell a browser how to treat content it did not vet.
    response = StreamingHttpResponse(revealed.content, content_type="application/octet-stream")
    response["Content-Length"] = str(revealed.size)
    response["Content-Disposition"] = content_disposition(revealed.name)
    response["X-Views-Left"] = str(revealed.views_left)
    return response
