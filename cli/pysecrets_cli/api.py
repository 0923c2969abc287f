"""
The server's resource API over HTTP(S), with nothing but the standard library.

Bodies stream both ways in fixed-size chunks: an upload is read from its file
as it is sent and a download is handed on as it arrives, so a file of any size
passes through in constant memory. Proxies come from the usual environment
variables (``https_proxy``, ``no_proxy``...), certificates from the system's
store (or ``SSL_CERT_FILE``). Redirects are not followed: a request carrying a
passphrase or a secret is never replayed to another address on the quiet.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

from pysecrets_cli import __version__
from pysecrets_cli.errors import Missing, Trouble, Usage

CHUNK = 1024 * 1024
USER_AGENT = f"pysecrets-cli/{__version__}"


class Response:
    """An answer whose body has not been read yet: ``json()`` for small ones, ``chunks()`` to stream."""

    def __init__(self, raw: http.client.HTTPResponse, url: str):
        self.raw = raw
        self.url = url
        self.status = raw.status
        self.headers = raw.headers

    def body(self) -> bytes:
        try:
            return self.raw.read()
        except (OSError, http.client.HTTPException) as e:
            raise Trouble(f"The connection to the server broke: {describe(e)}.") from e
        finally:
            self.raw.close()

    def json(self) -> dict:
        data = self.body()
        try:
            value = json.loads(data)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise Trouble(f"The server's answer ({self.status}) is not what a pysecrets server sends.")
        return value

    def chunks(self) -> Iterator[bytes]:
        try:
            while chunk := self.raw.read(CHUNK):
                yield chunk
        except (OSError, http.client.HTTPException) as e:
            raise Trouble(f"The connection to the server broke during the download: {describe(e)}.") from e
        finally:
            self.raw.close()

    def close(self) -> None:
        self.raw.close()

    def error_detail(self) -> tuple[str, dict]:
        """The server's ``detail`` and ``fields`` from an error answer, or a plain description."""
        try:
            body = json.loads(self.body())
        except (ValueError, Trouble):
            body = None
        if isinstance(body, dict) and isinstance(body.get("detail"), str):
            fields = body.get("fields") if isinstance(body.get("fields"), dict) else {}
            return body["detail"], fields
        return f"the server answered {self.status} {self.raw.reason}", {}


def describe(error: BaseException) -> str:
    """Plain words for a network failure, without Python's wrapping."""
    if isinstance(error, urllib.error.URLError) and not isinstance(error.reason, str):
        return describe(error.reason)
    if isinstance(error, TimeoutError):
        return "it did not answer in time"
    text = getattr(error, "strerror", None) or getattr(error, "reason", None) or str(error)
    return str(text) or type(error).__name__


class Api:
    """One server, addressed by its base URL (``https://host`` or ``https://host/prefix``)."""

    def __init__(self, base_url: str, *, timeout: float = 60.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        # No redirect handler and no error processor: every answer comes back as it is.
        self._opener = urllib.request.OpenerDirector()
        for handler in (
            urllib.request.ProxyHandler(),
            urllib.request.HTTPHandler(),
            urllib.request.HTTPSHandler(),
        ):
            self._opener.add_handler(handler)

    def request(
        self,
        method: str,
        path: str,
        *,
        data: bytes | Iterable[bytes] | None = None,
        headers: dict | None = None,
    ) -> Response:
        url = self.base_url + path
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        # Only http(s): links.server_url checks the scheme of every base URL.
        request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
        try:
            raw = self._opener.open(request, timeout=self.timeout)
        except (OSError, http.client.HTTPException, ValueError) as e:
            raise Trouble(f"Could not reach {self.base_url}: {describe(e)}.") from e
        return Response(raw, url)

    def send_json(self, method: str, path: str, body: dict | None = None) -> Response:
        data = None if body is None else json.dumps(body).encode()
        return self.request(method, path, data=data, headers={"Content-Type": "application/json"})

    def upload(
        self,
        path: str,
        fields: dict,
        *,
        file_name: str,
        source: BinaryIO,
        size: int,
        progress: Callable[[int], None] = lambda n: None,
    ) -> Response:
        """
        POST ``fields`` and a file as multipart/form-data, reading ``source``
        (``size`` bytes) one chunk at a time as the socket takes it.
        """
        boundary = "pysecrets-" + uuid.uuid4().hex
        head = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items()
        )
        head += (
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="file"; filename="{quoted_file_name(file_name)}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()

        def body() -> Iterator[bytes]:
            yield head
            sent = 0
            while chunk := source.read(CHUNK):
                sent += len(chunk)
                if sent > size:
                    raise Usage("The file grew while it was being sent; send it again once it is complete.")
                progress(len(chunk))
                yield chunk
            if sent != size:
                raise Usage("The file shrank while it was being sent; send it again once it is complete.")
            yield tail

        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(head) + size + len(tail)),
        }
        try:
            return self.request("POST", path, data=body(), headers=headers)
        except Trouble as e:
            if isinstance(
                getattr(e.__cause__, "reason", e.__cause__), (BrokenPipeError, ConnectionResetError)
            ):
                # A server refusing a body (too large, say) answers and closes at once;
                # its answer is lost with the connection, so say what it most likely was.
                raise Trouble(
                    "The server closed the connection during the upload: the file may be larger "
                    "than it accepts, or the connection failed."
                ) from e
            raise


def quoted_file_name(name: str) -> str:
    """A file name as a quoted multipart parameter: escaped quotes and backslashes, no line breaks."""
    name = name.replace("\r", " ").replace("\n", " ")
    return name.replace("\\", "\\\\").replace('"', '\\"')


def fail(response: Response, *, missing: str, fields: dict | None = None) -> None:
    """
    Raise the error an unexpected answer stands for: ``missing`` for a 404,
    the server's words (with ``fields`` naming the options concerned) for
    what is wrong with the input, and server trouble for the rest.
    """
    status = response.status
    if status == 404:
        response.close()
        raise Missing(missing)
    if 300 <= status < 400:
        response.close()
        where = response.headers.get("Location", "another address")
        raise Trouble(f"The server sends this request to {where}; use that address instead.")
    detail, bad_fields = response.error_detail()
    if status in (400, 413, 415):
        named = [
            f"{(fields or {}).get(name, name)}: {' '.join(str(p).rstrip('.') for p in problems)}"
            for name, problems in bad_fields.items()
        ]
        raise Usage("; ".join(named) + "." if named else detail)
    if status == 429:
        wait = response.headers.get("Retry-After")
        later = f" in {wait} seconds" if wait and wait.isdigit() else " later"
        raise Trouble(f"The server is limiting requests from here; try again{later}.")
    raise Trouble(f"The server could not do it ({status}): {detail}")
