"""The client's end-to-end mode (the default) against a live server, beside the server-side mode."""

import json
import sqlite3
from pathlib import Path

import pysecrets_e2e as fmt
import pytest

pytestmark = pytest.mark.slow


def sent(result) -> dict:
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def stored(server, secret_id: str) -> dict:
    with sqlite3.connect(Path(server.data_dir) / "secrets.sqlite3") as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM secrets WHERE secret_id = ?", (secret_id,)).fetchone()
    return dict(row) if row else None


def test_the_server_holds_ciphertext_it_cannot_open(cli_local, local_server):
    text = "CANARY end to end " + fmt.new_passphrase()
    created = sent(cli_local("send", "--json", input=text))
    assert created["link"] == f"{cli_local.url}/e/{created['secret_id']}"
    record = stored(local_server, created["secret_id"])
    assert record["kind"] == "e2e-text" and record["kdf_n"] == 0
    for secret in (text.encode(), created["passphrase"].encode()):
        assert all(secret not in value for value in record.values() if isinstance(value, bytes))
    keys = fmt.derive_keys(created["passphrase"], secret_id=created["secret_id"])
    assert keys.proof not in record.values() and keys.content_key not in record.values()
    # What the client sealed opens with the format's own code, and with the client.
    assert fmt.open_text(keys.content_key, record["payload"], secret_id=created["secret_id"]) == text
    opened = cli_local("get", created["link"], env={"PYSECRETS_PASSPHRASE": created["passphrase"]})
    assert (opened.returncode, opened.stdout) == (0, text.encode())


def test_a_link_may_carry_its_passphrase_after_the_hash(cli_local):
    created = sent(cli_local("send", "--json", input="one click"))
    opened = cli_local("get", f"{created['link']}#{created['passphrase']}")
    assert (opened.returncode, opened.stdout) == (0, b"one click")


def test_server_side_secrets_still_go_and_open_by_link_or_with_the_flag(cli_local):
    created = sent(cli_local("send", "--server-side", "--views", "3", "--json", input="old way"))
    assert created["link"] == f"{cli_local.url}/secret/{created['secret_id']}"
    env = {"PYSECRETS_PASSPHRASE": created["passphrase"]}
    assert cli_local("get", created["link"], env=env).stdout == b"old way"
    assert cli_local("get", created["secret_id"], "--server-side", env=env).stdout == b"old way"
    # A bare id is end-to-end unless told otherwise: the passphrase is not sent, and it is a miss.
    miss = cli_local("get", created["secret_id"], env=env)
    assert miss.returncode == 1
    assert cli_local("get", created["link"], env=env).stdout == b"old way"


def test_an_end_to_end_link_refuses_the_server_side_flag(cli_local):
    created = sent(cli_local("send", "--json", input="x"))
    result = cli_local("get", created["link"], "--server-side", env={"PYSECRETS_PASSPHRASE": "p" * 20})
    assert result.returncode == 2 and b"drop --server-side" in result.stderr


def test_an_own_passphrase_of_the_generated_form_is_refused(cli_local):
    result = cli_local(
        "send", "--own-passphrase", input="x", env={"PYSECRETS_PASSPHRASE": fmt.new_passphrase()}
    )
    assert result.returncode == 2 and b"form of generated passphrases" in result.stderr


def test_an_end_to_end_file_burns_with_its_passphrase(cli_local, tmp_path):
    source = tmp_path / "a.txt"
    source.write_bytes(b"burn me")
    created = sent(cli_local("send", str(source), "--views", "2", "--json"))
    env = {"PYSECRETS_PASSPHRASE": created["passphrase"]}
    assert cli_local("burn", created["link"], env=env).returncode == 0
    assert cli_local("get", created["link"], env=env).returncode == 1
