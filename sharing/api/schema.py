"""
The OpenAPI schema, built and rendered once per process.

It depends only on the code and the limits in force, yet drf-spectacular
builds it anew for every request (50-150 ms). Keyed by the limits and the
negotiated format, the rendered bytes are kept and served again.

One thread of a worker builds it at a time: drf-spectacular loads its
extensions lazily into class-level state, and two builds racing in one
process (threaded workers) can see them half-loaded and fail.
"""

import threading

from django.http import HttpResponse
from drf_spectacular.views import SpectacularAPIView

from sharing.services import current_policy

_rendered: dict[tuple, tuple[bytes, str, str]] = {}
_building = threading.Lock()


class SchemaView(SpectacularAPIView):
    def _get_schema_response(self, request):
        renderer, media_type = request.accepted_renderer, request.accepted_media_type
        key = (current_policy(), media_type)
        if key not in _rendered:
            with _building:
                if key not in _rendered:  # another thread may have built it meanwhile
                    response = super()._get_schema_response(request)
                    body = renderer.render(response.data, media_type, self.get_renderer_context())
                    charset = renderer.charset
                    content_type = f"{media_type}; charset={charset}" if charset else media_type
                    _rendered[key] = (body, content_type, response["Content-Disposition"])
        body, content_type, disposition = _rendered[key]
        return HttpResponse(body, content_type=content_type, headers={"Content-Disposition": disposition})
