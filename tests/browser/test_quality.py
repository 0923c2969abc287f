"""Strict CSP, weight of the first load, phone widths, light and dark."""

import re

import pytest
from playwright.sync_api import expect

CSP = "default-src 'self'"
PAGES = re.compile(r"^https?://[^/]+/(secret/[A-Za-z0-9]+)?$")
FIRST_LOAD_BUDGET = 20 * 1024


def with_csp(route):
    """Adds the strict policy to a page response unless the server already sends one."""
    response = route.fetch()
    headers = dict(response.headers)
    headers.setdefault("content-security-policy", CSP)
    route.fulfill(response=response, headers=headers)


def test_pages_work_under_strict_csp(page, create_text):
    page.route(PAGES, with_csp)
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))

    answer = page.goto("/")
    assert CSP in answer.all_headers()["content-security-policy"]
    page.get_by_label("Secret text").fill("under a strict policy")
    page.get_by_role("button", name="Create secret link").click()
    expect(page.get_by_role("heading", name="Your secret is ready")).to_be_visible()
    link = page.get_by_label("Link", exact=True).input_value()
    passphrase = page.get_by_label("Passphrase", exact=True).input_value()

    answer = page.goto(link)
    assert CSP in answer.all_headers()["content-security-policy"]
    page.get_by_label("Passphrase", exact=True).fill(passphrase)
    page.get_by_role("button", name="Reveal secret").click()
    expect(page.get_by_label("Text", exact=True)).to_have_value("under a strict policy")
    # Styles applied: the stylesheet loaded and nothing inline was refused.
    assert page.evaluate("getComputedStyle(document.querySelector('main section')).borderRadius") == "10px"
    assert violations == []
    assert page.console.problems == []


def test_first_load_is_small(browser, base_url, artifacts):
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto("/", wait_until="networkidle")
    sizes = {r.url: r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"] for r in finished}
    context.close()
    total = sum(sizes.values())
    report = "\n".join(f"{size:7d}  {url}" for url, size in sizes.items())
    (artifacts / "first-load.txt").write_text(f"{report}\n{total:7d}  total bytes transferred\n")
    assert any(url.endswith(".js") for url in sizes) and any(url.endswith(".css") for url in sizes)
    assert not any(not url.startswith(base_url) for url in sizes), "nothing comes from another site"
    assert total < FIRST_LOAD_BUDGET, report


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_every_page_fits_and_follows_the_system_theme(browser, base_url, viewports, shoot, width, scheme):
    viewport = viewports[width]
    context = browser.new_context(
        base_url=base_url, viewport=viewport, color_scheme=scheme, is_mobile=width == "phone"
    )
    page = context.new_page()
    name = f"{width}-{scheme}"

    def check(step):
        shoot(page, f"{step}-{name}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{step} scrolls sideways by {overflow}px at {width} width"

    page.goto("/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    dark = sum(int(c) for c in re.findall(r"\d+", background)[:3]) < 3 * 128
    assert dark == (scheme == "dark"), background
    check("1-create")
    page.get_by_role("radio", name="File").check()
    page.get_by_role("button", name="Create secret link").click()
    expect(page.locator("#file-error")).to_be_visible()
    check("2-create-error")
    page.get_by_role("radio", name="Text").check()
    page.get_by_label("Secret text").fill("postgres://app:Sup3r-s3cret@db.internal:5432/app")
    page.get_by_role("button", name="Create secret link").click()
    expect(page.get_by_role("heading", name="Your secret is ready")).to_be_visible()
    check("3-result")
    link = page.get_by_label("Link", exact=True).input_value()
    passphrase = page.get_by_label("Passphrase", exact=True).input_value()

    page.goto(link)
    check("4-reveal")
    page.get_by_label("Passphrase", exact=True).fill("a wrong passphrase")
    page.get_by_role("button", name="Reveal secret").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check("5-reveal-wrong")
    page.get_by_label("Passphrase", exact=True).fill(passphrase)
    page.get_by_role("button", name="Reveal secret").click()
    expect(page.get_by_label("Text", exact=True)).to_be_visible()
    check("6-revealed")
    context.close()
