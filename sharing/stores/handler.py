"""
The store registry, the way Django's STORAGES and its
``django.core.files.storage.handler`` work: ``settings.SECRETS_STORES`` maps
each role ("records", "blobs") to ``{"BACKEND": dotted.path, "OPTIONS": {...}}``.
Each store is built once per process and rebuilt when the setting changes, so
``override_settings`` works in tests.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from sharing.faults import with_fault_points
from sharing.metrics import instrument_store
from sharing.stores.base import BlobExists, BlobNotFound, BlobStore, RecordExists, RecordStore

ROLES = {"records": RecordStore, "blobs": BlobStore}
_stores: dict = {}


def _build(role: str):
    where = f"SECRETS_STORES[{role!r}]"
    try:
        params = dict(settings.SECRETS_STORES[role])
    except (AttributeError, KeyError, TypeError, ValueError):
        raise ImproperlyConfigured(f"{where} is not configured.") from None
    path = params.pop("BACKEND", None)
    options = params.pop("OPTIONS", {})
    if not isinstance(path, str) or params:
        raise ImproperlyConfigured(f"{where} needs a BACKEND path and, optionally, OPTIONS; nothing else.")
    try:
        cls = import_string(path)
    except ImportError as e:
        raise ImproperlyConfigured(f"{where}: could not import BACKEND {path!r}: {e}") from e
    if not (isinstance(cls, type) and issubclass(cls, ROLES[role])):
        raise ImproperlyConfigured(f"{where}: {path!r} is not a {ROLES[role].__name__}.")
    try:
        store = cls(**options)
    except (TypeError, ValueError) as e:
        raise ImproperlyConfigured(f"{where}: bad OPTIONS for {path!r}: {e}") from e
    store = with_fault_points(store, ROLES[role], role)  # the store itself unless a crash test asks
    return instrument_store(store, ROLES[role], normal=(RecordExists, BlobExists, BlobNotFound))


def get_store(role: str):
    try:
        return _stores[role]
    except KeyError:
        store = _stores[role] = _build(role)
        return store


def record_store() -> RecordStore:
    return get_store("records")


def blob_store() -> BlobStore:
    return get_store("blobs")


def reset_stores(**kwargs) -> None:
    if kwargs.get("setting") not in (None, "SECRETS_STORES"):
        return
    for store in _stores.values():
        store.close()
    _stores.clear()


setting_changed.connect(reset_stores)
