"""gunicorn's access log, with secret ids in paths replaced by short keyed hashes."""

from gunicorn.glogging import Logger

from sharing.logsafe import redact_path


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("U", "r", "{raw_uri}e"):
            if key in atoms:
                atoms[key] = redact_path(atoms[key])
        atoms["q"] = ""  # query strings are nobody's business
        return atoms
