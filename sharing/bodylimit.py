"""
Every request body is bounded before anything reads it.

The parsers read a body whole (JSON, forms, and the original API's "JSON
whatever the declared type"), and Django's own bound guards only some of those
reads. So the bound is decided here, first, from the declared length: Django
never reads past ``Content-Length``, and a body without one (chunked) reads as
empty. A multipart body streams through the sealing upload handler and may be
as large as a file plus its form; any other must fit in memory
(``DATA_UPLOAD_MAX_MEMORY_SIZE``).
"""

from django.conf import settings
from django.http import JsonResponse

from sharing.api.errors import error_body
from sharing.uploads import MULTIPART_OVERHEAD


def body_limit(content_type: str) -> int | None:
    """The most bytes a body of this type may declare; ``None`` for no bound."""
    if content_type.lower().startswith("multipart/"):
        return settings.MAX_FILE_BYTES + MULTIPART_OVERHEAD
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class BodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # read as no body at all, like Django does
        limit = body_limit(request.META.get("CONTENT_TYPE", ""))
        if limit is not None and declared > limit:
            detail = f"The request body is larger than this service accepts here ({limit} bytes at most)."
            return JsonResponse(error_body(detail, "too_large"), status=413)
        return self.get_response(request)
