"""
The numbers the dashboard and its JSON view show, gathered once: the counters
(totals and the last ``DAYS`` days, with their labels), the storage backend
and the limits in force. Aggregates and settings only. Every counter in
``sharing.stores.base.COUNTERS`` is shown, in that order, under its label.
"""

from __future__ import annotations

from django.conf import settings

from sharing import services
from sharing.pages import duration_label
from sharing.stores.base import COUNTERS

DAYS = 30
# The one counter that is a level, not a tally: per day the table shows where
# it stood at the day's end, and it is shown as a size.
LEVEL = "stored_bytes"
LEVEL_AT_END = "stored_bytes_at_end"

# On a quiet day an exact count or size tells about one secret: when it was
# made, opened, and how large it is. Per day, counts under FEW are shown as
# FEWER_THAN_FEW; sizes, everywhere, only to two significant figures and never
# finer than BYTES_STEP.
FEW = 5
FEWER_THAN_FEW = f"fewer than {FEW}"
BYTES_STEP = 1_000_000


def shown_count(n: int) -> int | str:
    return FEWER_THAN_FEW if 0 < n < FEW else n


def shown_bytes(n: int) -> int:
    step = max(BYTES_STEP, 10 ** (len(str(abs(n))) - 2))
    return round(n / step) * step


def shown_day(day: dict) -> dict:
    """One day of the report as shown: the rule above applied to every counter."""
    return {
        name: shown_bytes(value)
        if name in (LEVEL, LEVEL_AT_END)
        else shown_count(value)
        if name in COUNTERS
        else value
        for name, value in day.items()
    }


def usage_report() -> dict:
    usage = services.usage_counts(days=DAYS)
    # A day's stored_bytes is that day's change; the level at the end of each
    # day follows back from today's total.
    level = usage.totals[LEVEL]
    days = []
    for day, counts in reversed(usage.days):
        days.append({"day": day, **counts, LEVEL_AT_END: level})
        level -= counts[LEVEL]
    days.reverse()
    return {
        "totals": {**usage.totals, LEVEL: shown_bytes(usage.totals[LEVEL])},
        "days": [shown_day(day) for day in days],
        "labels": dict(COUNTERS),
        "backend": backend(),
        "limits": limits(),
    }


def counter_tables(report: dict) -> dict:
    """
    The counters as the page lays them out: ``totals``, table ``columns`` and
    one row per day, newest first. Each cell carries its counter's label and
    whether its value is a size.
    """

    def cell(name: str, value: int | None) -> dict:
        return {"name": name, "label": COUNTERS[name], "value": value, "bytes": name == LEVEL}

    return {
        "totals": [cell(name, report["totals"][name]) for name in COUNTERS],
        "columns": [cell(name, None) for name in COUNTERS],
        "rows": [
            {
                "day": d["day"],
                "cells": [cell(name, d[LEVEL_AT_END if name == LEVEL else name]) for name in COUNTERS],
            }
            for d in reversed(report["days"])
        ],
    }


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
