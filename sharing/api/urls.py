"""
The API's routes. The schema's and the docs page's views are imported on
their first request: they bring drf-spectacular's generator, its plumbing,
DRF's test client and ``django.test``, which nothing else a worker serves
needs (sharing.api.openapi says how the views are described meanwhile).
"""

from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.routers import DefaultRouter

from sharing.api import e2e, legacy, receipts, views


def _built_on_first_request(build):
    """A view that calls ``build()`` for the real view the first time it is asked, and keeps it."""
    built = None

    @csrf_exempt  # as the APIView it stands for; CSRF is checked on this outer callback
    def view(request, *args, **kwargs):
        nonlocal built
        if built is None:  # two threads may both build it: as_view() is cheap and either will do
            built = build()
        return built(request, *args, **kwargs)

    return view


def _schema_view():
    from sharing.api.schema import SchemaView

    return SchemaView.as_view()


def _docs_view():
    from drf_spectacular.views import SpectacularSwaggerSplitView

    # The split view serves its start-up script as a file: no inline script, so the CSP holds.
    return SpectacularSwaggerSplitView.as_view(url_name="schema")


router = DefaultRouter(trailing_slash=True)
router.register("text", views.TextSecretViewSet, basename="text")
router.register("files", views.FileSecretViewSet, basename="files")
router.register("secrets", views.SecretViewSet, basename="secrets")
router.register("receipts", receipts.ReceiptViewSet, basename="receipts")

api_urlpatterns = [
    path("", include(router.urls)),
    path("e2e/", e2e.TicketView.as_view(), name="e2e-ticket"),
    path("e2e/uploads/<str:ticket>/text/", e2e.TextCreateView.as_view(), name="e2e-text"),
    path("e2e/uploads/<str:ticket>/file/", e2e.FileCreateView.as_view(), name="e2e-file"),
    path("e2e/<str:secret_id>/reveal/", e2e.RevealView.as_view(), name="e2e-reveal"),
    path("e2e/<str:secret_id>/burn/", e2e.BurnView.as_view(), name="e2e-burn"),
    path("schema/", _built_on_first_request(_schema_view), name="schema"),
    path("docs/", _built_on_first_request(_docs_view), name="docs"),
]

legacy_urlpatterns = [
    path("encrypt", legacy.EncryptView.as_view(), name="encrypt"),
    path("decrypt", legacy.DecryptView.as_view(), name="decrypt"),
]
