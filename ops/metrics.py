"""
/metrics for Prometheus, and the middleware that counts every request.

The endpoint is closed unless METRICS_TOKEN is set, and then answers only a
scraper that sends it as a bearer token: the numbers are aggregates, but how
busy a service is and where it fails is still the operator's business.
"""

import hmac
import re
import time

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from sharing import metrics


def route_of(request) -> str:
    """The URL pattern that served ``request`` (``/api/secrets/<secret_id>/reveal/``), never its path."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", match.route)  # the routers' regular expressions
        route = re.sub(r"<\w+:(\w+)>", r"<\1>", route)  # path converters
        return "/" + route.replace("^", "").replace("$", "")
    if request.path.startswith(settings.STATIC_URL):
        return "static"
    return "unmatched"


class RequestMetricsMiddleware:
    """Outermost: counts every answer, including refusals by the middleware inside it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = time.perf_counter()
        response = self.get_response(request)
        metrics.observe_request(
            route=route_of(request),
            method=request.method,
            status=response.status_code,
            seconds=time.perf_counter() - start,
        )
        return response


def _authorised(request) -> bool:
    token = settings.METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


@never_cache
@require_safe
def metrics_view(request):
    if not settings.METRICS_TOKEN:
        raise Http404  # switched off: as if there were no such page
    if not _authorised(request):
        response = HttpResponse("A bearer token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    # The classic text format: every Prometheus version reads it.
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_PLAIN_0_0_4)
