"""
Every page and state in every language, light and dark, desktop and phone:
no WCAG 2.1 A/AA violation that axe-core finds, no text left in English, and
screenshots to look at. One walk per language (tests/browser/walk.py); each
state is checked in all four looks before the walk moves on.
"""

import json
import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.walk import FILE, walk
from tests.support.catalogues import SAME_AS_ENGLISH

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LANGUAGES = [code for code, _ in settings.LANGUAGES]
SCHEMES = ["light", "dark"]
# The states worth a picture in every language and look; the rest are checked, not pictured.
PICTURED = {"create", "create: upload in progress", "result", "reveal: wrong passphrase", "revealed text"}

AUDIT = """async (tags) => {
  const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
  const results = await axe.run(document, options);
  return results.violations.map((v) => ({
    rule: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ") + ": " + n.failureSummary.replace(/\\s+/g, " ")),
  }));
}"""

# What a person reads or hears: the visible text and the names given in attributes.
TEXTS = """() => {
  const shown = (el) => el.checkVisibility();
  const texts = document.body.innerText.split("\\n");
  for (const el of document.querySelectorAll("[aria-label], [title], [placeholder], [alt]")) {
    if (!shown(el)) continue;
    for (const name of ["aria-label", "title", "placeholder", "alt"]) texts.push(el.getAttribute(name) ?? "");
  }
  texts.push(document.title);
  return texts.map((t) => t.trim()).filter((t) => /\\p{L}/u.test(t));
}"""


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def walk_language(browser, base_url, viewports, artifacts, axe, language):
    context = browser.new_context(base_url=base_url, viewport=viewports["desktop"], accept_downloads=True)
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
    states = {}
    for state in walk(page, context.request):
        # Through the debugging protocol, as the page's policy allows no injected
        # script; once per document.
        if not page.evaluate("typeof axe !== 'undefined'"):
            page.evaluate("'use strict';\n" + axe)
        looks = {}
        for scheme in SCHEMES:
            page.emulate_media(color_scheme=scheme)
            for size, viewport in viewports.items():
                page.set_viewport_size(viewport)
                looks[f"{scheme} {size}"] = page.evaluate(AUDIT, WCAG_21_AA)
                if state in PICTURED:
                    name = f"{language}-{slug(state)}-{size}-{scheme}.png"
                    page.screenshot(path=artifacts / "screenshots" / name, full_page=True)
        page.emulate_media(color_scheme="light")
        page.set_viewport_size(viewports["desktop"])
        states[state] = {"violations": looks, "texts": page.evaluate(TEXTS)}
    context.close()
    return {"states": states, "console": problems}


@pytest.fixture(scope="module")
def walks(browser, base_url, viewports, artifacts, node_modules):
    """Walks every language once; per language and state: axe's violations in each look, and the texts."""
    axe = (node_modules / "axe-core" / "axe.min.js").read_text()
    found = {
        language: walk_language(browser, base_url, viewports, artifacts, axe, language)
        for language in LANGUAGES
    }
    summary = {
        language: {
            state: {look: len(v) for look, v in s["violations"].items()} for state, s in w["states"].items()
        }
        for language, w in found.items()
    }
    (artifacts / "axe.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_wcag_21_aa_violation_in_any_state_or_look(walks, language):
    failures = [
        f"{state} ({look}): {v['rule']} [{v['impact']}] {v['help']}: {v['nodes'][:3]}"
        for state, found in walks[language]["states"].items()
        for look, violations in found["violations"].items()
        for v in violations
    ]
    assert failures == [], "\n".join(failures)
    assert len(walks[language]["states"]) == 20


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != settings.LANGUAGE_CODE])
def test_no_state_shows_english_text(walks, language):
    # Besides words a language shares with English: the site's and the languages' names, the file's.
    allowed = SAME_AS_ENGLISH.get(language, set()) | {settings.SITE_NAME, FILE["name"]}
    allowed |= {name for _, name in settings.LANGUAGES}
    english = walks[settings.LANGUAGE_CODE]["states"]
    left = {
        state: [t for t in found["texts"] if t in set(english[state]["texts"]) and t not in allowed]
        for state, found in walks[language]["states"].items()
    }
    assert {state: texts for state, texts in left.items() if texts} == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_page_complains_in_any_language(walks, language):
    # The failures the walk plays (storage down, offline) log the failed requests themselves.
    expected = re.compile(r"Failed to load resource|net::ERR_FAILED")
    assert [p for p in walks[language]["console"] if not expected.search(p)] == []


FOCUS_SHOWN = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return el.matches(":focus-visible") && style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
}"""


def tab_to(page, selector, limit=20):
    """Presses Tab until ``selector`` has the focus; every stop on the way must show where the focus is."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate("document.activeElement.id || document.activeElement.outerHTML.slice(0, 80)")
        if page.evaluate("document.activeElement === document.body"):
            continue  # a fresh page may start the focus there: nothing to show
        assert page.evaluate(FOCUS_SHOWN), f"no visible focus on {stop}"
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never got the focus")


def test_share_and_reveal_by_keyboard_alone_with_the_focus_always_visible(page):
    page.goto("/")
    tab_to(page, "#secret")
    page.keyboard.type("typed, never clicked")
    tab_to(page, "#view_count")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#view_count")).to_have_value("2")
    tab_to(page, "#create-button")
    page.keyboard.press("Enter")
    expect(page.locator("#result-title")).to_be_focused()
    tab_to(page, "#result-passphrase")
    passphrase = page.evaluate("document.activeElement.value")
    link = page.locator("#result-link").input_value()

    page.goto(link)
    tab_to(page, "#passphrase")
    page.keyboard.type(passphrase)
    page.keyboard.press("Enter")
    expect(page.locator("#shown-title")).to_be_focused()
    expect(page.locator("#secret-text")).to_have_value("typed, never clicked")
    # One view is left, so the holder can burn it.
    tab_to(page, "#burn-shown")
    page.keyboard.press("Enter")
    expect(page.locator("#burned-title")).to_be_focused()
    tab_to(page, "#burned a")


def test_screen_readers_hear_progress_results_and_errors(page):
    page.goto("/")
    live = page.evaluate("""() => [...document.querySelectorAll('[aria-live], [role=alert]')].map(
        (el) => el.id || el.closest('section').id + ' .' + el.className)""")
    assert {"upload-status", "form-error", "result .status"} <= set(live)
    # Results and failures move the focus to what changed, so it is read out at once.
    page.locator("#create-button").click()
    expect(page.locator("#secret")).to_be_focused()
    expect(page.locator("#secret")).to_have_attribute("aria-describedby", "secret-hint secret-error")
    page.goto("/secret/HrVfOn1aoqKHeRKi")
    page.locator("#passphrase").fill("not the one")
    page.locator("#reveal-button").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("#passphrase")).to_be_focused()
    expect(page.locator("#passphrase")).to_have_attribute("aria-describedby", "gone")


def test_the_switcher_changes_the_language_and_keeps_it(page, context, base_url):
    page.goto("/secret/HrVfOn1aoqKHeRKi")
    page.get_by_role("button", name="العربية").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.url == f"{base_url}/secret/HrVfOn1aoqKHeRKi", "back on the same page"
    expect(page.get_by_role("button", name="العربية")).to_have_attribute("aria-current", "true")
    # The layout mirrors: the site's name on the right, the switcher on the left.
    brand, switcher = page.locator(".brand").bounding_box(), page.locator(".languages").bounding_box()
    assert brand["x"] > switcher["x"]
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    assert [c["value"] for c in context.cookies() if c["name"] == "django_language"] == ["ar"]
    page.get_by_role("button", name="Deutsch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ein Geheimnis teilen")
    assert page.console.problems == []
