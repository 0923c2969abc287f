"""Receipts from the client: `send` prints one, `status` reads it, `revoke` burns by it."""

import hashlib
import json
import os

import pytest

pytestmark = pytest.mark.slow


def ok(result):
    assert result.returncode == 0, result.stderr.decode()
    return result


def test_done_when_send_get_status_and_revoke(cli, tmp_path):
    """
    The whole story, on each backend: a 2-view text opened twice while its
    receipt reads unread 2, viewed 1, used_up 0; a wrong passphrase exits 1 and
    costs nothing; a file goes both ways byte-identical (1 GiB is measured by
    scripts/measure-client-memory.py, outside the suite); a revoked secret is a
    miss and its receipt says burned.
    """
    created = json.loads(ok(cli("send", "--views", "2", "--json", input="two views")).stdout)
    receipt = created["receipt_url"]
    assert receipt.endswith("/receipt/" + created["receipt"])
    first_line = lambda: ok(cli("status", receipt)).stdout.decode().splitlines()[0]  # noqa: E731
    env = {"PYSECRETS_PASSPHRASE": created["passphrase"]}

    assert first_line() == "unread 2"
    wrong = cli("get", created["link"], env={"PYSECRETS_PASSPHRASE": "wrong " + created["passphrase"]})
    assert (wrong.returncode, wrong.stdout) == (1, b"")
    assert first_line() == "unread 2"  # the miss cost nothing
    assert ok(cli("get", created["link"], env=env)).stdout == b"two views"
    assert first_line() == "viewed 1"
    assert ok(cli("get", created["link"], env=env)).stdout == b"two views"
    assert first_line() == "used_up 0"

    content = os.urandom(8 * 1024 * 1024 + 3)
    (tmp_path / "payload.bin").write_bytes(content)
    sent_file = json.loads(ok(cli("send", str(tmp_path / "payload.bin"), "--json")).stdout)
    out = tmp_path / "received.bin"
    ok(cli("get", sent_file["link"], "-o", str(out), env={"PYSECRETS_PASSPHRASE": sent_file["passphrase"]}))
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(content).digest()

    doomed = json.loads(ok(cli("send", "--views", "3", "--json", input="wrong person")).stdout)
    revoked = ok(cli("revoke", doomed["receipt"], "--json"))
    assert json.loads(revoked.stdout)["state"] == "burned"
    gone = cli("get", doomed["link"], env={"PYSECRETS_PASSPHRASE": doomed["passphrase"]})
    assert gone.returncode == 1
    assert first_line_of(cli("status", doomed["receipt"])) == "burned 0"


def first_line_of(result) -> str:
    return ok(result).stdout.decode().splitlines()[0]


def test_plain_send_prints_the_receipt_and_status_explains_itself(cli):
    result = ok(cli("send", input="hello"))
    lines = dict(line.split(":", 1) for line in result.stdout.decode().splitlines())
    receipt = lines["Receipt"].strip()
    assert "/receipt/" in receipt
    status = ok(cli("status", receipt)).stdout.decode()
    assert "Not opened yet." in status
    assert "0 of 1 taken, 1 left" in status
    assert "Last view:  never" in status
    as_json = json.loads(ok(cli("status", receipt, "--json")).stdout)
    assert as_json["state"] == "unread" and "secret_id" not in as_json


def test_an_unknown_receipt_exits_1(cli):
    result = cli("status", "A" * 32)
    assert result.returncode == 1
    assert b"No such receipt" in result.stderr
