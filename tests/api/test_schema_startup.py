"""
A worker starts without drf-spectacular's schema machinery, and with it
``django.test``: the views are described, and the schema is built on first
request (sharing.api.openapi, sharing.api.schema).
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "secrets_site.settings"
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver
get_wsgi_application()
get_resolver().url_patterns  # every route and view imported, as on a worker's first request
print(json.dumps(sorted(sys.modules)))
"""

HEAVY = ("django.test", "rest_framework.test", "drf_spectacular.plumbing", "drf_spectacular.openapi")


def test_a_worker_starts_without_the_schema_machinery(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    loaded = set(json.loads(result.stdout))
    assert "sharing.api.views" in loaded and "sharing.api.e2e" in loaded
    assert [name for name in HEAVY if name in loaded] == []


def test_the_schema_is_built_with_every_views_description(api):
    from sharing.api.generator import FullSchemaGenerator

    schema = FullSchemaGenerator().get_schema(request=None, public=True)
    encrypt = schema["paths"]["/encrypt"]["post"]
    assert encrypt["tags"] == ["original API"]  # the view class's own description
    assert {"200", "403", "413", "429"} <= set(encrypt["responses"])  # and what every operation answers
    verifier = schema["components"]["schemas"]["E2ETextCreateRequest"]["properties"]["verifier"]
    assert verifier["minLength"] == verifier["maxLength"] == 43  # a field's own schema


def test_the_stand_in_maps_methods_as_drf_spectacular_does():
    # extend_schema reads it when it decorates a view class, before any schema exists.
    from drf_spectacular.openapi import AutoSchema

    from sharing.api.openapi import AutoSchema as StandIn

    assert StandIn.method_mapping == AutoSchema.method_mapping
