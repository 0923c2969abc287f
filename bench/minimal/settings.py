"""The least Django needs to serve one DRF view."""

import os
import tempfile
from pathlib import Path

SECRET_KEY = "bench-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.minimal.urls"
WSGI_APPLICATION = "bench.minimal.wsgi.application"
INSTALLED_APPS = ["rest_framework"]
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

# Read by the service's gunicorn settings (its /metrics hooks), which the
# minimal view and snappass are served with too: a scratch folder of their own.
DATA_DIR = Path(os.environ.get("DATA_DIR") or tempfile.mkdtemp(prefix="pysecrets-bench-minimal-"))
