"""
Every body is bounded before it is read: 413, whatever its type, on both
route sets; the bound is the declared length, so a huge body is refused before
its first byte is read.
"""

import socket

import pytest

from tests.support.server import GunicornServer

ROUTES = ["/encrypt", "/decrypt", "/api/text/", "/api/files/", "/api/secrets/AAAAAAAAAAAAAAAA/reveal/"]
TYPES = ["text/plain", "application/x-www-form-urlencoded", "application/json", ""]


@pytest.mark.parametrize("content_type", TYPES)
@pytest.mark.parametrize("route", ROUTES)
def test_a_body_over_the_limit_is_413_whatever_its_type(api, settings, route, content_type):
    body = b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = api.generic("POST", route, body, content_type=content_type)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


@pytest.mark.parametrize("route", ["/encrypt", "/api/files/"])
def test_a_multipart_body_over_the_file_limit_is_413(api, settings, route):
    settings.MAX_FILE_BYTES = 1000
    body = b"--b\r\n" + b"x" * (2 * 1024 * 1024) + b"\r\n--b--\r\n"
    response = api.generic("POST", route, body, content_type="multipart/form-data; boundary=b")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_a_body_at_the_limit_is_read(post_json, settings):
    secret = "s" * 100
    padding = settings.DATA_UPLOAD_MAX_MEMORY_SIZE - len(f'{{"secret": "{secret}", "pad": ""}}')
    response = post_json("/api/text/", f'{{"secret": "{secret}", "pad": "{"p" * padding}"}}')
    assert response.status_code == 201


def _declared_only(port: int, path: str, content_type: str, length: int) -> bytes:
    """Declare ``length`` bytes, send a handful, and return what the server answers meanwhile."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {length}\r\n\r\n"
        )
        s.sendall(head.encode() + b'{"secret": "')
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


@pytest.mark.slow
def test_a_declared_gigabyte_is_refused_before_it_is_sent():
    with GunicornServer(workers=1) as server:
        for path in ("/encrypt", "/decrypt", "/api/text/"):
            for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/json"):
                answer = _declared_only(server.port, path, content_type, 1024**3)
                assert answer.startswith(b"HTTP/1.1 413"), (path, content_type, answer[:200])
