from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from sharing.api import e2e, legacy, receipts, views
from sharing.api.schema import SchemaView

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
    path("schema/", SchemaView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: no inline script, so the CSP holds.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
]

legacy_urlpatterns = [
    path("encrypt", legacy.EncryptView.as_view(), name="encrypt"),
    path("decrypt", legacy.DecryptView.as_view(), name="decrypt"),
]
