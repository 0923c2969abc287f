"""
What a miss costs, seen from outside: the time a reveal or a burn takes to
answer 404 for an unknown id, a wrong passphrase on a live secret, a used-up
secret and an expired one, for each kind of passphrase (one the service
generated, one a person chose). If the medians differ, timing tells a
guesser which ids exist; the target is all four within 10% of each other, per
kind and operation.

Requests go one at a time on one kept-alive connection, the cases
interleaved (in a new random order each sample) so that a drift of the
machine lands on all of them alike. A secret is made expired by moving its
expiry into the past in the local record store (SQLite) directly: the
shortest lifetime the service accepts is five minutes.
"""

from __future__ import annotations

import http.client
import json
import random
import secrets
import sqlite3
import statistics
import string
import time
from pathlib import Path

OWN = "a benchmark passphrase, chosen by a person"
OWN_WRONG = "a benchmark passphrase, mistyped by a person"
CASES = ("unknown id", "wrong passphrase", "used up", "expired")
KINDS = ("generated", "own")
OPS = ("reveal", "burn")


class Client:
    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(self, path: str, body: dict) -> tuple[int, bytes, float]:
        data = json.dumps(body).encode()
        for attempt in (1, 2):
            began = time.perf_counter()
            try:
                self.conn.request("POST", path, body=data, headers={"Content-Type": "application/json"})
                response = self.conn.getresponse()
                answer = response.read()
                return response.status, answer, time.perf_counter() - began
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed the kept-alive connection before reading this request: send
                # it again on a new one, and time only that (as HTTP clients do).
                self.conn.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def create(self, *, views: int, passphrase: str | None) -> dict:
        body = {"secret": "a benchmark secret", "view_count": views}
        if passphrase:
            body["passphrase"] = passphrase
        status, answer, _ = self.post("/api/text/", body)
        if status != 201:
            raise RuntimeError(f"create answered {status}: {answer[:200]!r}")
        return json.loads(answer)


def _unknown_id() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(16))


def prepare(client: Client, data_dir: Path, *, each: int = 3) -> dict:
    """For each kind: (id, passphrase) pairs for every case that needs a stored secret."""
    targets: dict = {}
    for kind in KINDS:
        own = OWN if kind == "own" else None
        live = [client.create(views=10, passphrase=own) for _ in range(each)]
        used = [client.create(views=1, passphrase=own) for _ in range(each)]
        expired = [client.create(views=10, passphrase=own) for _ in range(each)]
        for c in used:
            status, _, _ = client.post(
                f"/api/secrets/{c['secret_id']}/reveal/", {"passphrase": c["passphrase"]}
            )
            assert status == 200, status
        with sqlite3.connect(data_dir / "secrets.sqlite3") as db:
            db.executemany(
                "UPDATE secrets SET expires_at = ? WHERE secret_id = ?",
                [(int(time.time()) - 60, c["secret_id"]) for c in expired],
            )
        # A wrong passphrase of the generated kind: one the service generated for another secret.
        other = client.create(views=1, passphrase=own)["passphrase"] if own is None else OWN_WRONG
        targets[kind] = {
            "wrong passphrase": [(c["secret_id"], other) for c in live],
            "used up": [(c["secret_id"], c["passphrase"]) for c in used],
            "expired": [(c["secret_id"], c["passphrase"]) for c in expired],
            "unknown id": [(None, live[0]["passphrase"] if own is None else OWN)],
        }
    return targets


def run(server, data_dir: Path, *, samples: dict[str, int]) -> dict:
    """``samples``: how many of each case, per kind (an own passphrase costs far more to derive)."""
    client = Client(server.port)
    targets = prepare(client, data_dir)
    times: dict = {op: {kind: {case: [] for case in CASES} for kind in KINDS} for op in OPS}
    statuses = set()
    for kind in KINDS:
        for i in range(samples[kind]):
            plan = [(op, case) for op in OPS for case in CASES]
            random.shuffle(plan)
            for op, case in plan:
                pairs = targets[kind][case]
                secret_id, passphrase = pairs[i % len(pairs)]
                secret_id = secret_id or _unknown_id()
                status, _, took = client.post(f"/api/secrets/{secret_id}/{op}/", {"passphrase": passphrase})
                statuses.add(status)
                times[op][kind][case].append(took)
    medians = {
        op: {
            kind: {case: statistics.median(v) * 1000 for case, v in cases.items()}
            for kind, cases in kinds.items()
        }
        for op, kinds in times.items()
    }
    spread = {
        op: {kind: max(m.values()) / min(m.values()) - 1 for kind, m in kinds.items()}
        for op, kinds in medians.items()
    }
    return {"samples": samples, "medians_ms": medians, "spread": spread, "statuses": sorted(statuses)}
