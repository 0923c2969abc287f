"""
The numbers the dashboard and its JSON view show, gathered once: the counters
(totals and the last ``DAYS`` days), the storage backend and the limits in
force. Aggregates and settings only.
"""

from __future__ import annotations

from django.conf import settings

from sharing import services
from sharing.pages import duration_label

DAYS = 30


def usage_report() -> dict:
    usage = services.usage_counts(days=DAYS)
    # A day's stored_bytes is that day's change; the level at the end of each
    # day follows back from today's total.
    level = usage.totals["stored_bytes"]
    days = []
    for day, counts in reversed(usage.days):
        days.append({"day": day, **counts, "stored_bytes_at_end": level})
        level -= counts["stored_bytes"]
    days.reverse()
    return {"totals": usage.totals, "days": days, "backend": backend(), "limits": limits()}


def backend() -> dict:
    # Class paths only: the options may name folders, tables or buckets.
    stores = settings.SECRETS_STORES
    return {
        "name": settings.SECRETS_BACKEND,
        "records": stores["records"]["BACKEND"],
        "blobs": stores["blobs"]["BACKEND"],
    }


def limits() -> dict:
    rates = getattr(settings, "THROTTLE_RATES", {})
    return {
        **services.public_limits(),
        "scrypt_n": settings.SCRYPT_N,
        "throttle_create": rates.get("create"),
        "throttle_reveal": rates.get("reveal"),
        "site_name": settings.SITE_NAME,
    }


def choice_labels(limits: dict) -> dict:
    """The operator's choices for the web page, as the dashboard shows them."""
    return {
        "lifetimes": ", ".join(duration_label(s) for s in limits["lifetimes"]),
        "default_lifetime": duration_label(limits["default_lifetime"]),
    }
