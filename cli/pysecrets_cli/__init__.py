"""pysecrets: share a text or a file once, from a terminal or a script."""

__version__ = "1.0.0"
