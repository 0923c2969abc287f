"""The link's QR code: drawn by the page, never fetched from anywhere, and it scans back to the link."""

import base64
from pathlib import Path

from playwright.sync_api import expect

VENDORED = Path(__file__).resolve().parents[2] / "frontend" / "static" / "vendor"

# Reads a PNG (as a data: URL, which the page's policy allows for images) with jsQR.
SCAN = """async (url) => {
  const image = new Image();
  image.src = url;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, image.width, image.height);
  return jsQR(pixels.data, image.width, image.height)?.data ?? null;
}"""


def scan(page, locator, node_modules):
    png = locator.screenshot()
    # Through the debugging protocol, so the reader needs no exception from the page's policy.
    # A statement first: Playwright would call a script that reads as one function expression.
    page.evaluate("'use strict';\n" + (node_modules / "jsqr" / "dist" / "jsQR.js").read_text())
    return page.evaluate(SCAN, "data:image/png;base64," + base64.b64encode(png).decode())


def test_the_code_scans_back_to_the_link_and_says_what_it_holds(page, base_url, node_modules):
    requests = []
    page.goto("/")
    page.on("request", lambda request: requests.append(request.url))
    page.get_by_label("Secret text").fill("scan me")
    page.get_by_role("button", name="Create secret link").click()
    code = page.get_by_role("img", name="QR code of the link")
    expect(code).to_be_visible()
    link = page.get_by_label("Link", exact=True).input_value()
    expect(page.get_by_text("It holds the link only: send the passphrase separately.")).to_be_visible()
    expect(page.get_by_text("anyone who scans it can open the secret")).to_be_hidden()
    assert scan(page, code, node_modules) == link
    # Drawn here: besides the create call, only this site's static files were fetched (the encoder's modules).
    assert all(url.startswith(base_url) for url in requests)
    fetched = [url.removeprefix(base_url) for url in requests if "/api/" not in url]
    assert all(url.startswith("/static/") for url in fetched), fetched
    assert any(url.startswith("/static/vendor/uqr.") for url in fetched)
    assert page.console.problems == []


def test_the_code_is_gone_when_sharing_another(page):
    page.goto("/")
    page.get_by_label("Secret text").fill("first")
    page.get_by_role("button", name="Create secret link").click()
    expect(page.get_by_role("img", name="QR code of the link")).to_be_visible()
    page.get_by_role("button", name="Share another secret").click()
    expect(page.locator("#result-qr svg")).to_have_count(0)


def test_the_vendored_encoder_is_the_pinned_package_unchanged(node_modules):
    package = node_modules / "uqr"
    assert (VENDORED / "uqr.js").read_bytes() == (package / "dist" / "index.mjs").read_bytes()
    assert (VENDORED / "uqr.LICENSE.txt").read_bytes() == (package / "LICENSE").read_bytes()
