"""
End-to-end secrets in Chromium, with every request the page sends recorded:
neither the secret nor the passphrase ever leaves the page; the secret opens
in a fresh browser and with the command-line client, and the other way round;
a wrong passphrase, a swapped id and altered ciphertext spend nothing.
"""

import base64
import hashlib
import json
import re
import sqlite3
import time
import urllib.parse
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.client import Client
from tests.support.server import GunicornServer

GONE = re.compile(r"already viewed, it expired, or the passphrase is wrong")
ALTERED = re.compile(r"could not be decrypted")
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def server(static_files):
    with GunicornServer(workers=4) as running:
        yield running


class Recorder:
    """Every request a browser context sends: its URL, headers and body, as far as Chromium tells."""

    def __init__(self, context):
        self.requests = []
        context.on("request", lambda request: self.requests.append(request))

    def sent(self) -> list[bytes]:
        seen = []
        for request in self.requests:
            seen.append(request.url.encode())
            seen.append(json.dumps(request.headers).encode())
            body = request.post_data_buffer
            if body:
                seen.append(body)
        return seen

    def assert_never_sent(self, *secrets: str | bytes) -> None:
        assert self.requests, "nothing was recorded"
        seen = b"\n".join(self.sent())
        for secret in secrets:
            raw = secret.encode() if isinstance(secret, str) else secret
            forms = {
                raw,
                urllib.parse.quote(raw).encode(),
                json.dumps(raw.decode(errors="replace")).encode()[1:-1],
            }
            forms.add(base64.b64encode(raw)[:-4])
            for form in forms:
                assert form not in seen, f"{secret!r} was sent"


@pytest.fixture
def fresh(browser, server):
    """A new browser context each call: no cache, no storage, nothing shared with the sender's."""
    contexts = []

    def make():
        context = browser.new_context(base_url=server.url, accept_downloads=True)
        context.recorder = Recorder(context)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        problems = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.problems = problems
        # Not a failure by itself (a wrong passphrase logs its 404), but what a failure shows.
        page.console_errors = []
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        return page

    yield make
    for context in contexts:
        context.close()


def create_in_page(page, *, text=None, file=None, views=1, own=None, in_link=False):
    page.goto("/")
    if file is not None:
        page.get_by_role("radio", name="File").check()
        page.get_by_label("Secret file").set_input_files(file)
    else:
        page.get_by_label("Secret text").fill(text)
    page.get_by_label("Views allowed").select_option(str(views))
    if own:
        page.get_by_label("Own passphrase").fill(own)
    page.get_by_role("button", name="Create secret link").click()
    expect(page.get_by_role("heading", name="Your secret is ready")).to_be_visible(timeout=120_000)
    if in_link:
        page.get_by_label("Put the passphrase in the link").check()
    link = page.get_by_label("Link", exact=True).input_value()
    passphrase = page.get_by_label("Passphrase", exact=True).input_value()
    return link, passphrase


def reveal_in_page(page, passphrase):
    page.get_by_label("Passphrase", exact=True).fill(passphrase)
    page.get_by_role("button", name="Reveal secret").click()


def reveal_file(page, passphrase):
    """Reveals a file and returns its download; if the page shows an error instead, fails with it."""
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    reveal_in_page(page, passphrase)
    alert = page.get_by_role("alert")
    deadline = time.monotonic() + 120
    while not downloads:
        shown = alert.all_inner_texts() if alert.count() else []
        assert not any(text.strip() for text in shown), (
            f"the page said {shown}; {page.problems} {page.console_errors}"
        )
        assert time.monotonic() < deadline, (
            f"no download within 2 minutes; {page.problems} {page.console_errors}"
        )
        page.wait_for_timeout(100)
    return downloads[0]


def record(server, secret_id):
    with sqlite3.connect(Path(server.data_dir) / "secrets.sqlite3") as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM secrets WHERE secret_id = ?", (secret_id,)).fetchone()
    return dict(row) if row else None


def secret_id_of(link: str) -> str:
    return urllib.parse.urlsplit(link).path.rsplit("/", 1)[-1]


def test_a_text_never_leaves_the_page_and_opens_in_a_fresh_browser(fresh, server):
    text = "CANARY-TEXT launch code 0000 ✓"
    sender = fresh()
    link, passphrase = create_in_page(sender, text=text, views=2)
    assert re.fullmatch(rf"{re.escape(server.url)}/e/[A-Za-z0-9]{{16}}", link)
    sender.context.recorder.assert_never_sent(text, passphrase)
    # The recording holds the bodies: what did go out is there, ciphertext and verifier.
    assert any(b'"verifier"' in sent for sent in sender.context.recorder.sent())
    stored = record(server, secret_id_of(link))
    assert stored["kind"] == "e2e-text" and text.encode() not in stored["payload"]

    receiver = fresh()
    receiver.goto(link)
    for left in ("1 more time", "last view"):
        reveal_in_page(receiver, passphrase)
        expect(receiver.get_by_label("Text", exact=True)).to_have_value(text)
        expect(receiver.locator("#views-left")).to_contain_text(left)
        receiver.reload()
    reveal_in_page(receiver, passphrase)
    expect(receiver.get_by_role("alert")).to_have_text(GONE)
    receiver.context.recorder.assert_never_sent(text, passphrase)
    assert sender.problems == receiver.problems == []


def test_an_own_passphrase_is_stretched_in_the_page_and_never_sent(fresh):
    own = "my very own passphrase ünïcödé"
    sender = fresh()
    link, shown = create_in_page(sender, text="with my own", own=own)
    assert shown == own
    sender.context.recorder.assert_never_sent("with my own", own)
    receiver = fresh()
    receiver.goto(link)
    reveal_in_page(receiver, own)
    expect(receiver.get_by_label("Text", exact=True)).to_have_value("with my own")
    receiver.context.recorder.assert_never_sent("with my own", own)


def test_the_passphrase_can_ride_in_the_fragment_and_the_page_still_waits(fresh, server):
    sender = fresh()
    link, passphrase = create_in_page(sender, text="one click", in_link=True)
    assert link.endswith("#" + urllib.parse.quote(passphrase, safe=""))
    expect(sender.locator("#qr-with-passphrase")).to_be_visible()
    secret_id = secret_id_of(link.split("#")[0])

    receiver = fresh()
    receiver.goto(link, wait_until="networkidle")
    # Filled in, out of the address bar, and nothing asked of the API yet.
    expect(receiver.get_by_label("Passphrase", exact=True)).to_have_value(passphrase)
    assert receiver.url == link.split("#")[0]
    assert not [r for r in receiver.context.recorder.requests if "/api/" in r.url]
    assert record(server, secret_id)["views_left"] == 1
    receiver.get_by_role("button", name="Reveal secret").click()
    expect(receiver.get_by_label("Text", exact=True)).to_have_value("one click")
    receiver.context.recorder.assert_never_sent(passphrase)


def test_a_wrong_passphrase_and_a_swapped_id_spend_nothing(fresh, server):
    sender = fresh()
    first, first_passphrase = create_in_page(sender, text="first")
    second, second_passphrase = create_in_page(sender, text="second")
    receiver = fresh()
    receiver.goto(first)
    reveal_in_page(receiver, "a-wrong-passphrase-entirely")
    expect(receiver.get_by_role("alert")).to_have_text(GONE)
    reveal_in_page(receiver, second_passphrase)  # the other secret's passphrase on this id
    expect(receiver.get_by_role("alert")).to_have_text(GONE)
    for link in (first, second):
        assert record(server, secret_id_of(link))["views_left"] == 1
    reveal_in_page(receiver, first_passphrase)
    expect(receiver.get_by_label("Text", exact=True)).to_have_value("first")
    receiver.goto(second)
    reveal_in_page(receiver, second_passphrase)
    expect(receiver.get_by_label("Text", exact=True)).to_have_value("second")


def test_an_altered_file_body_is_refused_by_the_page(fresh, server, tmp_path):
    # The body streams after the view is taken (as with server-side files): the page refuses it whole.
    sender = fresh()
    source = tmp_path / "body.bin"
    source.write_bytes(bytes(range(256)) * 4096)
    link, passphrase = create_in_page(sender, file=str(source))
    blob = next(Path(server.data_dir).glob(f"blobs/**/{secret_id_of(link)}*"))
    data = bytearray(blob.read_bytes())
    data[300_000] ^= 1
    blob.write_bytes(bytes(data))
    receiver = fresh()
    receiver.goto(link)
    reveal_in_page(receiver, passphrase)
    expect(receiver.get_by_role("alert")).to_have_text(ALTERED)
    expect(receiver.locator("#shown-file")).to_be_hidden()


def test_a_file_is_encrypted_chunk_by_chunk_and_decrypted_as_it_downloads(fresh, tmp_path):
    content = (b"CANARY-FILE " * 100_000)[: 3 * MiB + 5]
    source = tmp_path / "Quartalsbericht März.bin"
    source.write_bytes(content)
    sender = fresh()
    link, passphrase = create_in_page(sender, file=str(source), views=2)
    sender.context.recorder.assert_never_sent(b"CANARY-FILE", passphrase, "Quartalsbericht")

    receiver = fresh()
    receiver.goto(link)
    download = reveal_file(receiver, passphrase)
    assert download.suggested_filename == "Quartalsbericht März.bin"
    assert Path(download.path()).read_bytes() == content
    expect(receiver.locator("#views-left")).to_contain_text("1 more time")
    receiver.context.recorder.assert_never_sent(passphrase)


def test_once_sent_the_page_says_the_server_only_stores_what_was_encrypted_here(fresh):
    page = fresh()
    page.goto("/")
    # Every text the progress line shows, in order (it changes faster than a poll).
    page.evaluate("""() => {
      const status = document.getElementById("upload-status");
      window.told = [];
      new MutationObserver(() => window.told.push(status.textContent)).observe(status, {childList: true});
    }""")
    page.get_by_role("radio", name="File").check()
    page.get_by_label("Secret file").set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"sealed here\n"}]
    )
    page.get_by_role("button", name="Create secret link").click()
    expect(page.get_by_role("heading", name="Your secret is ready")).to_be_visible()
    told = page.evaluate("window.told")
    assert "Sent. Storing the encrypted file…" in told, told
    assert "Sent. Encrypting and storing…" not in told


def test_browser_made_opens_in_the_client_and_client_made_in_the_browser(fresh, server, tmp_path):
    cli = Client(server.url, tmp_path)
    sender = fresh()
    link, passphrase = create_in_page(sender, text="from the browser ✓")
    opened = cli("get", link, env={"PYSECRETS_PASSPHRASE": passphrase})
    assert (opened.returncode, opened.stdout.decode()) == (0, "from the browser ✓"), opened.stderr

    source = tmp_path / "from the client.txt"
    source.write_bytes(b"from the client " * 50_000)
    created = cli("send", str(source), "--json")
    assert created.returncode == 0, created.stderr
    created = json.loads(created.stdout)
    receiver = fresh()
    receiver.goto(created["link"])
    download = reveal_file(receiver, created["passphrase"])
    assert download.suggested_filename == "from the client.txt"
    assert Path(download.path()).read_bytes() == source.read_bytes()


@pytest.mark.slow
def test_a_200_mib_file_round_trips_with_a_small_js_heap(fresh, tmp_path, artifacts):
    size = 200 * MiB
    source = tmp_path / "big.bin"
    digest = hashlib.sha256()
    with open(source, "wb") as out:
        block = hashlib.sha256(b"seed").digest() * (MiB // 32)
        for i in range(size // MiB):
            piece = bytes([i % 256]) + block[1:]
            digest.update(piece)
            out.write(piece)

    def sample_heap(page, cdp, until) -> tuple[float, int]:
        started, peak = time.monotonic(), 0
        while not until():
            # A page that shows an error instead never gets there: fail, do not wait for ever.
            assert time.monotonic() - started < 300, (
                f"the page did not finish within 5 minutes; {page.problems} {page.console_errors}"
            )
            alert = page.get_by_role("alert")
            assert not alert.count(), (
                f"the page said {alert.all_inner_texts()}; {page.problems} {page.console_errors}"
            )
            metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
            peak = max(peak, int(metrics["JSHeapUsedSize"]))
            page.wait_for_timeout(100)
        return time.monotonic() - started, peak

    sender = fresh()
    cdp = sender.context.new_cdp_session(sender)
    cdp.send("Performance.enable")
    sender.goto("/")
    sender.get_by_role("radio", name="File").check()
    sender.get_by_label("Secret file").set_input_files(str(source))
    sender.get_by_role("button", name="Create secret link").click()
    heading = sender.get_by_role("heading", name="Your secret is ready")
    send_seconds, send_peak = sample_heap(sender, cdp, heading.is_visible)
    link = sender.get_by_label("Link", exact=True).input_value()
    passphrase = sender.get_by_label("Passphrase", exact=True).input_value()

    receiver = fresh()
    cdp = receiver.context.new_cdp_session(receiver)
    cdp.send("Performance.enable")
    receiver.goto(link)
    receiver.get_by_label("Passphrase", exact=True).fill(passphrase)
    downloads = []
    receiver.on("download", lambda download: downloads.append(download))
    receiver.get_by_role("button", name="Reveal secret").click()
    get_seconds, get_peak = sample_heap(receiver, cdp, lambda: bool(downloads))
    received = hashlib.sha256()
    with open(downloads[0].path(), "rb") as f:
        while chunk := f.read(MiB):
            received.update(chunk)
    assert received.digest() == digest.digest()
    report = (
        f"200 MiB end-to-end in Chromium: encrypt+upload {send_seconds:.1f} s, "
        f"peak JS heap {send_peak / MiB:.1f} MiB; download+decrypt {get_seconds:.1f} s, "
        f"peak JS heap {get_peak / MiB:.1f} MiB\n"
    )
    (artifacts / "e2e-200mib.txt").write_text(report)
    print(report)
    # The file never sits in the page's heap: chunks go to the browser's blob storage.
    assert send_peak < 64 * MiB and get_peak < 64 * MiB, report
