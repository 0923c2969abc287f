"""
Every security header the service sends, set in one place for every
response, whatever produced it: a view, an error page, the admin, a static
file.

- ``Content-Security-Policy``: everything from the site's own origin; nothing
  may frame it, rebase its links or post its forms elsewhere.
- ``X-Frame-Options: DENY`` and ``X-Content-Type-Options: nosniff``.
- ``Referrer-Policy: no-referrer``: a secret's link must never travel on to
  other sites. The admin, which holds no such links, gets ``same-origin``.
- ``Cross-Origin-Opener-Policy: same-origin``.
- ``Cache-Control: no-store, private, max-age=0``: anything may concern a
  secret, so nothing is kept by a browser or a proxy. Static files are the
  exception: public, named by content hash, and marked immutable by
  whitenoise.

A response that may be kept asks for it explicitly, with ``cache_policy``:

    response = JsonResponse(...)
    return cache_policy(response, "public, max-age=300")

Whatever a view writes into ``Cache-Control`` itself is replaced: caching is
never turned on by accident.

HTTPS redirects and ``Strict-Transport-Security`` depend on how the site is
deployed and stay with Django's ``SecurityMiddleware`` (settings ``HTTPS``,
``HSTS_*``), which ``manage.py check --deploy`` verifies.
"""

import functools

from django.conf import settings
from django.urls import reverse

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
NO_STORE = "no-store, private, max-age=0"
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_CACHE_POLICY = "_cache_policy"


def cache_policy(response, value: str):
    """Ask ``SecurityHeadersMiddleware`` to send ``Cache-Control: value`` instead of no-store."""
    setattr(response, _CACHE_POLICY, value)
    return response


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    @functools.cached_property
    def admin_prefix(self) -> str:
        return reverse("admin:index")

    def __call__(self, request):
        response = self.get_response(request)
        headers = response.headers
        for name, value in HEADERS.items():
            headers[name] = value
        # The admin needs its own origin sent: under no-referrer a browser
        # posts forms with "Origin: null", which the CSRF check refuses.
        admin = request.path.startswith(self.admin_prefix)
        headers["Referrer-Policy"] = "same-origin" if admin else "no-referrer"
        if not request.path.startswith(settings.STATIC_URL):
            headers["Cache-Control"] = getattr(response, _CACHE_POLICY, NO_STORE)
        return response
