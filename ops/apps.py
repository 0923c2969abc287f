from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operators"

    def ready(self):
        from django.contrib import admin

        # The dashboard has no model, so the admin index would not list it;
        # this template adds the link above the usual app list.
        admin.site.index_template = "ops/admin_index.html"
