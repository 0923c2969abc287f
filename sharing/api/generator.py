"""
The OpenAPI schema's generation: drf-spectacular's, with each view's
description set on top of drf-spectacular's schema (sharing.api.openapi says
why views are described by a stand-in), and what every operation can answer.

Some answers come from outside the views: the cross-site refusal (403) and the
body bound (413) from middleware, on every unsafe method, and the throttles
(429) on every operation that has one. ``OpenApiAutoSchema`` adds them to each
operation they apply to, so a client finds them all in the schema and a view's
own ``extend_schema`` lists only what the view itself decides.

A serializer field may state its own schema with ``openapi_schema()``; it is
taken as it is (a drf-spectacular extension would do the same, but defining
one loads at start-up what this module keeps out of it).

Settings name ``FullSchemaGenerator`` (SPECTACULAR_SETTINGS'
DEFAULT_GENERATOR_CLASS): the schema route, the deploy check and
``manage.py spectacular`` import this module when they generate.
"""

import functools

from drf_spectacular import openapi
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.plumbing import append_meta
from drf_spectacular.utils import OpenApiResponse

from sharing.api import openapi as described
from sharing.api.serializers import ErrorSerializer
from sharing.crosssite import SAFE_METHODS

CROSS_SITE = OpenApiResponse(
    ErrorSerializer,
    description="Sent by a page of another site (`Sec-Fetch-Site: cross-site`, or a foreign `Origin`); "
    "nothing was read or changed.",
)
BODY_TOO_LARGE = OpenApiResponse(
    ErrorSerializer, description="The body declares more bytes than this operation accepts; none were read."
)
THROTTLED = OpenApiResponse(
    ErrorSerializer,
    description="Too many requests from this client; `Retry-After` says how many seconds to wait.",
)
RETRY_AFTER = {
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds until this client may try again."}
}


class OpenApiAutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema of an operation, with what every operation can answer."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if hasattr(field, "openapi_schema") and not bypass_extensions:
            return append_meta(field.openapi_schema(), self._get_serializer_field_meta(field, direction))
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        # A field that states its own schema (``openapi_schema``) states its
        # shortest value too; the generic "not blank" minLength of 1 would undo it.
        if hasattr(field, "openapi_schema"):
            meta.pop("minLength", None)
        return meta

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        extra = {}
        if self.method not in SAFE_METHODS:
            extra["403"], extra["413"] = CROSS_SITE, BODY_TOO_LARGE
        if self.view.get_throttles():
            extra["429"] = THROTTLED
        for code, response in extra.items():
            if code not in responses:  # a view's own, more precise description wins
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        if "429" in responses:
            responses["429"].setdefault("headers", {}).update(RETRY_AFTER)
        return responses


@functools.cache
def in_full(schema_class: type) -> type:
    """
    ``schema_class`` (``sharing.api.openapi.AutoSchema`` or what extend_schema
    made of it) on top of ``OpenApiAutoSchema``: the same classes first, so a
    view's own descriptions win, then drf-spectacular's where the stand-in was.
    """
    stand_in = described.AutoSchema.__mro__
    bases = tuple(cls for cls in schema_class.__mro__ if cls not in stand_in)
    return type(schema_class.__name__, (*bases, OpenApiAutoSchema), {})


class FullSchemaGenerator(SchemaGenerator):
    """drf-spectacular's generator, each view described in full (settings: DEFAULT_GENERATOR_CLASS)."""

    def create_view(self, callback, method, request=None):
        view = super().create_view(callback, method, request)
        schema_class = view.schema.__class__
        if issubclass(schema_class, described.AutoSchema):
            self._set_schema_to_view(view, in_full(schema_class)())
        return view
