"""
The application's one error family.

Every failure the service means to report is a ``SharingError`` with an HTTP
status, a default message and a stable code, like DRF's ``APIException``. Only
the edge (the API exception handler) turns them into responses; the domain and
the stores raise them without knowing about HTTP frameworks.
"""


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogues (``makemessages`` looks for this name) and returns it as is.

    The domain imports no Django: it raises English messages with %(name)s
    placeholders and their values apart, and the edge translates the message
    into the request's language before filling them in.
    """
    return message


class SharingError(Exception):
    status_code = 500
    default_detail = gettext_noop("The request could not be completed.")
    default_code = "error"

    def __init__(self, detail: str | None = None, *, params: dict | None = None):
        self.message = detail or self.default_detail
        self.params = params or {}
        self.detail = self.message % self.params if self.params else self.message
        super().__init__(self.detail)


class SecretNotFound(SharingError):
    """Unknown id, wrong passphrase, used up or expired: deliberately one answer."""

    status_code = 404
    default_detail = gettext_noop(
        "No secret with this id and passphrase exists; it may have expired or been used up."
    )
    default_code = "not_found"


class ReceiptNotFound(SharingError):
    """No receipt with this token, or the lifetime of its secret is over."""

    status_code = 404
    default_detail = gettext_noop("No receipt like this exists; the secret's lifetime may be over.")
    default_code = "not_found"


class UploadTicketNotFound(SharingError):
    """No upload slot for this ticket: forged, for another server, or older than its lifetime."""

    status_code = 404
    default_detail = gettext_noop("This upload ticket is not valid or has expired; ask for a new one.")
    default_code = "not_found"


class AlreadyUsed(SharingError):
    """The one thing this request may create exists already (a ticket's secret)."""

    status_code = 409
    default_detail = gettext_noop("This id was already used; ask for a new one.")
    default_code = "conflict"


class PayloadTooLarge(SharingError):
    status_code = 413
    default_detail = gettext_noop("The secret is larger than this service accepts.")
    default_code = "too_large"


FILE_TOO_LARGE = gettext_noop("Files may be at most %(limit)s bytes.")


class InvalidInput(SharingError):
    """Input that passed the serializer but breaks a lifecycle rule."""

    status_code = 400
    default_detail = gettext_noop("The request is not valid.")
    default_code = "invalid"

    def __init__(self, detail: str | None = None, *, field: str | None = None, params: dict | None = None):
        super().__init__(detail, params=params)
        self.field = field


class StorageUnavailable(SharingError):
    """A store could not be reached or failed; nothing was changed that can be read half-done."""

    status_code = 503
    default_detail = gettext_noop("Storage is unavailable right now; please try again shortly.")
    default_code = "storage_unavailable"
