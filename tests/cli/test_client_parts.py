"""The client's small parts, in process: links, durations, file names."""

import pytest
from pysecrets_cli import links
from pysecrets_cli.errors import Usage
from pysecrets_cli.files import free_name, safe_name
from pysecrets_cli.main import duration
from pysecrets_cli.sealing import attachment_name


@pytest.mark.parametrize(
    ("link", "server", "token"),
    [
        ("https://s.example/secret/AbC123", "https://s.example", "AbC123"),
        ("https://s.example/secret/AbC123/", "https://s.example", "AbC123"),
        ("http://127.0.0.1:8000/share/secret/AbC123#key", "http://127.0.0.1:8000/share", "AbC123"),
    ],
)
def test_a_link_names_its_server_and_id(link, server, token):
    ref = links.secret_ref(link, url=None)
    assert (ref.server, ref.token) == (server, token)


def test_a_bare_id_needs_a_server_and_takes_the_configured_one(monkeypatch):
    monkeypatch.delenv("PYSECRETS_URL", raising=False)
    with pytest.raises(Usage):
        links.secret_ref("AbC123", url=None)
    monkeypatch.setenv("PYSECRETS_URL", "https://env.example/")
    assert links.secret_ref("AbC123", url=None).server == "https://env.example"
    assert links.secret_ref("AbC123", url="https://flag.example").server == "https://flag.example"


def test_an_id_is_one_path_segment_in_every_link():
    assert links.secret_link("https://s.example", "a/../b?c") == "https://s.example/secret/a%2F..%2Fb%3Fc"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("5m", 300), ("1h", 3600), ("2d", 172800), ("1w", 604800), ("1d12h", 129600)],
)
def test_durations(text, seconds):
    assert duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "5x", "h", "1h 2m", "-1h"])
def test_not_durations(text):
    with pytest.raises(Exception, match="not a duration"):
        duration(text)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\key.pem", "key.pem"),
        (".bashrc", "bashrc"),
        ("..", "secret"),
        ("", "secret"),
        ("a\x1b[2Jb\r\n.txt", "a[2Jb.txt"),
        ("con.txt", "_con.txt"),
        ('we:ird|na*me?"<>.txt', "we_ird_na_me____.txt"),
        ("é" * 300 + ".txt", "é" * 98 + ".txt"),
    ],
)
def test_safe_names(name, safe):
    assert safe_name(name) == safe
    assert len(safe_name(name).encode()) <= 200


def test_a_taken_name_gets_a_number(tmp_path):
    (tmp_path / "a.txt").write_text("")
    (tmp_path / "a (1).txt").write_text("")
    assert free_name(tmp_path, "a.txt").name == "a (2).txt"
    assert free_name(tmp_path, "b").name == "b"


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("attachment; filename=\"r_.pdf\"; filename*=UTF-8''r%C3%A9.pdf", "ré.pdf"),
        ('attachment; filename="plain.txt"', "plain.txt"),
        ("attachment", ""),
    ],
)
def test_the_exact_name_wins_over_the_fallback(header, name):
    assert attachment_name(header) == name
