"""Headers every response carries, whatever produced it (a view, an error page, a static file)."""

import functools

from django.conf import settings
from django.urls import reverse

# Everything the service serves comes from its own origin; nothing may frame it,
# rebase its links or post its forms elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    @functools.cached_property
    def admin_prefix(self) -> str:
        return reverse("admin:index")

    def __call__(self, request):
        response = self.get_response(request)
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        # A secret's link must never travel on to other sites. The admin holds
        # no such links, and needs its own origin sent: under no-referrer a
        # browser posts forms with "Origin: null", which the CSRF check refuses.
        admin = request.path.startswith(self.admin_prefix)
        headers["Referrer-Policy"] = "same-origin" if admin else "no-referrer"
        # Static files are public and hashed (whitenoise marks them immutable);
        # anything else may concern a secret and must not be kept anywhere.
        if not request.path.startswith(settings.STATIC_URL):
            headers["Cache-Control"] = "no-store, private, max-age=0"
        return response
