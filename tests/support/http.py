"""Plain HTTP to a running server, as scripts and clients other than browsers speak it."""

import json
import urllib.error
import urllib.request
import uuid
from typing import NamedTuple


class Answer(NamedTuple):
    status: int
    headers: dict
    body: bytes


def send(
    url: str,
    body=None,
    *,
    method: str = "POST",
    content_type: str = "application/json",
    headers: dict | None = None,
) -> Answer:
    """Send ``body`` (a dict as JSON, or bytes as they are); any status is an answer, not an error."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": content_type, **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as e:
        return Answer(e.code, dict(e.headers), e.read())


def file_form(content: bytes, file_name: str = "f.bin", **fields) -> tuple[bytes, str]:
    """A multipart body with ``fields`` first and the file last; returns (body, content type)."""
    boundary = "----pysecrets" + uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
