"""
Static files as whitenoise serves them, compressed and named by content
hash, with one addition: the ES modules of the web UI import each other by
their hashed names too. A page therefore never pairs a new ``app.js`` with a
module left in a browser's cache by an older release.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
