"""
One soak client: a process that creates, reveals, burns and guesses wrong in
a loop, and keeps its own tally of what the service must have counted.

Each client owns the secrets it creates, so it always knows how many views
each has left: a reveal that succeeds when none is left, fails when one is, or
brings back anything but what was stored is an exactly-N violation. Slow
clients send their bodies and read their answers in small pieces with pauses,
as a client on a poor link does.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import time
import uuid
from dataclasses import dataclass, field

SLOW_PIECE = 16 * 1024
SLOW_PAUSE = 0.05
WRONG = "soak wrong passphrase!"
MAX_GUESSES = 3  # per secret: well under MAX_FAILED_ATTEMPTS, so none is destroyed


@dataclass
class Secret:
    secret_id: str
    passphrase: str
    kind: str
    content: bytes
    views_left: int
    guesses: int = 0


@dataclass
class Tally:
    counts: dict = field(
        default_factory=lambda: dict.fromkeys(
            ["created_text", "created_file", "views", "used_up", "burned", "failed_attempts"], 0
        )
    )
    requests: int = 0
    server_errors: list = field(default_factory=list)
    violations: list = field(default_factory=list)


class Client:
    def __init__(self, port: int, *, slow: bool, seed: int):
        self.port, self.slow, self.random = port, slow, random.Random(seed)
        self.secrets: list[Secret] = []
        self.tally = Tally()

    # -- HTTP ---------------------------------------------------------------------

    def request(self, path: str, body: bytes, content_type: str) -> tuple[int, dict, bytes]:
        self.tally.requests += 1
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            connection.putrequest("POST", path)
            connection.putheader("Content-Type", content_type)
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders()
            pieces = range(0, len(body), SLOW_PIECE) if self.slow else [0]
            for start in pieces:
                connection.send(body[start : start + SLOW_PIECE] if self.slow else body)
                if self.slow:
                    time.sleep(SLOW_PAUSE)
            response = connection.getresponse()
            chunks = []
            while chunk := response.read(SLOW_PIECE if self.slow else 1 << 20):
                chunks.append(chunk)
                if self.slow:
                    time.sleep(SLOW_PAUSE)
            answer = (response.status, dict(response.getheaders()), b"".join(chunks))
        except (OSError, http.client.HTTPException) as e:
            self.tally.server_errors.append(f"{path.split('/')[1]}: {type(e).__name__}")
            return 0, {}, b""
        finally:
            connection.close()
        if answer[0] >= 500:
            self.tally.server_errors.append(f"{path.split('/')[1]}: {answer[0]}")
        return answer

    def json(self, path: str, body: dict) -> tuple[int, dict, bytes]:
        return self.request(path, json.dumps(body).encode(), "application/json")

    # -- actions --------------------------------------------------------------------

    def create_text(self) -> None:
        content = os.urandom(self.random.randint(1, 3000)).hex()
        views = self.random.randint(1, 3)
        status, _, body = self.json("/api/text/", {"secret": content, "view_count": views})
        if status == 201:
            created = json.loads(body)
            self.secrets.append(
                Secret(created["secret_id"], created["passphrase"], "text", content.encode(), views)
            )
            self.tally.counts["created_text"] += 1

    def create_file(self) -> None:
        size = self.random.choice([1, 1000, 100_000, 1_000_000, 3_000_000])
        content = os.urandom(size)
        views = self.random.randint(1, 3)
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="view_count"\r\n\r\n{views}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="soak.bin"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        status, _, answer = self.request("/api/files/", body, f"multipart/form-data; boundary={boundary}")
        if status == 201:
            created = json.loads(answer)
            self.secrets.append(Secret(created["secret_id"], created["passphrase"], "file", content, views))
            self.tally.counts["created_file"] += 1

    def reveal(self, secret: Secret) -> None:
        status, _, body = self.json(
            f"/api/secrets/{secret.secret_id}/reveal/", {"passphrase": secret.passphrase}
        )
        if status == 0 or status >= 500:
            return
        if secret.views_left == 0:
            if status != 404:
                self.tally.violations.append(f"a {secret.kind} used up was revealed again ({status})")
            self.secrets.remove(secret)
            return
        if status != 200:
            self.tally.violations.append(
                f"a {secret.kind} with {secret.views_left} views left answered {status}"
            )
            self.secrets.remove(secret)
            return
        got = json.loads(body)["data"].encode() if secret.kind == "text" else body
        if got != secret.content:
            self.tally.violations.append(f"a {secret.kind} came back different")
        secret.views_left -= 1
        self.tally.counts["views"] += 1
        if secret.views_left == 0:
            self.tally.counts["used_up"] += 1

    def guess(self, secret: Secret) -> None:
        if secret.views_left == 0 or secret.guesses >= MAX_GUESSES:
            return self.reveal(secret)
        status, _, _ = self.json(f"/api/secrets/{secret.secret_id}/reveal/", {"passphrase": WRONG})
        if status == 404:
            secret.guesses += 1
            self.tally.counts["failed_attempts"] += 1
        elif status and status < 500:
            self.tally.violations.append(f"a wrong passphrase answered {status}")

    def burn(self, secret: Secret) -> None:
        status, _, _ = self.json(f"/api/secrets/{secret.secret_id}/burn/", {"passphrase": secret.passphrase})
        if status == 0 or status >= 500:
            return
        expected = 204 if secret.views_left else 404
        if status != expected:
            self.tally.violations.append(f"burning a {secret.kind} answered {status}, not {expected}")
        elif status == 204:
            self.tally.counts["burned"] += 1
        self.secrets.remove(secret)

    def step(self) -> None:
        roll = self.random.random()
        if roll < 0.25 or not self.secrets:
            return self.create_text()
        if roll < 0.35:
            return self.create_file()
        secret = self.random.choice(self.secrets)
        if roll < 0.80:
            return self.reveal(secret)
        if roll < 0.92:
            return self.guess(secret)
        return self.burn(secret)


def run(port: int, slow: bool, seed: int, until: float, results) -> None:
    client = Client(port, slow=slow, seed=seed)
    while time.time() < until:
        client.step()
    results.put(client.tally)
