"""
Passphrase kinds: the ones this service generates, and the ones a person chose.

A generated passphrase is 24 bytes from the OS CSPRNG (192 bits): no amount
of guessing reaches it, so stretching it would buy nothing and only cost
every reveal a tenth of a second of a core. Its key comes from HKDF-SHA256.
A passphrase a person chose may carry far less, so its key is stretched with
scrypt (``sharing.domain.crypto``).

The kind is decided from the passphrase alone, never from what is stored, so
what a reveal costs depends only on what the caller sends. The generated form
is the one the end-to-end format uses too (docs/e2e-format.md), so the whole
product has one rule:

    exactly 32 characters of [A-Za-z0-9_-] (base64url: safe in a shell, a URL
    and a form field)

A person's own passphrase of that form is refused at create (it would be keyed
without stretching), with a message that says so. Passphrases made before
this form existed, whatever their form, keep opening their secrets (those
records say how they were keyed).
"""

from __future__ import annotations

import base64
import re
import secrets

from sharing.errors import gettext_noop

GENERATED_BYTES = 24  # 192 bits
GENERATED_FORM = re.compile(r"[A-Za-z0-9_-]{32}")
GENERATED, OWN = "generated", "own"
# What an own passphrase of the generated form is told.
REFUSED = gettext_noop(
    "This has the form of a passphrase the service generates; leave the field empty "
    "to get a new one, or choose a different passphrase."
)


def new_passphrase() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(GENERATED_BYTES)).decode("ascii")


def is_generated(passphrase: str) -> bool:
    """Whether ``passphrase`` has the generated form (decided from the string alone)."""
    return GENERATED_FORM.fullmatch(passphrase) is not None


def kind_of(passphrase: str) -> str:
    return GENERATED if is_generated(passphrase) else OWN
