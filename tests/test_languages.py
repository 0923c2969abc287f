"""
Five languages: the catalogues are whole and up to date with the sources, every
page and every API error speaks the visitor's language, the switcher remembers
a choice, and right-to-left pages mirror.
"""

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.conf import settings

from tests.support import e2e_client
from tests.support.catalogues import DOMAINS, ROOT, SAME_AS_ENGLISH, catalogue_files, msgids

LANGUAGES = [code for code, _ in settings.LANGUAGES]
TRANSLATED = [code for code in LANGUAGES if code != settings.LANGUAGE_CODE]
SECRET_ID = "HrVfOn1aoqKHeRKi"


class Texts(HTMLParser):
    """What a person reads or hears on a page: text, and the attributes that are spoken or shown."""

    SPOKEN = ("aria-label", "title", "placeholder", "alt")

    def __init__(self, html):
        super().__init__()
        self.texts, self.skip = [], 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style")
        self.texts += [value.strip() for name, value in attrs if name in self.SPOKEN and value]

    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style")

    def handle_data(self, data):
        # Whitespace, punctuation and numbers read the same in every language.
        if not self.skip and re.search(r"[^\W\d_]", data):
            self.texts.append(" ".join(data.split()))


def page(api, path, language):
    response = api.get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_every_language_but_english_has_both_catalogues():
    found = {(po.parent.parent.name, po.stem) for po in catalogue_files()}
    assert found == {(code, domain) for code in TRANSLATED for domain in DOMAINS}


@pytest.mark.parametrize("po", catalogue_files(), ids=lambda p: f"{p.parent.parent.name}-{p.stem}")
def test_every_message_is_translated_with_the_same_placeholders(po):
    # --check: placeholders and plural forms agree with the original; --statistics counts the rest.
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"\d+ translated messages?\.\n", result.stderr), result.stderr


def test_catalogues_hold_every_marked_string_and_nothing_else(tmp_path):
    # The catalogues are brought up to date in a copy, as a translator would, and compared.
    copy = tmp_path / "src"
    copy.mkdir()
    for name in ("manage.py", "secrets_site", "sharing", "ops", "frontend", "locale", "scripts"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        else:
            shutil.copy(source, copy / name)
    # Every language's catalogue lists the same messages: updating one is enough.
    subprocess.run(
        ["sh", "scripts/update-messages.sh", "de"],
        cwd=copy,
        env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable, "DATA_DIR": str(tmp_path / "data")},
        check=True,
    )
    for po in catalogue_files():
        fresh = copy / "locale" / "de" / "LC_MESSAGES" / po.name
        missing, stale = msgids(fresh) - msgids(po), msgids(po) - msgids(fresh)
        assert not missing, f"not in {po.relative_to(ROOT)} (run `make messages` and translate): {missing}"
        assert not stale, f"no longer in the sources, still in {po.relative_to(ROOT)}: {stale}"


@pytest.mark.parametrize("path", ["/", f"/secret/{SECRET_ID}"])
@pytest.mark.parametrize("language", TRANSLATED)
def test_no_page_has_an_untranslated_string(api, path, language):
    english = set(Texts(page(api, path, "en")).texts)
    allowed = (
        SAME_AS_ENGLISH.get(language, set()) | {settings.SITE_NAME} | {name for _, name in settings.LANGUAGES}
    )
    left = [
        text for text in Texts(page(api, path, language)).texts if text in english and text not in allowed
    ]
    assert left == [], f"untranslated on {path} in {language}"


@pytest.mark.parametrize(
    ("language", "direction"), [("en", "ltr"), ("de", "ltr"), ("fr", "ltr"), ("es", "ltr"), ("ar", "rtl")]
)
def test_pages_declare_their_language_and_direction(api, language, direction):
    html = page(api, "/", language)
    assert f'<html lang="{language}" dir="{direction}">' in html
    assert re.search(
        rf'<button type="submit" name="language" value="{language}" lang="{language}" aria-current="true">',
        html,
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_switcher_names_each_language_in_its_own_words(api, language):
    html = page(api, "/", language)
    names = re.findall(
        r'<button type="submit" name="language" value="(\w+)" lang="\1"[^>]*>([^<]+)</button>', html
    )
    assert names == list(settings.LANGUAGES)


def test_accept_language_picks_the_best_offered_language(api):
    assert '<html lang="fr"' in page(api, "/", "it;q=1, fr-CA;q=0.8, de;q=0.5")
    assert '<html lang="en"' in page(api, "/", "ja, zh")


def test_the_switcher_remembers_the_choice_over_accept_language(api):
    answer = api.post(
        "/i18n/language",
        {"language": "ar", "next": f"/secret/{SECRET_ID}"},
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert answer.status_code == 302 and answer["Location"] == f"/secret/{SECRET_ID}"
    cookie = answer.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "ar" and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) >= 365 * 86400
    assert '<html lang="ar" dir="rtl">' in page(api, "/", "de")


def test_another_site_cannot_switch_the_language(api):
    answer = api.post(
        "/i18n/language",
        {"language": "ar", "next": "/"},
        HTTP_SEC_FETCH_SITE="cross-site",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert answer.status_code == 403
    assert answer.json() == {
        "detail": "Les requêtes envoyées par des pages d'autres sites sont refusées.",
        "code": "cross_site",
    }
    assert settings.LANGUAGE_COOKIE_NAME not in answer.cookies
    assert api.get("/i18n/language").status_code == 405


def test_the_switcher_never_sends_anyone_elsewhere(api):
    answer = api.post("/i18n/language", {"language": "de", "next": "https://evil.example/"})
    assert answer.status_code == 302 and answer["Location"] == "/"


@pytest.mark.parametrize(
    ("language", "detail", "field_message"),
    [
        ("en", "Invalid input: view_count.", "Ensure this value is at most 10."),
        ("de", "Ungültige Eingabe: view_count.", "Dieser Wert darf höchstens 10 sein."),
        ("fr", "Saisie non valide\u00a0: view_count.", "Cette valeur doit être inférieure ou égale à 10."),
        ("es", "Entrada no válida: view_count.", "Este valor debe ser como máximo 10."),
        ("ar", "إدخال غير صالح: view_count.", "يجب ألا تزيد هذه القيمة عن 10."),
    ],
)
def test_api_errors_speak_the_language_and_keep_their_code(post_json, language, detail, field_message):
    answer = post_json("/api/text/", {"secret": "s", "view_count": 11}, HTTP_ACCEPT_LANGUAGE=language)
    assert answer.status_code == 400
    assert answer.json() == {"detail": detail, "code": "invalid", "fields": {"view_count": [field_message]}}


def test_domain_errors_are_translated_at_the_edge(post_json, settings):
    settings.MAX_TEXT_BYTES = 4
    answer = post_json("/api/text/", {"secret": "too long"}, HTTP_ACCEPT_LANGUAGE="de")
    assert answer.status_code == 413
    assert answer.json() == {"detail": "Texte dürfen höchstens 4 Bytes groß sein.", "code": "too_large"}
    answer = post_json(
        f"/api/secrets/{SECRET_ID}/reveal/", {"passphrase": "x" * 32}, HTTP_ACCEPT_LANGUAGE="es"
    )
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"
    assert answer.json()["detail"].startswith("No existe ningún secreto")


def test_end_to_end_errors_speak_the_language(post_json, settings):
    ticket = post_json("/api/e2e/", {}).json()
    sealed = e2e_client.seal_text(ticket, "once")
    assert post_json(ticket["text_url"], sealed.body).status_code == 201
    again = post_json(ticket["text_url"], sealed.body, HTTP_ACCEPT_LANGUAGE="fr")
    assert again.status_code == 409
    assert again.json()["detail"] == "Cet identifiant a déjà servi ; demandez-en un nouveau."
    forged = post_json("/api/e2e/uploads/nonsense/text/", sealed.body, HTTP_ACCEPT_LANGUAGE="de")
    assert forged.status_code == 404
    assert (
        forged.json()["detail"]
        == "Dieses Upload-Ticket ist ungültig oder abgelaufen; fordern Sie ein neues an."
    )
    settings.MAX_TEXT_BYTES = 4
    fresh = post_json("/api/e2e/", {}).json()
    large = post_json(
        fresh["text_url"], e2e_client.seal_text(fresh, "too long").body, HTTP_ACCEPT_LANGUAGE="es"
    )
    assert large.status_code == 413
    assert large.json() == {"detail": "Los textos pueden tener como máximo 4 bytes.", "code": "too_large"}


def test_the_script_catalogue_is_a_script_in_the_visitors_language(api):
    answer = api.get("/i18n/catalog.js", HTTP_ACCEPT_LANGUAGE="de", HTTP_ACCEPT_ENCODING="identity")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/javascript")
    body = answer.content.decode()
    assert '"Copied": "Kopiert"' in body
    assert "selected" not in body, "only this site's messages, not the admin's"
    packed = api.get("/i18n/catalog.js", HTTP_ACCEPT_LANGUAGE="ar", HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip" and len(packed.content) < 4096


def test_the_stylesheet_mirrors_for_right_to_left():
    css = (ROOT / "frontend" / "static" / "app.css").read_text()
    physical = re.findall(r"[\w-]*(?:left|right)[\w-]*\s*:|(?:margin|padding|border)-(?:top|bottom)\s*:", css)
    assert physical == [], "use logical properties (inline-start, block-end, …) so Arabic pages mirror"
