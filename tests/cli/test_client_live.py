"""The client against a live server on both backends: text, files, burn, and what a miss costs."""

import json
import os
import secrets

import pytest

pytestmark = pytest.mark.slow


def sent(result) -> dict:
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def test_text_goes_out_and_opens_exactly_as_many_times_as_it_allows(cli):
    text = "multi-line\nsecret ✓ \x00 with trailing spaces  "
    created = sent(cli("send", "--views", "2", "--expires", "1h", "--json", input=text))
    assert set(created) >= {"link", "secret_id", "passphrase", "receipt", "expires_at"}
    assert created["link"] == f"{cli.url}/e/{created['secret_id']}"
    env = {"PYSECRETS_PASSPHRASE": created["passphrase"]}

    first = cli("get", created["link"], env=env)
    assert (first.returncode, first.stdout) == (0, text.encode())
    assert b"1 view left" in first.stderr
    second = cli("get", created["secret_id"], env=env)
    assert (second.returncode, second.stdout) == (0, text.encode())
    assert b"last view" in second.stderr
    third = cli("get", created["link"], env=env)
    assert (third.returncode, third.stdout) == (1, b"")
    assert b"No secret with this id and passphrase" in third.stderr


def test_plain_output_has_the_link_and_passphrase_on_their_own_lines(cli):
    result = cli("send", input="hunter2")
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(":", 1) for line in result.stdout.decode().splitlines())
    link, passphrase = lines["Link"].strip(), lines["Passphrase"].strip()
    opened = cli("get", link, env={"PYSECRETS_PASSPHRASE": passphrase})
    assert opened.stdout == b"hunter2"


def test_a_wrong_passphrase_exits_1_and_costs_no_view(cli, tmp_path):
    created = sent(cli("send", "--json", input="once only"))
    wrong = cli("get", created["link"], env={"PYSECRETS_PASSPHRASE": "not-" + created["passphrase"]})
    assert (wrong.returncode, wrong.stdout) == (1, b"")
    passphrase_file = tmp_path / "pass"
    passphrase_file.write_text(created["passphrase"] + "\n")
    right = cli("get", created["link"], "--passphrase-file", str(passphrase_file))
    assert (right.returncode, right.stdout) == (0, b"once only")


def test_own_passphrase_from_the_environment_is_used_and_not_echoed(cli):
    own = "correct horse battery staple " + secrets.token_hex(4)
    result = cli("send", "--own-passphrase", "--json", input="mine", env={"PYSECRETS_PASSPHRASE": own})
    created = sent(result)
    assert created["passphrase"] is None
    assert own.encode() not in result.stdout + result.stderr
    assert cli("get", created["secret_id"], env={"PYSECRETS_PASSPHRASE": own}).stdout == b"mine"


def test_a_file_streams_both_ways_byte_identical_under_a_safe_name(cli, tmp_path):
    content = os.urandom(3 * 1024 * 1024 + 17)
    source = tmp_path / "upload.bin"
    source.write_bytes(content)
    created = sent(
        cli("send", str(source), "--views", "3", "--name", "../../Rapport é\x1b[31m.pdf", "--json")
    )
    env = {"PYSECRETS_PASSPHRASE": created["passphrase"]}
    inbox = tmp_path / "inbox"
    inbox.mkdir()

    first = cli("get", created["link"], env=env, cwd=inbox)
    assert first.returncode == 0, first.stderr
    assert [p.name for p in inbox.iterdir()] == ["Rapport é[31m.pdf"]
    assert (inbox / "Rapport é[31m.pdf").read_bytes() == content
    assert (inbox / "Rapport é[31m.pdf").stat().st_mode & 0o077 == 0  # the owner's alone

    # The same name again: kept beside it, never over it.
    second = cli("get", created["link"], env=env, cwd=inbox)
    assert second.returncode == 0, second.stderr
    assert sorted(p.name for p in inbox.iterdir()) == ["Rapport é[31m (1).pdf", "Rapport é[31m.pdf"]
    assert (inbox / "Rapport é[31m (1).pdf").read_bytes() == content

    to_stdout = cli("get", created["link"], "-o", "-", env=env)
    assert (to_stdout.returncode, to_stdout.stdout == content) == (0, True)
    assert b"last view" in to_stdout.stderr


def test_an_existing_output_file_is_refused_before_a_view_is_spent(cli, tmp_path):
    source = tmp_path / "notes.txt"
    source.write_bytes(b"file body")
    created = sent(cli("send", str(source), "--json"))
    env = {"PYSECRETS_PASSPHRASE": created["passphrase"]}
    target = tmp_path / "kept.txt"
    target.write_bytes(b"precious")

    refused = cli("get", created["link"], "-o", str(target), env=env)
    assert refused.returncode == 2
    assert b"--force" in refused.stderr
    assert target.read_bytes() == b"precious"

    forced = cli("get", created["link"], "-o", str(target), "--force", env=env)  # the one view is still there
    assert forced.returncode == 0, forced.stderr
    assert target.read_bytes() == b"file body"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_burn_deletes_it_and_then_nothing_opens(cli):
    created = sent(cli("send", "--views", "5", "--json", input="revoke me"))
    env = {"PYSECRETS_PASSPHRASE": created["passphrase"]}
    burned = cli("burn", created["link"], env=env)
    assert burned.returncode == 0, burned.stderr
    assert cli("get", created["link"], env=env).returncode == 1
    assert cli("burn", created["link"], env=env).returncode == 1
