"""
What gunicorn's own logs may say: no response size on a POST (a reveal's size
is its secret's size), and no secret id in the error log either.
"""

import json
import re
import socket

import pytest

from tests.support.http import file_form, send
from tests.support.server import GunicornServer

SECRET_ID = "AbCdEfGhIjKlMnOp"


@pytest.mark.slow
def test_gunicorns_logs_carry_no_sizes_of_secrets_and_no_ids():
    with GunicornServer({"LOG_LEVEL": "DEBUG"}, workers=1) as server:
        content = b"x" * 12_345
        data, content_type = file_form(content, "f.bin", view_count="2")
        created = json.loads(send(server.url + "/api/files/", data, content_type=content_type).body)
        reveal = f"{server.url}/api/secrets/{created['secret_id']}/reveal/"
        answer = send(reveal, {"passphrase": created["passphrase"]})
        assert answer.body == content
        text = json.loads(send(server.url + "/encrypt", {"secret": "s" * 777}).body)
        assert json.loads(send(server.url + "/decrypt", text).body)["data"] == "s" * 777
        # A request line gunicorn itself refuses: its complaint goes to the error log.
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(f"GET /secret/{SECRET_ID}\r\n\r\n".encode())
            s.recv(65536)
        assert send(server.url + "/healthz", method="GET").status == 200
        server.stop()
        log = server.log()

    posts = [line for line in log.splitlines() if '"POST ' in line]
    assert len(posts) == 4
    for line in posts:
        assert not re.search(r'" \d{3} \d+ ', line), line  # status, then no byte count
    assert "12345" not in log and str(len(answer.body)) not in log
    assert "Invalid request" in log  # the refused request line was logged ...
    assert SECRET_ID not in log  # ... without the id in it
    assert created["secret_id"] not in log and text["secret_id"] not in log
