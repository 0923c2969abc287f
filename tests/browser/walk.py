"""
Every page and state of the web UI, reached in one pass with one page, by
element ids only, so the same walk serves every language. Server failures the
pages must explain (storage down, throttled, offline) are played by routing
the page's own API calls; everything else is the real server.
"""

import json

from playwright.sync_api import expect

FILE = {"name": "report.txt", "mimeType": "text/plain", "buffer": b"quarterly figures\n"}
WRONG = "not the passphrase at all"
# Where the page uploads a file: sealed in the page, to the end-to-end route (the default).
UPLOAD = "**/api/e2e/uploads/*/file/"


def visible(page, selector):
    expect(page.locator(selector)).to_be_visible()


def walk(page, http):
    """Brings ``page`` into each state in turn and yields the state's name."""
    page.goto("/")
    expect(page.locator("#secret-hint")).not_to_be_empty()
    yield "create"

    page.locator("#create-button").click()
    visible(page, "#secret-error")
    yield "create: text missing"

    page.locator("#kind-file").check()
    page.locator("#file").set_input_files(files=[FILE])
    visible(page, "#file-field")
    yield "create: file chosen"

    held = []
    page.route(UPLOAD, lambda route: held.append(route))
    page.locator("#create-button").click()
    visible(page, "#upload")
    page.wait_for_function("() => document.getElementById('upload-status').textContent !== ''")
    yield "create: upload in progress"
    held[0].fulfill(status=503, json={"detail": "Storage is unavailable.", "code": "storage_unavailable"})
    visible(page, "#form-error")
    yield "create: storage unavailable"
    page.unroute(UPLOAD)

    throttled = {"detail": "Throttled.", "code": "throttled"}
    page.route(
        UPLOAD,
        lambda route: route.fulfill(status=429, headers={"Retry-After": "120"}, body=json.dumps(throttled)),
    )
    unavailable = page.locator("#form-error").inner_text()
    page.locator("#create-button").click()
    # The page seals the file before it uploads: wait for this attempt's own answer.
    visible(page, "#form-error")
    expect(page.locator("#form-error")).not_to_have_text(unavailable)
    yield "create: throttled"
    page.unroute(UPLOAD)

    throttled = page.locator("#form-error").inner_text()
    page.route(UPLOAD, lambda route: route.abort())
    page.locator("#create-button").click()
    visible(page, "#form-error")
    expect(page.locator("#form-error")).not_to_have_text(throttled)
    yield "create: offline"
    page.unroute(UPLOAD)

    page.locator("#kind-text").check()
    page.locator("#secret").fill("a secret in every language")
    page.locator("#passphrase").fill("short")
    page.locator("#create-button").click()
    visible(page, "#passphrase-error")
    yield "create: passphrase too short"

    page.locator("#passphrase").fill("")
    page.locator("#view_count").select_option("2")
    page.locator("#create-button").click()
    visible(page, "#result-qr svg")
    yield "result"

    page.locator("#result-in-link").check()
    visible(page, "#qr-with-passphrase")
    yield "result: passphrase in the link"
    page.locator("#result-in-link").uncheck()

    link = page.locator("#result-link").input_value()
    passphrase = page.locator("#result-passphrase").input_value()
    page.goto(link)
    visible(page, "#reveal-form")
    yield "reveal"

    page.locator("#reveal-button").click()
    visible(page, "#gone")
    yield "reveal: passphrase missing"

    page.locator("#passphrase").fill(WRONG)
    page.locator("#reveal-button").click()
    expect(page.locator("#passphrase")).to_have_attribute("aria-invalid", "true")
    visible(page, "#gone")
    yield "reveal: wrong passphrase"

    page.locator("#passphrase").fill(passphrase)
    page.locator("#reveal-button").click()
    visible(page, "#shown-text")
    yield "revealed text"

    page.locator("#burn-shown").click()
    visible(page, "#burned")
    yield "burned"

    answer = http.post("/api/files/", multipart={"file": FILE})
    assert answer.status == 201, answer.text()
    created = answer.json()
    page.goto(f"/secret/{created['secret_id']}")
    page.locator("#passphrase").fill(created["passphrase"])
    with page.expect_download():
        page.locator("#reveal-button").click()
    visible(page, "#shown-file")
    yield "revealed file"

    # The sender's receipt: a secret of its own, so the walk above keeps its views.
    answer = http.post("/api/text/", data={"secret": "for the receipt", "view_count": 2})
    assert answer.status == 201, answer.text()
    created = answer.json()
    page.goto(f"/receipt/{created['receipt']}")
    visible(page, "#receipt-facts")
    yield "receipt: not opened"

    shown = page.locator("#receipt-state").inner_text()
    reveal = http.post(
        f"/api/secrets/{created['secret_id']}/reveal/", data={"passphrase": created["passphrase"]}
    )
    assert reveal.status == 200, reveal.text()
    page.locator("#receipt-refresh").click()
    expect(page.locator("#receipt-state")).not_to_have_text(shown)
    yield "receipt: opened"

    shown = page.locator("#receipt-state").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#receipt-revoke").click()
    expect(page.locator("#receipt-state")).not_to_have_text(shown)
    expect(page.locator("#receipt-revoke")).to_be_hidden()
    yield "receipt: revoked"

    page.goto("/receipt/" + "A" * 32)
    visible(page, "#receipt-error")
    yield "receipt: unknown"
