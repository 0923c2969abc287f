"""
Start-up checks (Django's system check framework: ``manage.py check`` runs
them, and so does every worker as it loads, see secrets_site/wsgi.py).

Most find a setting that works on one machine and silently weakens a fleet;
one makes sure the security headers are sent at all.
"""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

SECURITY_HEADERS = "sharing.middleware.SecurityHeadersMiddleware"


@register(Tags.security)
def security_headers_installed(app_configs=None, **kwargs):
    # It stands in for Django's XFrameOptionsMiddleware (check security.W002 is
    # silenced in settings). Only middleware that never answers a request
    # itself (such as the metrics) may come before it.
    if SECURITY_HEADERS not in settings.MIDDLEWARE:
        return [
            Error(
                f"{SECURITY_HEADERS} is not in MIDDLEWARE: responses would go out without their "
                "security headers (CSP, frame denial, no-store).",
                id="pysecrets.E001",
            )
        ]
    return []


SHARED_BACKEND_HINT = "the record store is shared between machines"


def _shares_stores() -> bool:
    """True when the stores could be shared by several machines (anything but the local SQLite default)."""
    backend = settings.SECRETS_STORES.get("records", {}).get("BACKEND", "")
    return not backend.startswith("sharing.stores.local.")


@register(Tags.security, deploy=False)
def throttles_shared(app_configs=None, **kwargs):
    if _shares_stores() and not settings.REDIS_URL:
        return [
            Warning(
                "Throttle windows are kept on this machine only (REDIS_URL is not set), while "
                f"{SHARED_BACKEND_HINT}: a client gets the full rate of attempts on every machine.",
                hint="Set REDIS_URL to one Redis that every machine reaches.",
                id="pysecrets.W001",
            )
        ]
    return []


@register(Tags.security, deploy=False)
def secret_key_shared(app_configs=None, **kwargs):
    fleet = _shares_stores() or settings.REDIS_URL or settings.DATABASE_URL
    if fleet and not settings.SECRET_KEY_FROM_ENV:
        return [
            Warning(
                "DJANGO_SECRET_KEY is not set, so this machine signs sessions with a key of its own: "
                "an operator logged in on one machine is a stranger to the others.",
                hint="Give every machine the same DJANGO_SECRET_KEY.",
                id="pysecrets.W002",
            )
        ]
    return []
