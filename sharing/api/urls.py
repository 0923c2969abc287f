from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from sharing.api import legacy, views
from sharing.api.schema import SchemaView

router = DefaultRouter(trailing_slash=True)
router.register("text", views.TextSecretViewSet, basename="text")
router.register("files", views.FileSecretViewSet, basename="files")
router.register("secrets", views.SecretViewSet, basename="secrets")

api_urlpatterns = [
    path("", include(router.urls)),
    path("schema/", SchemaView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: no inline script, so the CSP holds.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
]

legacy_urlpatterns = [
    path("encrypt", legacy.EncryptView.as_view(), name="encrypt"),
    path("decrypt", legacy.DecryptView.as_view(), name="decrypt"),
]
