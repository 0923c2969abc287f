"""
The service layer: the lifecycle bound to the configured stores and limits.

Views of both route sets (the original /encrypt, /decrypt and the /api
resources) call these functions and nothing else.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from django.conf import settings
from django.core import signing

from sharing import metrics
from sharing.domain import crypto
from sharing.domain.e2e import EndToEnd
from sharing.domain.lifecycle import (
    Lifecycle,
    Policy,
    new_secret_id,
)
from sharing.domain.receipts import ReceiptStatus
from sharing.errors import UploadTicketNotFound
from sharing.kdfgate import DerivationGate
from sharing.stores.base import Usage
from sharing.stores.handler import blob_store, record_store

D = TypeVar("D")
P = ParamSpec("P")
R = TypeVar("R")


def current_policy() -> Policy:
    return Policy(
        max_views=settings.MAX_VIEWS,
        min_lifetime=settings.MIN_LIFETIME_SECONDS,
        max_lifetime=settings.TTL_DAYS * 86400,
        max_text_bytes=settings.MAX_TEXT_BYTES,
        max_file_bytes=settings.MAX_FILE_BYTES,
        min_passphrase_length=settings.MIN_PASSPHRASE_LENGTH,
        max_failed_attempts=settings.MAX_FAILED_ATTEMPTS,
        kdf_n=settings.SCRYPT_N,
    )


@functools.cache
def _gate(directory: str, slots: int) -> DerivationGate:
    return DerivationGate(directory, slots)


def gated_derive(passphrase: str, salt: bytes, n: int) -> bytes:
    """scrypt, at most MAX_DERIVATIONS at once on this machine, whatever the number of workers."""
    return metrics.gated(
        _gate(str(settings.DATA_DIR / "kdf-slots"), settings.MAX_DERIVATIONS)(),
        lambda: crypto.derive_key(passphrase, salt, n),
    )


def lifecycle() -> Lifecycle:
    return Lifecycle(records=record_store(), blobs=blob_store(), policy=current_policy(), derive=gated_derive)


def _per_call(
    build: Callable[[], D], method: Callable[Concatenate[D, P], R], doc: str | None = None
) -> Callable[P, R]:
    """
    A service function that runs the domain's ``method`` (same parameters) on an
    object ``build`` makes afresh for each call, so it always sees the stores
    and limits as they are configured now.
    """

    @functools.wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        return method(build(), *args, **kwargs)

    if doc is not None:
        call.__doc__ = doc
    return call


secret_create_text = _per_call(
    lifecycle,
    Lifecycle.create_text,
    "Create a text secret; with ``receipt``, ``Created.receipt`` is the sender's receipt token.",
)
secret_create_file = _per_call(
    lifecycle,
    Lifecycle.create_file,
    "Create a file secret from an ``upload`` already sealed as it arrived (``secret_upload_begin``).",
)
secret_upload_begin = _per_call(lifecycle, Lifecycle.begin_file)
secret_reveal = _per_call(lifecycle, Lifecycle.reveal)
secret_burn = _per_call(lifecycle, Lifecycle.burn)


def receipt_status(*, receipt: str) -> ReceiptStatus:
    """How the secret of this receipt stands; raises ``ReceiptNotFound``. Takes no view."""
    return lifecycle().receipt_status(token=receipt)


def receipt_revoke(*, receipt: str) -> ReceiptStatus:
    """Burn the secret of this receipt if it is live; return how it stands after."""
    return lifecycle().revoke(token=receipt)


def secret_sweep(*, grace_seconds: int) -> tuple[int, int]:
    return lifecycle().sweep(grace_seconds=grace_seconds)


def usage_counts(*, days: int = 30) -> Usage:
    """The operators' counters: totals and the last ``days`` UTC days."""
    return record_store().read_counts(now=time.time(), days=days)


def stores_check() -> None:
    """Return if both stores answer; raise (``StorageUnavailable`` or worse) if not."""
    record_store().check()
    blob_store().check()


def stores_setup() -> None:
    record_store().setup()
    blob_store().setup()


def public_limits() -> dict:
    """The limits a client may show before it sends anything."""
    policy = current_policy()
    lifetimes = [s for s in settings.LIFETIMES if policy.min_lifetime <= s <= policy.max_lifetime]
    lifetimes = lifetimes or [policy.max_lifetime]
    return {
        "max_views": policy.max_views,
        "ttl_days": settings.TTL_DAYS,
        "min_lifetime": policy.min_lifetime,
        "max_lifetime": policy.max_lifetime,
        "max_text_bytes": policy.max_text_bytes,
        "max_file_bytes": policy.max_file_bytes,
        "min_passphrase_length": policy.min_passphrase_length,
        # The operator's choices for the web page, kept within the limits.
        "lifetimes": lifetimes,
        "default_lifetime": settings.DEFAULT_LIFETIME
        if settings.DEFAULT_LIFETIME in lifetimes
        else lifetimes[-1],
        "default_views": min(settings.DEFAULT_VIEWS, policy.max_views),
    }


# -- end-to-end secrets (sharing.domain.e2e): the server stores ciphertext only --

# An end-to-end secret is sealed under its id, so the sender needs the id
# before anything is sent: the server issues one with a signed, short-lived
# ticket to post the ciphertext with. Nothing is stored until then, and only
# ids this server drew can be used, so nobody can probe or claim an id by
# creating a secret under it.
E2E_TICKET_SALT = "sharing.e2e.ticket"
E2E_TICKET_SECONDS = 6 * 3600


def end_to_end() -> EndToEnd:
    return EndToEnd(lifecycle())


def e2e_ticket_issue() -> tuple[str, str]:
    """A fresh secret id and the ticket that lets its creator post the ciphertext under it."""
    secret_id = new_secret_id()
    return secret_id, signing.TimestampSigner(salt=E2E_TICKET_SALT).sign(secret_id)


def e2e_ticket_redeem(ticket: str) -> str:
    """The id a ticket was issued for; ``UploadTicketNotFound`` if it is forged or too old."""
    try:
        return signing.TimestampSigner(salt=E2E_TICKET_SALT).unsign(ticket, max_age=E2E_TICKET_SECONDS)
    except signing.BadSignature:
        raise UploadTicketNotFound() from None


e2e_create_text = _per_call(end_to_end, EndToEnd.create_text)
e2e_upload_begin = _per_call(end_to_end, EndToEnd.begin_file)
e2e_create_file = _per_call(end_to_end, EndToEnd.create_file)
e2e_reveal = _per_call(end_to_end, EndToEnd.reveal)
e2e_burn = _per_call(end_to_end, EndToEnd.burn)
