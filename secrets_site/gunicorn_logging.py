"""
gunicorn's logs, told nothing about any one secret: secret ids in paths and in
error messages appear as short keyed hashes, and a POST's response size (a
reveal's size is its secret's) is not recorded. A client the kernel gave up
on for making no progress (CLIENT_TIMEOUT, secrets_site/gunicorn_worker.py)
is one line, not a traceback.
"""

import errno
import logging
import re
import sys

from gunicorn.glogging import Logger

from secrets_site.gunicorn_worker import client_timeout
from sharing.logsafe import RedactIdsFilter, redact_path

_ID_SHAPED = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{16}(?![A-Za-z0-9])")


class ErrorLogRedaction(RedactIdsFilter):
    """
    Ids in gunicorn's own messages (a refused request line, a request that
    failed) as short hashes. The master logs before Django's settings are
    loaded, and so without the key the hashes need: there ids are masked whole.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            return super().filter(record)
        except Exception:
            record.msg, record.args = _ID_SHAPED.sub("#redacted", record.getMessage()), None
            record.exc_info = record.exc_text = None
            return True


# What a blocking read or write fails with once SO_RCVTIMEO or SO_SNDTIMEO runs out.
_STALLED = (errno.EAGAIN, errno.EWOULDBLOCK)


class RedactingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        self.error_log.addFilter(ErrorLogRedaction())

    def exception(self, msg, *args, **kwargs):
        error = sys.exc_info()[1]
        if isinstance(error, OSError) and error.errno in _STALLED:
            self.info("Closed a connection whose client made no progress for %ss", client_timeout())
            return
        super().exception(msg, *args, **kwargs)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("U", "r", "{raw_uri}e"):
            if key in atoms:
                atoms[key] = redact_path(atoms[key])
        atoms["q"] = ""  # query strings are nobody's business
        if atoms.get("m") == "POST":
            atoms["B"] = atoms["b"] = "-"
        return atoms
