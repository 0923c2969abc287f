"""
Receipts: what the creator of a secret keeps to learn whether it was opened,
and to revoke it without its passphrase.

A receipt token is 192 random bits, handed out once, at create. The stores
keep only its SHA-256: a token this long cannot be guessed, so a fast hash is
as safe as a slow one, and a lookup stays one indexed read. A receipt answers
with the secret's state and counts, never its id, passphrase, size or content;
it outlives the secret as a tombstone without key material until the secret's
original expiry, and is gone after that.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from dataclasses import dataclass

RECEIPT_BYTES = 24
RECEIPT_LENGTH = 32  # base64url characters of RECEIPT_BYTES
_RECEIPT_CHARS = frozenset(string.ascii_letters + string.digits + "-_")

# How a secret can end, as a tombstone records it (empty while it is live).
USED_UP, BURNED, DESTROYED = "used_up", "burned", "destroyed"
ENDINGS = (USED_UP, BURNED, DESTROYED)
# What a receipt can say: the endings, and the two states of a live secret.
# ``expired`` is part of the vocabulary clients know, but a receipt is only
# answered until the secret's original expiry (then it is an ordinary 404),
# so no lookup reports it today.
UNREAD, VIEWED, EXPIRED = "unread", "viewed", "expired"
STATES = (UNREAD, VIEWED, *ENDINGS, EXPIRED)


def new_receipt() -> str:
    return secrets.token_urlsafe(RECEIPT_BYTES)


def is_receipt(token: str) -> bool:
    return len(token) == RECEIPT_LENGTH and _RECEIPT_CHARS.issuperset(token)


def receipt_hash(token: str) -> str:
    """What the stores keep of a receipt, and look it up by."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class ReceiptStatus:
    state: str  # one of STATES
    view_count: int  # views the secret allowed
    views_taken: int  # views served
    views_left: int  # views that can still be taken (0 once it has ended or expired)
    created_at: int  # Unix seconds
    expires_at: int  # Unix seconds; the receipt goes then too
    last_viewed_at: int | None  # Unix seconds of the latest view, if any


def status_of(record, *, now: float) -> ReceiptStatus:
    """The status of a record or tombstone (``sharing.stores.base.SecretRecord``) found by its receipt."""
    status = receipt_status(
        ended=record.ended,
        view_count=record.view_count,
        views_taken=record.views_taken,
        views_left=record.views_left,
        created_at=record.created_at,
        expires_at=record.expires_at,
        last_viewed_at=record.last_viewed_at,
        now=now,
    )
    if status is None:
        raise ValueError("the record had expired; find_receipt does not return those")
    return status


def receipt_status(
    *,
    ended: str,
    view_count: int,
    views_taken: int,
    views_left: int,
    created_at: int,
    expires_at: int,
    last_viewed_at: int,
    now: float,
) -> ReceiptStatus | None:
    """The state a receipt reports at ``now``; ``None`` once the secret's original expiry has passed."""
    if expires_at <= int(now):
        return None
    if ended:
        state = ended
    elif views_left < 1:
        state = USED_UP  # its last view is taken; the tombstone is on its way
    else:
        state = VIEWED if views_taken else UNREAD
    live = state in (UNREAD, VIEWED)
    return ReceiptStatus(
        state=state,
        view_count=view_count,
        views_taken=views_taken,
        views_left=views_left if live else 0,
        created_at=created_at,
        expires_at=expires_at,
        last_viewed_at=last_viewed_at or None,
    )
