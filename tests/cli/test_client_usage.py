"""
What the client does when the command, the input, the server or the network is
wrong: the exit code tells a script which, and standard error tells a person.
"""

import http.server
import json
import os
import pty
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from harness.processes import free_port
from tests.support.client import CLI_SOURCE


def test_help_is_there_as_an_installed_command():
    command = shutil.which("pysecrets", path=str(Path(sys.executable).parent))
    assert command, "the client is installed with the dev requirements (pip install -e ./cli)"
    result = subprocess.run([command, "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    for word in ("send", "get", "burn", "PYSECRETS_URL", "PYSECRETS_PASSPHRASE", "exit codes"):
        assert word in result.stdout


@pytest.mark.parametrize(
    ("args", "env", "words"),
    [
        (["send"], {"PYSECRETS_URL": None}, "Which server?"),
        (["--url", "ftp://example.com", "send"], {}, "https://"),
        (["send", "--expires", "soon"], {}, "not a duration"),
        (["send", "--views", "0"], {}, "at least 1"),
        (["get", "AbCdEf0123456789"], {}, "No passphrase"),
        (["get", "https://example.com/elsewhere/AbC"], {}, "not a pysecrets secret link"),
        (["frobnicate"], {}, "invalid choice"),
    ],
)
def test_usage_mistakes_exit_2_with_plain_words(cli_local, args, env, words):
    result = cli_local(*args, input="text", env=env)
    assert result.returncode == 2
    assert words in result.stderr.decode()
    assert b"Traceback" not in result.stderr


@pytest.mark.slow
def test_input_the_server_refuses_is_reported_with_the_options_concerned(cli_local, tmp_path):
    result = cli_local("send", "--views", "11", "--expires", "1m", input="text")
    assert result.returncode == 2
    assert "--views: Ensure this value is at most 10; --expires: Ensure" in result.stderr.decode()
    short = cli_local("send", "--own-passphrase", input="text", env={"PYSECRETS_PASSPHRASE": "short"})
    assert (short.returncode, b"at least 12 characters" in short.stderr) == (2, True)


@pytest.mark.parametrize(
    ("stdin", "words"), [(b"", "empty"), (b"\xff\xfe binary", "not UTF-8"), (b"x" * (16 * 2**20 + 1), "file")]
)
def test_text_that_cannot_be_sent_is_refused_before_anything_leaves(cli_local, stdin, words):
    result = cli_local("send", "--url", "http://127.0.0.1:9", input=stdin)  # nothing listens there
    assert result.returncode == 2
    assert words in result.stderr.decode()


def test_a_file_that_cannot_be_read_is_a_usage_error(cli_local, tmp_path):
    assert cli_local("send", str(tmp_path / "missing")).returncode == 2
    assert b"Is a directory" in cli_local("send", str(tmp_path)).stderr


def test_a_full_link_carries_its_own_server(cli_local, tmp_path):
    created = json.loads(cli_local("send", "--json", input="linked").stdout)
    elsewhere = {"PYSECRETS_URL": "http://127.0.0.1:9", "PYSECRETS_PASSPHRASE": created["passphrase"]}
    assert cli_local("get", created["link"], env=elsewhere).stdout == b"linked"


def test_nothing_listening_is_network_trouble(cli_local):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        result = cli_local("send", "--url", f"http://127.0.0.1:{port}", input="text")
    assert result.returncode == 3
    assert "Could not reach" in result.stderr.decode()


class Answering(http.server.BaseHTTPRequestHandler):
    """Answers every request with the class's status, headers and body."""

    answer = (503, {"Content-Type": "application/json"}, b'{"detail": "Storage is down.", "code": "x"}')

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status, headers, body = self.answer
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ((503, {"Content-Type": "application/json"}, b'{"detail": "Storage is down."}'), "Storage is down."),
        ((500, {"Content-Type": "text/html"}, b"<h1>oops</h1>"), "500"),
        ((429, {"Retry-After": "17"}, b"{}"), "try again in 17 seconds"),
        ((302, {"Location": "https://elsewhere.example/api/text/"}, b""), "https://elsewhere.example"),
        ((201, {"Content-Type": "application/json"}, b"[1, 2]"), "not what a pysecrets server sends"),
    ],
)
def test_server_trouble_exits_3_and_says_what_happened(cli_local, answer, words):
    handler = type("Handler", (Answering,), {"answer": answer})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = cli_local("send", "--url", f"http://127.0.0.1:{server.server_port}", input="text")
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 3
    assert words in result.stderr.decode()
    assert b"Traceback" not in result.stderr


@pytest.mark.slow
def test_a_progress_bar_is_drawn_only_on_a_terminal(cli_local, tmp_path):
    source = tmp_path / "big.bin"
    source.write_bytes(b"\0" * (4 * 1024 * 1024))
    piped = cli_local("send", str(source))
    assert piped.returncode == 0
    assert b"\r" not in piped.stderr and b"Sending" not in piped.stderr

    controller, terminal = pty.openpty()
    try:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("PYSECRETS_")}
        result = subprocess.run(
            [sys.executable, "-m", "pysecrets_cli", "--url", cli_local.url, "send", str(source)],
            env={**environment, "PYTHONPATH": str(CLI_SOURCE)},
            stdout=subprocess.PIPE,
            stderr=terminal,
            timeout=60,
        )
        os.close(terminal)
        terminal = None
        drawn = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(controller)
        if terminal is not None:
            os.close(terminal)
    assert result.returncode == 0
    assert b"Sending [" in drawn and b"100%" in drawn and b"4.0 MiB of 4.0 MiB" in drawn
    assert b"/e/" in result.stdout  # the result itself stays on standard output
