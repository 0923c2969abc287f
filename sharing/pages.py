"""
The web UI's pages: static templates plus the limits in force. Never changes state.

A page is the same for every visitor but for the active language, the limits
and names in force (settings, fixed for a process), the script prefix the site
is served under, and one or two strings from the request: its path (the
language switcher comes back to it), a secret id, a receipt token. Rendering a
page's thirty-odd translated strings, its choice loops and includes cost five
times what the rest of the request does, so each page is rendered once for
each language and fixed choice, with a marker wherever a request's own string
goes (``Prerendered``); a request fills in its strings, escaped exactly as the
template's autoescaping escapes them.

The script's catalogue of messages depends on the language alone: it is made
and compressed once for each.

What is kept (``keep``) is made for a blank request that holds markers only,
never for a visitor's request, so no page can carry anything from another
request. It is keyed on what it depends on and forgotten when a setting
changes (``override_settings``) or the development server sees a file change
(a template, a catalogue).
"""

import functools
import re
import secrets
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.middleware.gzip import re_accepts_gzip
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.autoreload import file_changed
from django.utils.cache import patch_vary_headers
from django.utils.html import conditional_escape
from django.utils.text import compress_string
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe
from django.views.i18n import JavaScriptCatalog, set_language

from sharing.services import public_limits


def duration_label(seconds: int) -> str:
    """The largest whole unit: "3 days", "12 hours", "90 minutes"."""
    if seconds % 86400 == 0:
        n = seconds // 86400
        return ngettext("%(n)d day", "%(n)d days", n) % {"n": n}
    if seconds % 3600 == 0:
        n = seconds // 3600
        return ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}
    if seconds % 60 == 0:
        n = seconds // 60
        return ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n}
    return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}


def page_limits() -> dict:
    """The limits, and the choices the create form offers, labelled in the active language."""
    limits = public_limits()
    return {
        **limits,
        "lifetime_choices": [
            (s, duration_label(s), s == limits["default_lifetime"]) for s in limits["lifetimes"]
        ],
        "view_choices": [
            (n, ngettext("%(n)d view", "%(n)d views", n) % {"n": n}, n == limits["default_views"])
            for n in range(1, limits["max_views"] + 1)
        ],
    }


def site(request) -> dict:
    """Context processor: the operator's name for the site, and the languages offered, on every page."""
    # Not get_available_languages: it translates the names into the page's language.
    return {"site_name": settings.SITE_NAME, "languages": settings.LANGUAGES}


# Drawn afresh by each process, so no template, setting or catalogue holds it
# by chance. Autoescaping leaves it as it is (no &, <, >, " or ').
_MARKER_TOKEN = secrets.token_hex(8)
_MARKER = re.compile(rf"\x00{_MARKER_TOKEN}:(\w+)\x00")


def _marker(name: str) -> str:
    return f"\x00{_MARKER_TOKEN}:{name}\x00"


class Prerendered:
    """A rendered page with a slot wherever a request's own string goes."""

    def __init__(self, html: str):
        pieces = _MARKER.split(html)
        self.texts = pieces[0::2]
        self.slots = pieces[1::2]
        if any(_MARKER_TOKEN in text for text in self.texts):
            # A marker the template changed (a filter) can be filled in no
            # way that matches what rendering the real string would give.
            raise ImproperlyConfigured("A page template may show a request's string only as {{ name }}.")

    def fill(self, strings: dict[str, str]) -> str:
        """The page for these strings, each escaped as ``{{ value }}`` escapes it."""
        out = [self.texts[0]]
        for name, text in zip(self.slots, self.texts[1:], strict=True):
            out += (conditional_escape(strings[name]), text)
        return "".join(out)


# The slot of the request's path, which the template reads as request.path.
_PATH = "request_path"

# What was made before a setting changed is never served after it, even what
# a thread was still making when the change came.
_generation = 0


@functools.lru_cache(maxsize=256)
def _kept(generation: int, language: str | None, script_prefix: str, make, *args):
    # The script prefix is not passed on: it is the one in force for this
    # thread, which {% url %} and {% static %} read, and part of the key.
    with translation.override(language):
        return make(*args)


def keep(make, *args):
    """``make(*args)`` in the active language, made once for it, the script prefix and the settings."""
    return _kept(_generation, translation.get_language(), get_script_prefix(), make, *args)


def forget_kept(**kwargs) -> None:
    global _generation
    _generation += 1
    _kept.cache_clear()


setting_changed.connect(forget_kept)
file_changed.connect(forget_kept)


def _prerender(template_name: str, fixed: tuple, slots: tuple) -> Prerendered:
    # For a blank request: the visitor's own never reaches what is kept.
    blank = HttpRequest()
    blank.path = _marker(_PATH)
    context = {"limits": page_limits(), **dict(fixed), **{name: _marker(name) for name in slots}}
    return Prerendered(render_to_string(template_name, context, request=blank))


def render_page(request, template_name: str, *, fixed: dict | None = None, strings: dict | None = None):
    """What ``render(request, template_name, {**fixed, **strings})`` answers, made from a kept rendering.

    ``fixed``: context that holds for every request (hashable values, part of
    the key). ``strings``: the request's own strings, filled into the
    rendering, and so is the request's path (``request.path``). A template
    may only show them as they are (``{{ name }}``), never test or filter them,
    and may read nothing else of the request: it is rendered for a blank one.
    """
    strings = strings or {}
    page = keep(_prerender, template_name, tuple(sorted((fixed or {}).items())), tuple(sorted(strings)))
    return HttpResponse(page.fill({**strings, _PATH: request.path}))


@require_safe
def create_page(request):
    return render_page(request, "index.html")


@require_safe
def reveal_page(request, secret_id: str, *, end_to_end: bool = False):
    # Opening a link only shows the form: link previewers must not burn secrets.
    # An end-to-end secret's page (/e/ID) derives the keys and decrypts in the
    # browser; its passphrase, even one carried in the link's #fragment, never
    # leaves the page.
    return render_page(
        request, "secret.html", fixed={"end_to_end": end_to_end}, strings={"secret_id": secret_id}
    )


@require_safe
def receipt_page(request, receipt: str):
    # The page only carries the token it was opened with; its script asks the
    # API, so the page shows nothing the JSON does not, and loading it changes nothing.
    return render_page(request, "receipt.html", strings={"receipt": receipt})


@csrf_exempt
@require_POST
def switch_language(request):
    """The switcher's POST: keeps the choice in the language cookie and goes back to the page.

    The pages' no-referrer policy makes browsers send "Origin: null" with their
    forms, which Django's CSRF check refuses, and a token would set a cookie on
    every page. A POST from another site's page never gets here: the
    cross-site refusal (sharing.crosssite) answers it first.
    """
    return set_language(request)


class ScriptCatalog(JavaScriptCatalog):
    """Django's catalogue of the script's messages, made and compressed once a language.

    What it holds depends on the language and the settings alone, never on
    the request, and making it (reading the catalogues and the template,
    compressing) costs more than serving a page; every page in a language but
    English loads it. Compressed without gzip_page's random padding, which
    guards secrets against compression side channels: a catalogue holds none.
    """

    def get(self, request, *args, **kwargs):
        script = keep(_catalog_script, self.domain, tuple(self.packages or ()), tuple(sorted(kwargs.items())))
        packed = script.gzipped is not None and re_accepts_gzip.search(
            request.headers.get("Accept-Encoding", "")
        )
        response = HttpResponse(
            script.gzipped if packed else script.content, content_type=script.content_type
        )
        if packed:
            response.headers["Content-Encoding"] = "gzip"
        if script.gzipped is not None:
            patch_vary_headers(response, ("Accept-Encoding",))
        return response


class CatalogScript(NamedTuple):
    content: bytes
    gzipped: bytes | None  # None when compressing would not make it shorter
    content_type: str


def _catalog_script(domain: str, packages: tuple, kwargs: tuple) -> CatalogScript:
    response = JavaScriptCatalog(domain=domain, packages=list(packages)).get(HttpRequest(), **dict(kwargs))
    gzipped = compress_string(response.content)
    shorter = len(gzipped) < len(response.content)
    return CatalogScript(response.content, gzipped if shorter else None, response["Content-Type"])


# The script's messages in the active language: the "djangojs" catalogues in
# LOCALE_PATHS. Naming a package keeps out every other app's script messages
# (the admin's), which would otherwise come along.
script_catalog = ScriptCatalog.as_view(packages=["sharing"])
