"""
Settings, read from the environment (README: Configuration).

A fresh checkout runs with nothing set: local storage under ./var, debug off,
a development secret key. Helpers are strict so that a typo in a deployment
fails at start-up instead of silently meaning something else.
"""

import os
import secrets
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from sharing.domain.crypto import OWN_SCRYPT_N, scrypt_n_allowed
from sharing.privatefiles import private_dir

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: str) -> bool:
    value = env(name, default)
    if value not in ("True", "False"):
        raise ImproperlyConfigured(f"{name} is {value!r}; set it to True or False.")
    return value == "True"


def envint(name: str, default: int, *, minimum: int = 0) -> int:
    value = env(name, str(default))
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} is {value!r}; set it to a whole number.") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} is {number}; it must be at least {minimum}.")
    return number


DEBUG = envbool("DJANGO_DEBUG", "False")
ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h.strip()]

# Empty means unset: never the working folder by accident.
DATA_DIR = Path(env("DATA_DIR", "") or BASE_DIR / "var").resolve()


def local_secret_key(path: Path) -> str:
    """A random key kept in DATA_DIR, made once and shared by every worker on this machine."""
    private_dir(path.parent)
    if not path.exists():
        # Written whole to a private file, then linked into place: a worker
        # starting at the same moment sees either no key or the whole key.
        draft = path.with_name(f"{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


# Signs admin sessions and CSRF tokens and keys the short id hashes in logs;
# secrets themselves are sealed by passphrases, never by this key.
SECRET_KEY = env("DJANGO_SECRET_KEY", "") or local_secret_key(DATA_DIR / "django-secret-key")
# Machines of one fleet must share the key (sharing.checks warns otherwise).
SECRET_KEY_FROM_ENV = bool(env("DJANGO_SECRET_KEY", ""))

# The product's limits (DESIGN.md §1, §3).
TTL_DAYS = envint("TTL_DAYS", 5, minimum=1)
MAX_VIEWS = envint("MAX_VIEWS", 10, minimum=1)
MAX_TEXT_BYTES = envint("MAX_TEXT_BYTES", 64 * 1024, minimum=1)
MAX_FILE_BYTES = envint("MAX_FILE_BYTES", 1024**3, minimum=1)
# scrypt's cost for passphrases people choose (generated ones are not
# stretched: sharing.domain.passphrases). OWASP's minimum is the default and
# the floor; a deployment may raise it.
SCRYPT_N = envint("SCRYPT_N", OWN_SCRYPT_N)
if not scrypt_n_allowed(SCRYPT_N, floor=OWN_SCRYPT_N):
    raise ImproperlyConfigured(
        f"SCRYPT_N is {SCRYPT_N}; it must be a power of two from 2**17 (131072) to 2**20."
    )
MIN_LIFETIME_SECONDS = 5 * 60
MAX_LIFETIME_SECONDS = TTL_DAYS * 86400

# The operator's choices for the web page (README: Configuration). The API
# still accepts any lifetime within the limits and keeps its own defaults.
DURATION_UNITS = {"m": 60, "h": 3600, "d": 86400}


def duration(name: str, text: str) -> int:
    """Seconds in "30m", "12h" or "7d"; anything else names the variable and the problem."""
    text = text.strip()
    number, unit = text[:-1], text[-1:]
    if unit not in DURATION_UNITS or not number.isdigit() or int(number) == 0:
        raise ImproperlyConfigured(
            f"{name} has {text!r}; write each lifetime as a whole number and a unit, like 30m, 12h or 7d."
        )
    seconds = int(number) * DURATION_UNITS[unit]
    if not MIN_LIFETIME_SECONDS <= seconds <= MAX_LIFETIME_SECONDS:
        raise ImproperlyConfigured(
            f"{name} has {text!r}; every lifetime must be from 5m to TTL_DAYS ({TTL_DAYS}d)."
        )
    return seconds


def default_lifetimes() -> str:
    # The usual steps that fit under TTL_DAYS, and TTL_DAYS itself.
    steps = [("5m", 300), ("1h", 3600), ("1d", 86400), ("3d", 3 * 86400), ("7d", 7 * 86400)]
    return ",".join([text for text, s in steps if s < MAX_LIFETIME_SECONDS] + [f"{TTL_DAYS}d"])


LIFETIMES = sorted({duration("LIFETIMES", t) for t in env("LIFETIMES", default_lifetimes()).split(",")})
# One day unless the site offers no such choice (long enough to be read,
# short enough not to linger); then the longest offered.
if env("DEFAULT_LIFETIME", ""):
    DEFAULT_LIFETIME = duration("DEFAULT_LIFETIME", env("DEFAULT_LIFETIME", ""))
    if DEFAULT_LIFETIME not in LIFETIMES:
        raise ImproperlyConfigured(
            f"DEFAULT_LIFETIME is {env('DEFAULT_LIFETIME', '')!r}; it must be one of LIFETIMES "
            f"({env('LIFETIMES', default_lifetimes())})."
        )
else:
    DEFAULT_LIFETIME = 86400 if 86400 in LIFETIMES else LIFETIMES[-1]
DEFAULT_VIEWS = envint("DEFAULT_VIEWS", 1, minimum=1)
if DEFAULT_VIEWS > MAX_VIEWS:
    raise ImproperlyConfigured(
        f"DEFAULT_VIEWS is {DEFAULT_VIEWS}; it must be at most MAX_VIEWS ({MAX_VIEWS})."
    )
SITE_NAME = env("SITE_NAME", "pysecrets").strip()
if not SITE_NAME or len(SITE_NAME) > 60:
    raise ImproperlyConfigured("SITE_NAME must have 1 to 60 characters.")
MAX_FAILED_ATTEMPTS = envint("MAX_FAILED_ATTEMPTS", 10, minimum=1)
# Key derivations running at once on this machine, across all workers: one per
# core is the most that helps (sharing.kdfgate).
MAX_DERIVATIONS = envint("MAX_DERIVATIONS", os.cpu_count() or 1, minimum=1)

# Abuse limits: requests per client ("N/second|minute|hour|day"; empty turns one off).
THROTTLE_RATES = {
    "create": env("THROTTLE_CREATE", "30/minute") or None,
    "reveal": env("THROTTLE_REVEAL", "30/minute") or None,
    "receipt": env("THROTTLE_RECEIPT", "60/minute") or None,
}
# How many proxies in front of the service append to X-Forwarded-For; 0 trusts none.
NUM_PROXIES = envint("NUM_PROXIES", 0)
# Throttle windows (sharing.ratelimit): in this Redis, shared by every machine;
# unset, in a SQLite file in DATA_DIR shared by this machine's workers only.
# Django's cache goes to the same Redis, for anything else a fleet must share.
REDIS_URL = env("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }
# /metrics answers only a scraper sending this as a bearer token; unset, it is a 404.
METRICS_TOKEN = env("METRICS_TOKEN", "")
MIN_PASSPHRASE_LENGTH = 12

# Storage roles, like Django's STORAGES: a dotted class path and its options.
SECRETS_BACKEND = env("SECRETS_BACKEND", "local")
DYNAMO_TABLE = env("DYNAMO_TABLE", "Secrets")
S3_BUCKET = env("S3_BUCKET", "")
S3_SSE = env("S3_SSE", "AES256")
AWS_REGION = env("AWS_REGION", "us-east-1")
# gunicorn's threads per worker (secrets_site/gunicorn.conf.py): as many AWS
# connections are kept open, so no thread opens one of its own per call.
THREADS = envint("THREADS", 32, minimum=1)
if SECRETS_BACKEND == "local":
    SECRETS_STORES = {
        "records": {
            "BACKEND": "sharing.stores.local.SQLiteRecordStore",
            "OPTIONS": {"path": str(DATA_DIR / "secrets.sqlite3")},
        },
        "blobs": {
            "BACKEND": "sharing.stores.local.FileBlobStore",
            "OPTIONS": {"root": str(DATA_DIR / "blobs")},
        },
    }
elif SECRETS_BACKEND == "aws":
    SECRETS_STORES = {
        "records": {
            "BACKEND": "sharing.stores.aws.DynamoRecordStore",
            "OPTIONS": {"table": DYNAMO_TABLE, "region": AWS_REGION, "max_connections": THREADS},
        },
        "blobs": {
            "BACKEND": "sharing.stores.aws.S3BlobStore",
            "OPTIONS": {
                "bucket": S3_BUCKET,
                "region": AWS_REGION,
                "sse": S3_SSE,
                "expire_days": TTL_DAYS + 1,
                "max_connections": THREADS,
            },
        },
    }
else:
    # "records.Class,blobs.Class": dotted paths, options left to the classes' defaults.
    paths = [p.strip() for p in SECRETS_BACKEND.split(",")]
    if len(paths) != 2 or not all(paths):
        raise ImproperlyConfigured(
            f"SECRETS_BACKEND is {SECRETS_BACKEND!r}; use 'local', 'aws' or "
            "'dotted.RecordStore,dotted.BlobStore'."
        )
    SECRETS_STORES = {"records": {"BACKEND": paths[0]}, "blobs": {"BACKEND": paths[1]}}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "sharing",
    "ops",
]

MIDDLEWARE = [
    "ops.metrics.RequestMetricsMiddleware",  # outermost: counts every answer
    "sharing.middleware.SecurityHeadersMiddleware",  # ahead of all that may answer
    # Before anything can read a body.
    "sharing.crosssite.CrossSiteRefusalMiddleware",
    "sharing.bodylimit.BodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
# sharing.middleware.SecurityHeadersMiddleware sets every security header, the
# frame denial included (sharing.checks makes sure it is installed);
# SecurityMiddleware is kept for HTTPS redirects and HSTS.
SILENCED_SYSTEM_CHECKS = ["security.W002"]

# Served over TLS (directly or behind NUM_PROXIES proxies that terminate it):
# redirect plain HTTP, pin HTTPS with HSTS, keep the admin's cookies on TLS.
HTTPS = envbool("HTTPS", "False")
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", 365 * 86400)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("HSTS_PRELOAD", "True")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    if NUM_PROXIES:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Health checks from the load balancer come over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

ROOT_URLCONF = "secrets_site.urls"
WSGI_APPLICATION = "secrets_site.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "frontend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sharing.pages.site",
            ],
        },
    },
]

# The ORM serves only Django itself (operator accounts, sessions); secrets
# live in the stores above.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "django.sqlite3",
    }
}
# Many machines share the operators' accounts through one database (a driver
# such as psycopg must then be installed too).
DATABASE_URL = env("DATABASE_URL", "")
if DATABASE_URL:
    import dj_database_url

    DATABASES["default"] = dj_database_url.parse(DATABASE_URL, conn_max_age=60)
if "postgresql" not in DATABASES["default"]["ENGINE"]:
    # DRF imports django.contrib.postgres whenever a PostgreSQL driver is
    # installed, and with it psycopg and its libpq: 10 MiB in every worker for
    # a database not in use. Marked absent, as without the driver.
    sys.modules.setdefault("django.contrib.postgres", None)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Languages of the pages, the script's messages and the API's error texts
# (README: Languages). Chosen by the language cookie the switcher sets, else
# by Accept-Language; links carry no language, so a secret's link is the same
# for everyone. Catalogues live in locale/ and are compiled at set-up.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("ar", "العربية"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 86400
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = HTTPS
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "frontend" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "secrets_site.staticstorage.StaticFilesStorage"},
}

# Uploads: only the routes that create a file secret accept one, through
# sharing.uploads, which encrypts each chunk as it arrives, so plaintext is
# never spooled to a temporary file. Anywhere else (the admin's forms, say) a
# file in a multipart body is read and dropped: no handler keeps it.
# JSON bodies may carry a text of MAX_TEXT_BYTES escaped as \uXXXX (6 bytes a
# byte) plus fields.
FILE_UPLOAD_HANDLERS: list[str] = []
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_TEXT_BYTES * 6 + 64 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # JSON unless a view says otherwise: the create routes add sealed multipart.
    "DEFAULT_PARSER_CLASSES": ["sharing.api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "sharing.api.errors.exception_handler",
    # DRF's own choice of renderer, remembered per Accept header.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "sharing.api.negotiation.RememberingContentNegotiation",
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_SCHEMA_CLASS": "sharing.api.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "pysecrets API",
    "DESCRIPTION": (
        "Share a text or a file through a secret id and a passphrase. A secret "
        "is gone for good after its views run out or its lifetime ends."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Sets each view's description (DEFAULT_SCHEMA_CLASS, light) on drf-spectacular's schema:
    # for the schema route, the deploy check and `manage.py spectacular` alike (sharing.api.openapi).
    "DEFAULT_GENERATOR_CLASS": "sharing.api.generator.FullSchemaGenerator",
}

LOG_LEVEL = env("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_ids": {"()": "sharing.logsafe.RedactIdsFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_ids"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # A 4xx is the client's business, and its path may hold a secret id.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # At DEBUG these log whole requests: object keys are secret ids, bodies are ciphertext.
        "botocore": {"level": "WARNING"},
        "boto3": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}
