"""
What may be logged about a secret: never its id in full, only a short keyed
hash, enough to follow one secret through the logs and useless for opening it.
"""

import logging
import re

from django.utils.crypto import salted_hmac

_ID_IN_PATH = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{16}(?![A-Za-z0-9])")


def short_id(secret_id: str) -> str:
    # Keyed by SECRET_KEY under a salt of its own, so the hash serves no other purpose.
    return "#" + salted_hmac("sharing.logsafe.short_id", secret_id, algorithm="sha256").hexdigest()[:8]


def redact_path(path: str) -> str:
    """Replace anything shaped like a secret id in a URL path with its short hash."""
    return _ID_IN_PATH.sub(lambda m: short_id(m.group(0)), path)


class RedactIdsFilter(logging.Filter):
    """Rewrites every log record so that id-shaped words appear as short keyed hashes."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact_path(record.getMessage()), None
        if record.exc_info:
            # Exception messages and traceback lines can carry ids too.
            record.exc_text = redact_path(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
