from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from ops.metrics import metrics_view
from ops.views import healthz
from sharing import pages
from sharing.api.urls import api_urlpatterns, legacy_urlpatterns

# The operator's name for the site, in the admin too.
admin.site.site_header = admin.site.site_title = settings.SITE_NAME

urlpatterns = [
    path("", pages.create_page, name="create"),
    path("secret/<str:secret_id>", pages.reveal_page, name="reveal"),
    path("receipt/<str:receipt>", pages.receipt_page, name="receipt"),
    path("i18n/language", pages.switch_language, name="set-language"),
    path("i18n/catalog.js", pages.script_catalog, name="js-catalog"),
    path("e/<str:secret_id>", pages.reveal_page, {"end_to_end": True}, name="reveal-e2e"),
    path("api/", include(api_urlpatterns)),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/ops/", include("ops.urls")),  # before the admin's own catch-all
    path("admin/", admin.site.urls),
    *legacy_urlpatterns,
]

handler400 = "sharing.api.edge.bad_request"
handler403 = "sharing.api.edge.permission_denied"
handler404 = "sharing.api.edge.not_found"
handler500 = "sharing.api.edge.server_error"
