"""
JSON as every route reads it: nesting deeper than the parser can follow is a
client's mistake (400), not a ``RecursionError`` that would surface as a 500.
"""

import contextlib
from collections.abc import Iterator

from django.utils.translation import gettext_lazy
from rest_framework import parsers
from rest_framework.exceptions import ParseError

TOO_DEEP = gettext_lazy("The JSON is nested too deeply.")


@contextlib.contextmanager
def nesting_bounded() -> Iterator[None]:
    # Python's decoder recurses once per level and gives up at the interpreter's
    # recursion limit; nothing this service accepts is nested more than twice.
    try:
        yield
    except RecursionError:
        raise ParseError(TOO_DEEP) from None


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        with nesting_bounded():
            return super().parse(stream, media_type, parser_context)
