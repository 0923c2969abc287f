"""The web UI's pages: static templates plus the limits in force. Never changes state."""

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.gzip import gzip_page
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


@require_safe
def create_page(request):
    return render(request, "index.html", {"limits": page_limits()})


@require_safe
def reveal_page(request, secret_id: str, *, end_to_end: bool = False):
    # Opening a link only shows the form: link previewers must not burn secrets.
    # An end-to-end secret's page (/e/ID) derives the keys and decrypts in the
    # browser; its passphrase, even one carried in the link's #fragment, never
    # leaves the page.
    context = {"limits": page_limits(), "secret_id": secret_id, "end_to_end": end_to_end}
    return render(request, "secret.html", context)


@require_safe
def receipt_page(request, receipt: str):
    # The page only carries the token it was opened with; its script asks the
    # API, so the page shows nothing the JSON does not, and loading it changes nothing.
    return render(request, "receipt.html", {"limits": page_limits(), "receipt": receipt})


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


# The script's messages in the active language: the "djangojs" catalogues in
# LOCALE_PATHS. Naming a package keeps out every other app's script messages
# (the admin's), which would otherwise come along.
# Compressed: Arabic travels as \u escapes, and a catalogue holds no secret
# that compression could help reveal.
script_catalog = gzip_page(JavaScriptCatalog.as_view(packages=["sharing"]))
