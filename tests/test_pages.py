"""
The pages are rendered once for each language and fixed choice, then filled in
with each request's own strings: what a visitor gets is byte for byte what
rendering the template for that request gives, the limits and names in force
show at once, and no page carries anything from another request.
"""

import concurrent.futures
import functools
import gzip
import io
import re
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.wsgi import WSGIHandler
from django.template.loader import render_to_string
from django.test import override_settings
from django.test.signals import template_rendered
from django.utils import translation
from django.utils.autoreload import file_changed
from django.utils.html import escapejs
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from sharing import pages

LANGUAGES = [code for code, _ in settings.LANGUAGES]
HOSTILE = ["<b>\"x'&amp;", "été", "a\x00b", "';alert(1)\\", "{{ secret_id }}", "%41"]


def rendered_for(response, template_name, **context):
    """What Django's own render() gives for the request that was answered."""
    request = response.wsgi_request
    with translation.override(response.headers["Content-Language"]):
        return render_to_string(template_name, {"limits": pages.page_limits(), **context}, request=request)


def served(api, path, **extra):
    response = api.get(path, **extra)
    assert response.status_code == 200
    return response


@pytest.fixture
def renders():
    """The page templates rendered from now on, by name."""
    names = []

    def seen(sender, template, **kwargs):
        if template.name in ("index.html", "secret.html", "receipt.html"):
            names.append(template.name)

    template_rendered.connect(seen)
    yield names
    template_rendered.disconnect(seen)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("value", HOSTILE)
def test_every_page_is_what_rendering_it_for_the_request_gives(api, language, value):
    accept = {"HTTP_ACCEPT_LANGUAGE": language}
    response = served(api, "/", **accept)
    assert response.content.decode() == rendered_for(response, "index.html")
    for prefix, end_to_end in (("/secret/", False), ("/e/", True)):
        response = served(api, prefix + quote(value, safe=""), **accept)
        expected = rendered_for(response, "secret.html", secret_id=value, end_to_end=end_to_end)
        assert response.content.decode() == expected
    response = served(api, "/receipt/" + quote(value, safe=""), **accept)
    assert response.content.decode() == rendered_for(response, "receipt.html", receipt=value)


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="/"), min_size=1))
def test_any_id_is_escaped_exactly_as_the_template_escapes_it(api, value):
    response = served(api, "/secret/" + quote(value, safe=""))
    expected = rendered_for(response, "secret.html", secret_id=value, end_to_end=False)
    assert response.content.decode() == expected


def test_a_string_shaped_like_a_slot_stays_itself(api):
    # The markers a rendering keeps its slots by are filled in once: what
    # fills them is never read again, even a marker with the process's token.
    forged = pages._marker("request_path")
    html = served(api, "/secret/" + quote(forged, safe="")).content.decode()
    assert f'data-secret-id="{forged}"' in html
    assert f'name="next" value="/secret/{forged}"' in html


def test_a_page_is_rendered_once_a_language_and_then_only_filled_in(api, renders):
    pages.forget_kept()
    for secret_id in ("HrVfOn1aoqKHeRKi", "AAAAAAAAAAAAAAAA", "zzzzzzzzzzzzzzzz"):
        html = served(api, f"/secret/{secret_id}").content.decode()
        assert f'data-secret-id="{secret_id}"' in html
        assert "data-end-to-end" not in html
    assert renders == ["secret.html"]
    assert 'data-end-to-end="1"' in served(api, "/e/HrVfOn1aoqKHeRKi").content.decode()
    served(api, "/secret/HrVfOn1aoqKHeRKi", HTTP_ACCEPT_LANGUAGE="de")
    served(api, "/secret/AAAAAAAAAAAAAAAA", HTTP_ACCEPT_LANGUAGE="de")
    assert renders == ["secret.html"] * 3  # one more for end-to-end, one for German


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_keeps_its_own_headers_and_words(api, language):
    served(api, "/", HTTP_ACCEPT_LANGUAGE="en")  # another language's rendering is kept meanwhile
    response = served(api, "/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.headers["Content-Language"] == language
    assert "Accept-Language" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == "no-store, private, max-age=0"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert f'<html lang="{language}"' in response.content.decode()


def test_limits_and_names_changed_in_force_show_at_once(api, settings):
    before = served(api, "/").content.decode()
    assert '<option value="10">' in before and "Acme Vault" not in before
    with override_settings(MAX_VIEWS=3, SITE_NAME="Acme Vault", MAX_TEXT_BYTES=1234):
        html = served(api, "/").content.decode()
        assert re.findall(r'<option value="(\d+)"(?: selected)?>\d+ views?</option>', html) == ["1", "2", "3"]
        assert '<a class="brand" href="/">Acme Vault</a>' in html
        assert 'data-max-text-bytes="1234"' in html
        assert "Acme Vault" in served(api, "/receipt/abc").content.decode()
    assert served(api, "/").content.decode() == before
    settings.LANGUAGES = [("en", "English"), ("de", "Deutsch")]
    html = served(api, "/").content.decode()
    assert re.findall(r'name="language" value="(\w+)"', html) == ["en", "de"]


def test_a_changed_file_is_rendered_again(api, renders):
    # Under the development server's autoreloader, an edited template or
    # catalogue shows without a restart, as with Django's own template cache.
    pages.forget_kept()
    served(api, "/")
    served(api, "/")
    assert renders == ["index.html"]
    file_changed.send(sender=None, file_path=settings.BASE_DIR / "frontend" / "templates" / "index.html")
    served(api, "/")
    assert renders == ["index.html"] * 2


@functools.cache
def application() -> WSGIHandler:
    return WSGIHandler()


def wsgi_get(path: str, **environ) -> str:
    """A page as a WSGI server asks for it: the script prefix in force, the threads its own."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        **environ,
    }
    statuses = []
    body = b"".join(application()(environ, lambda status, headers: statuses.append(status)))
    assert statuses == ["200 OK"]
    return body.decode()


def test_a_site_served_under_a_prefix_links_within_it():
    german = {"HTTP_ACCEPT_LANGUAGE": "de"}
    plain = wsgi_get("/secret/HrVfOn1aoqKHeRKi", **german)
    html = wsgi_get("/secret/HrVfOn1aoqKHeRKi", SCRIPT_NAME="/vault", **german)
    assert 'action="/vault/i18n/language"' in html and 'src="/vault/i18n/catalog.js"' in html
    assert 'name="next" value="/vault/secret/HrVfOn1aoqKHeRKi"' in html
    assert "/vault" not in plain
    assert wsgi_get("/secret/HrVfOn1aoqKHeRKi", **german) == plain


def test_threads_answering_at_once_each_send_only_their_own_page():
    # A worker's threads share the kept renderings: each page holds its own
    # request's id and path, and no other's.
    def page(n: int) -> tuple[int, str]:
        path = f"/{'e' if n % 2 else 'secret'}/id{n:06d}"
        return n, wsgi_get(path, HTTP_ACCEPT_LANGUAGE=LANGUAGES[n % len(LANGUAGES)])

    pages.forget_kept()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answered = list(pool.map(page, range(400)))
    for n, html in answered:
        assert re.findall(r"id\d{6}", html) == [f"id{n:06d}"] * 2
        assert f'<html lang="{LANGUAGES[n % len(LANGUAGES)]}"' in html
        assert ('data-end-to-end="1"' in html) == bool(n % 2)


def test_a_template_that_filters_a_request_string_is_refused():
    with pytest.raises(ImproperlyConfigured):
        pages.Prerendered(f'<main data-id="{escapejs(pages._marker("secret_id"))}">')


def test_the_script_catalogue_is_made_once_a_language_and_sent_as_asked(api, monkeypatch):
    made = []

    def counted(*args):
        made.append(translation.get_language())
        return original(*args)

    original = pages._catalog_script
    monkeypatch.setattr(pages, "_catalog_script", counted)
    pages.forget_kept()
    plain = api.get("/i18n/catalog.js", HTTP_ACCEPT_LANGUAGE="ar", HTTP_ACCEPT_ENCODING="identity")
    packed = api.get("/i18n/catalog.js", HTTP_ACCEPT_LANGUAGE="ar", HTTP_ACCEPT_ENCODING="br, gzip;q=0.5")
    german = api.get("/i18n/catalog.js", HTTP_ACCEPT_LANGUAGE="de")
    assert made == ["ar", "de"]
    assert "Content-Encoding" not in plain and packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content) // 4
    assert '"Copied": "Kopiert"' in german.content.decode()
    for answer in (plain, packed, german):
        assert answer["Vary"] == "Accept-Encoding, Accept-Language"
        assert answer["Content-Type"] == 'text/javascript; charset="utf-8"'
        assert answer["Cache-Control"] == "no-store, private, max-age=0"
