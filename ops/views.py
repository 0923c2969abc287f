"""
The dashboard (HTML in the admin), the same numbers as JSON, and /healthz.

The first two are wrapped in ``admin.site.admin_view`` by ops/urls.py: staff
only, never cached, CSRF-protected like the rest of the admin.
"""

import logging

from django.contrib import admin
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ops.chart import usage_chart
from ops.report import choice_labels, counter_tables, usage_report
from sharing.services import stores_check

log = logging.getLogger(__name__)


@require_safe
def dashboard(request):
    report = usage_report()
    context = {
        **admin.site.each_context(request),
        "title": "Usage",
        "report": report,
        **counter_tables(report),
        "choices": choice_labels(report["limits"]),
        "chart": usage_chart(report["days"]),
    }
    return render(request, "ops/dashboard.html", context)


@require_safe
def usage_json(request):
    report = usage_report()
    days = [{**day, "day": day["day"].isoformat()} for day in report["days"]]
    return JsonResponse({**report, "days": days})


@require_safe
def healthz(request):
    try:
        stores_check()
    except Exception as e:
        # Whatever the failure (an outage, a misconfiguration), this machine
        # should not get traffic; the type is enough for the log.
        log.warning("Health check failed: %s", type(e).__name__)
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
