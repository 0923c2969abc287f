"""Staff-only pages under /admin/ops/; ``admin_view`` sends everyone else to the admin login."""

from django.contrib import admin
from django.urls import path

from ops import views

app_name = "ops"
urlpatterns = [
    path("", admin.site.admin_view(views.dashboard), name="dashboard"),
    path("usage.json", admin.site.admin_view(views.usage_json), name="usage-json"),
]
