"""
The OpenAPI schema, built and rendered once per process.

It depends only on the code and the limits in force, yet drf-spectacular
builds it anew for every request (50-150 ms). Keyed by the limits and the
negotiated format, the rendered bytes are kept and served again.
"""

from django.http import HttpResponse
from drf_spectacular.views import SpectacularAPIView

from sharing.services import current_policy

_rendered: dict[tuple, tuple[bytes, str, str]] = {}


class SchemaView(SpectacularAPIView):
    def _get_schema_response(self, request):
        renderer, media_type = request.accepted_renderer, request.accepted_media_type
        key = (current_policy(), media_type)
        if key not in _rendered:
            response = super()._get_schema_response(request)
            body = renderer.render(response.data, media_type, self.get_renderer_context())
            content_type = f"{media_type}; charset={renderer.charset}" if renderer.charset else media_type
            _rendered[key] = (body, content_type, response["Content-Disposition"])
        body, content_type, disposition = _rendered[key]
        return HttpResponse(body, content_type=content_type, headers={"Content-Disposition": disposition})
