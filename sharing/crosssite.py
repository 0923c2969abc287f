"""
POSTs from other sites are refused before anything reads them.

A page on any site can make its visitors' browsers send "simple" POSTs
(``text/plain``, forms, multipart) here: each would cost a key derivation or
store a file, from thousands of innocent addresses, past any per-client
throttle. Browsers say where such a request comes from: ``Sec-Fetch-Site``
(every current browser) and ``Origin``. A request they mark as coming from
another site is answered 403 before any view, parser or upload handler runs,
so nothing is derived, stored or changed.

What is not refused: requests without those headers (curl, scripts, the
command-line client: they are not a visitor's browser acting for someone
else), the service's own pages, pages of the same site (``same-site``), and
requests the user made directly (``none``). The service's pages send
``Origin: null`` under their no-referrer policy; ``Sec-Fetch-Site`` then says
``same-origin``, which is believed first. Without ``Sec-Fetch-Site`` (an old
browser), an ``Origin`` other than the service's own, ``null`` included, is
refused.
"""

from django.core.exceptions import DisallowedHost
from django.http import JsonResponse
from django.utils import translation

from sharing.api.errors import error_body

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
NOT_CROSS_SITE = frozenset({"same-origin", "same-site", "none"})


def is_cross_site(request) -> bool:
    if request.method in SAFE_METHODS:
        return False
    site = request.META.get("HTTP_SEC_FETCH_SITE", "").strip().lower()
    if site == "cross-site":
        return True
    if site in NOT_CROSS_SITE:
        return False
    origin = request.META.get("HTTP_ORIGIN")
    if origin is None:
        return False
    try:
        own = f"{request.scheme}://{request.get_host()}"
    except DisallowedHost:
        return False  # not served at all: Django answers 400 further on
    return origin.strip().lower() != own.lower()


class CrossSiteRefusalMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_cross_site(request):
            # Before LocaleMiddleware: the language is looked up here.
            with translation.override(translation.get_language_from_request(request)):
                detail = translation.gettext("Requests sent by pages of other sites are refused.")
            return JsonResponse(error_body(detail, "cross_site"), status=403)
        return self.get_response(request)
