"""
gunicorn's logs, told nothing about any one secret: secret ids in paths and in
error messages appear as short keyed hashes, and a POST's response size (a
reveal's size is its secret's) is not recorded.
"""

import logging
import re

from gunicorn.glogging import Logger

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


class RedactingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        self.error_log.addFilter(ErrorLogRedaction())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("U", "r", "{raw_uri}e"):
            if key in atoms:
                atoms[key] = redact_path(atoms[key])
        atoms["q"] = ""  # query strings are nobody's business
        if atoms.get("m") == "POST":
            atoms["B"] = atoms["b"] = "-"
        return atoms
