"""The sender's receipt page in the browser: the link on the result page, the state in words, Revoke now."""

import re

import pysecrets_e2e as e2e
from playwright.sync_api import expect


def reveal_in_the_open(http, secret_id: str, passphrase: str):
    """Open the page's secret the way a client does: end to end, with the proof of its passphrase."""
    proof = e2e.derive_keys(passphrase, secret_id=secret_id).proof
    return http.post(f"/api/e2e/{secret_id}/reveal/", data={"proof": e2e.b64encode(proof)})


def test_the_result_links_to_a_receipt_that_follows_the_secret_and_revokes_it(page, http, base_url):
    page.goto("/")
    page.get_by_label("Secret text").fill("for the right person only")
    page.get_by_label("Views allowed").select_option("2")
    page.get_by_role("button", name="Create secret link").click()
    expect(page.get_by_role("heading", name="Your secret is ready")).to_be_visible()
    secret_id = page.get_by_label("Link", exact=True).input_value().rsplit("/", 1)[1]
    passphrase = page.get_by_label("Passphrase", exact=True).input_value()
    receipt_link = page.get_by_role("link", name="Check whether it was opened")
    href = receipt_link.get_attribute("href")
    assert re.fullmatch(rf"{re.escape(base_url)}/receipt/[A-Za-z0-9_-]{{32}}", href)

    requests = []
    page.on("request", lambda r: requests.append((r.method, r.url)))
    receipt_link.click()
    expect(page.locator("#receipt-state")).to_have_text("Not opened yet.")
    expect(page.locator("#receipt-views")).to_have_text("0 of 2 taken, 2 left")
    expect(page.locator("#receipt-last")).to_have_text("Never")
    # Loading the page only asked the API, with a GET: no view taken, nothing changed.
    assert [m for m, url in requests if "/api/" in url] == ["GET"]
    # The page shows no more than the JSON does: neither the id nor the passphrase.
    content = page.content()
    assert secret_id not in content and passphrase not in content

    # The page seals end to end by default: its link is /e/<id>.
    assert page.url.startswith(base_url) and secret_id
    assert reveal_in_the_open(http, secret_id, passphrase).status == 200
    page.get_by_role("button", name="Check again").click()
    expect(page.locator("#receipt-state")).to_have_text("Opened, and it can still be opened again.")
    expect(page.locator("#receipt-views")).to_have_text("1 of 2 taken, 1 left")
    expect(page.locator("#receipt-last")).not_to_have_text("Never")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke now").click()
    expect(page.locator("#receipt-state")).to_have_text(
        "Deleted before all its views were taken. It is gone."
    )
    expect(page.get_by_role("button", name="Revoke now")).to_be_hidden()
    assert reveal_in_the_open(http, secret_id, passphrase).status == 404
    assert page.console.problems == []


def test_an_unknown_receipt_says_so_plainly(page):
    page.goto("/receipt/" + "A" * 32)
    expect(page.get_by_role("alert")).to_contain_text("No receipt like this")
    expect(page.get_by_role("button", name="Revoke now")).to_be_hidden()
