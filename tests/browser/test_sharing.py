"""What a person does in the browser: create, share, reveal, burn."""

import os
import re
from pathlib import Path

from playwright.sync_api import expect

GONE = re.compile(r"already viewed, it expired, or the passphrase is wrong")
DAY = 24 * 3600


def reveal_in_page(page, passphrase):
    page.get_by_label("Passphrase", exact=True).fill(passphrase)
    page.get_by_role("button", name="Reveal secret").click()


def test_text_round_trip_until_gone(page, context, base_url):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    text = "línea uno\nline two ✓  with  spaces\n\tindented"
    page.goto("/")
    page.get_by_label("Secret text").fill(text)
    page.get_by_label("Views allowed").select_option("2")
    page.get_by_role("button", name="Create secret link").click()

    expect(page.get_by_role("heading", name="Your secret is ready")).to_be_focused()
    expect(page.get_by_text("different channels")).to_be_visible()
    link = page.get_by_label("Link", exact=True).input_value()
    passphrase = page.get_by_label("Passphrase", exact=True).input_value()
    # End-to-end by default: the page encrypted it, and its link says so.
    assert re.fullmatch(rf"{re.escape(base_url)}/e/[A-Za-z0-9]{{16}}", link)
    assert len(passphrase) >= 12 and passphrase not in link
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link
    page.get_by_role("button", name="Copy passphrase").click()
    assert page.evaluate("navigator.clipboard.readText()") == passphrase
    # Nothing of the secret stays behind in the browser.
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert context.cookies() == []
    assert page.url == f"{base_url}/"
    assert page.locator("#secret").input_value() == ""

    page.goto(link)
    for left in ("1 more time", "last view"):
        reveal_in_page(page, passphrase)
        expect(page.get_by_role("heading", name="The secret")).to_be_focused()
        expect(page.get_by_label("Text", exact=True)).to_have_value(text)
        expect(page.locator("#views-left")).to_contain_text(left)
        page.reload()
    reveal_in_page(page, passphrase)
    expect(page.get_by_role("alert")).to_have_text(GONE)
    expect(page.get_by_label("Text", exact=True)).to_be_hidden()


def test_file_upload_shows_progress_and_downloads_same_bytes(page, shoot):
    payload = os.urandom(5 * 1024 * 1024)
    name = "Quartalsbericht März ✓ (final).bin"
    page.goto("/")
    page.get_by_role("radio", name="File").check()
    expect(page.get_by_label("Secret text")).to_be_hidden()
    expect(page.locator("#file-hint")).to_contain_text("up to 1.0 GB")
    page.get_by_label("Secret file").set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": payload}]
    )
    # At local speed the upload is one event; a throttled link shows the bar moving.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    throttle = {"offline": False, "latency": 0, "downloadThroughput": -1}
    cdp.send("Network.emulateNetworkConditions", {**throttle, "uploadThroughput": 5 * 1024 * 1024})
    page.evaluate("""() => {
        const bar = document.getElementById("upload-progress");
        window.progressSeen = [];
        new MutationObserver(() => window.progressSeen.push([bar.value, bar.max]))
            .observe(bar, {attributes: true});
    }""")
    page.get_by_role("button", name="Create secret link").click()
    expect(page.get_by_role("progressbar")).to_be_visible()
    page.wait_for_function("() => document.getElementById('upload-progress').value > 2e6")
    shoot(page, "7-uploading-desktop-light")
    expect(page.get_by_role("heading", name="Your secret is ready")).to_be_visible(timeout=30_000)
    cdp.send("Network.emulateNetworkConditions", {**throttle, "uploadThroughput": -1})

    seen = page.evaluate("window.progressSeen")
    total = seen[-1][1]
    assert total >= len(payload)
    assert seen[-1][0] == total, "the bar ends at 100%"
    between = {value for value, maximum in seen if 0 < value < maximum == total}
    assert len(between) >= 2, f"the bar moved through intermediate values: {seen}"

    link = page.get_by_label("Link", exact=True).input_value()
    passphrase = page.get_by_label("Passphrase", exact=True).input_value()
    page.goto(link)
    page.get_by_label("Passphrase", exact=True).fill(passphrase)
    with page.expect_download() as info:
        page.get_by_role("button", name="Reveal secret").click()
    download = info.value
    assert download.suggested_filename == name
    assert Path(download.path()).read_bytes() == payload
    expect(page.locator("#shown-file")).to_contain_text(f"Your browser downloaded {name} (5.0 MB)")
    expect(page.locator("#views-left")).to_contain_text("last view")
    shoot(page, "8-file-revealed-desktop-light")


def test_wrong_passphrase_then_right_one(page, create_text):
    secret = create_text("the vault code is 0451", view_count=1)
    page.goto(f"/secret/{secret['secret_id']}")
    reveal_in_page(page, "not-the-right-passphrase")
    expect(page.get_by_role("alert")).to_have_text(GONE)
    passphrase_field = page.get_by_label("Passphrase", exact=True)
    expect(passphrase_field).to_be_focused()
    expect(passphrase_field).to_have_attribute("aria-invalid", "true")

    # A pasted passphrase often carries a stray newline or space.
    reveal_in_page(page, f" {secret['passphrase']}\n")
    expect(page.get_by_label("Text", exact=True)).to_have_value("the vault code is 0451")
    expect(page.get_by_role("alert")).to_be_hidden()


def test_opening_the_link_changes_nothing(page, http, create_text, reveal_by_api):
    secret = create_text("for your eyes only", view_count=1)
    calls = []
    page.on("request", lambda request: "/api/" in request.url and calls.append(request.url))
    page.goto(f"/secret/{secret['secret_id']}", wait_until="networkidle")
    expect(page.get_by_label("Passphrase", exact=True)).to_be_visible()
    page.reload(wait_until="networkidle")
    assert http.get(f"/secret/{secret['secret_id']}").ok  # as a link previewer fetches it
    assert calls == []

    response = reveal_by_api(secret)
    assert response.status == 200
    assert response.json()["data"] == "for your eyes only"


def test_burn_after_viewing(page, create_text, reveal_by_api, shoot):
    secret = create_text("burn me", view_count=3)
    page.goto(f"/secret/{secret['secret_id']}")
    reveal_in_page(page, secret["passphrase"])
    expect(page.locator("#views-left")).to_contain_text("2 more times")
    page.get_by_role("button", name="Delete it now").click()
    expect(page.get_by_role("heading", name="Deleted")).to_be_focused()
    shoot(page, "9-deleted-desktop-light")
    expect(page.get_by_label("Text", exact=True)).to_be_hidden()
    response = reveal_by_api(secret)
    assert response.status == 404


def test_burn_without_viewing(page, create_text, reveal_by_api):
    secret = create_text("never to be read", view_count=2)
    page.goto(f"/secret/{secret['secret_id']}")
    page.get_by_role("button", name="Delete without viewing").click()
    expect(page.get_by_role("alert")).to_have_text("Enter the passphrase you were sent.")
    page.get_by_label("Passphrase", exact=True).fill("wrong passphrase entirely")
    page.get_by_role("button", name="Delete without viewing").click()
    expect(page.get_by_role("alert")).to_have_text(GONE)
    page.get_by_label("Passphrase", exact=True).fill(secret["passphrase"])
    page.get_by_role("button", name="Delete without viewing").click()
    expect(page.get_by_role("heading", name="Deleted")).to_be_visible()
    response = reveal_by_api(secret)
    assert response.status == 404


def test_api_errors_show_next_to_their_field(page):
    page.goto("/")
    sent = []
    page.on("request", lambda request: "/api/" in request.url and sent.append(request.url))
    page.get_by_role("button", name="Create secret link").click()
    expect(page.locator("#secret-error")).to_have_text("Enter the text you want to share.")
    expect(page.get_by_label("Secret text")).to_be_focused()
    assert sent == [], "an empty text is caught before anything is sent"

    page.get_by_label("Secret text").fill("a secret")
    page.get_by_label("Own passphrase").fill("short")
    # End-to-end, the page itself refuses a passphrase it would have to send nowhere.
    page.get_by_role("button", name="Create secret link").click()
    expect(page.locator("#passphrase-error")).to_contain_text("12")
    assert sent == []
    # Encrypted by the server, the API's own answer shows next to its field.
    page.get_by_label("Encrypt in this browser (end-to-end)").uncheck()
    with page.expect_response("**/api/text/") as answer:
        page.get_by_role("button", name="Create secret link").click()
    assert answer.value.status == 400
    error = page.locator("#passphrase-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("12")
    expect(page.get_by_label("Own passphrase")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Own passphrase")).to_be_focused()
    expect(page.locator("#secret-error")).to_be_hidden()
    expect(page.locator("#form-error")).to_be_hidden()


def test_choices_follow_the_site_limits(page, ttl_days):
    page.goto("/")
    lifetimes = page.get_by_label("Expires after").locator("option")
    expect(lifetimes).to_have_text(["5 minutes", "1 hour", "1 day", f"{ttl_days} days"])
    values = [int(v) for v in lifetimes.evaluate_all("options => options.map(o => o.value)")]
    assert max(values) == ttl_days * DAY
    expect(page.get_by_label("Expires after")).to_have_value(str(DAY))
    views = page.get_by_label("Views allowed").locator("option")
    expect(views).to_have_count(10)
    expect(views.first).to_have_text("1 view")
    expect(page.get_by_label("Views allowed")).to_have_value("1")


def test_keyboard_alone_creates_a_secret(page):
    page.goto("/")

    def tab():
        page.keyboard.press("Tab")
        return page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()")

    order = [tab() for _ in range(13)]
    assert order == [
        "pysecrets",
        *["English", "Deutsch", "Français", "Español", "العربية"],  # the language switcher
        "kind-text",
        "secret",
        "view_count",
        "lifetime",
        "passphrase",
        "end-to-end",
        "create-button",
    ]
    for _ in range(6):
        page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "kind-text"
    page.keyboard.press("ArrowRight")  # on the kind radios: the file field replaces the text
    expect(page.get_by_label("Secret file")).to_be_visible()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_label("Secret text")).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.type("typed, never clicked")
    page.get_by_role("button", name="Create secret link").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your secret is ready")).to_be_focused()
    assert [tab() for _ in range(7)] == [
        "result-link",
        "copy-link",
        "result-passphrase",
        "Copy passphrase",
        "result-in-link",
        "receipt-link",
        "again",
    ]
    page.keyboard.press("Enter")
    expect(page.get_by_label("Secret text")).to_be_focused()
    expect(page.get_by_label("Secret text")).to_have_value("")
    expect(page.get_by_label("Link", exact=True)).to_be_hidden()
