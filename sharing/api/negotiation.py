"""
Which renderer answers a request: DRF's choice, made once for each set of
renderers, ``Accept`` header and format asked for, then remembered.

DRF parses the ``Accept`` header and every renderer's media type again for
every request, and reads the headers and the query string through objects it
builds for the purpose: together a few percent of a small request's CPU, to
reach the same answer nearly every time (clients send a handful of distinct
headers, most of them ``*/*`` or none at all).
"""

from rest_framework.negotiation import DefaultContentNegotiation

# Remembered only for headers this short, and at most this many at once: the
# header is the client's to choose, so what is kept of it stays small.
KEPT_ACCEPT_LENGTH = 256
KEPT_CHOICES = 256

# (renderers, Accept, format) -> (index of the chosen renderer, media type)
_chosen: dict[tuple, tuple[int, str]] = {}


class RememberingContentNegotiation(DefaultContentNegotiation):
    """
    ``DefaultContentNegotiation``, whose choice depends only on the renderers
    (their classes, media types and formats), the ``Accept`` header and the
    format asked for by suffix or query parameter. A choice that fails (406,
    or 404 for an unknown format) is made again each time, as DRF makes it.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        accept = request.META.get("HTTP_ACCEPT", "*/*")
        if len(accept) > KEPT_ACCEPT_LENGTH:
            return super().select_renderer(request, renderers, format_suffix)
        param = self.settings.URL_FORMAT_OVERRIDE
        # An empty query string asks for no format: no need to parse it.
        asked = format_suffix or (
            request.query_params.get(param) if param and request.META.get("QUERY_STRING") else None
        )
        key = (tuple((type(r), r.media_type, r.format) for r in renderers), accept, asked)
        chosen = _chosen.get(key)
        if chosen is not None:
            index, media_type = chosen
            return renderers[index], media_type
        renderer, media_type = super().select_renderer(request, renderers, format_suffix)
        if len(_chosen) >= KEPT_CHOICES:
            _chosen.clear()
        _chosen[key] = (next(i for i, r in enumerate(renderers) if r is renderer), media_type)
        return renderer, media_type
