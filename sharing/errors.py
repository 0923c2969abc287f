"""
The application's one error family.

Every failure the service means to report is a ``SharingError`` with an HTTP
status, a default message and a stable code, like DRF's ``APIException``. Only
the edge (the API exception handler) turns them into responses; the domain and
the stores raise them without knowing about HTTP frameworks.
"""


class SharingError(Exception):
    status_code = 500
    default_detail = "The request could not be completed."
    default_code = "error"

    def __init__(self, detail: str | None = None):
        self.detail = detail or self.default_detail
        super().__init__(self.detail)


class SecretNotFound(SharingError):
    """Unknown id, wrong passphrase, used up or expired: deliberately one answer."""

    status_code = 404
    default_detail = "No secret with this id and passphrase exists; it may have expired or been used up."
    default_code = "not_found"


class PayloadTooLarge(SharingError):
    status_code = 413
    default_detail = "The secret is larger than this service accepts."
    default_code = "too_large"


class InvalidInput(SharingError):
    """Input that passed the serializer but breaks a lifecycle rule."""

    status_code = 400
    default_detail = "The request is not valid."
    default_code = "invalid"

    def __init__(self, detail: str | None = None, *, field: str | None = None):
        super().__init__(detail)
        self.field = field


class StorageUnavailable(SharingError):
    """A store could not be reached or failed; nothing was changed that can be read half-done."""

    status_code = 503
    default_detail = "Storage is unavailable right now; please try again shortly."
    default_code = "storage_unavailable"
