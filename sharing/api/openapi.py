"""
What every operation can answer, documented where it applies.

Some answers come from outside the views: the cross-site refusal (403) and the
body bound (413) from middleware, on every unsafe method, and the throttles
(429) on every operation that has one. ``AutoSchema`` adds them to each
operation they apply to, so a client finds them all in the schema and a view's
own ``extend_schema`` lists only what the view itself decides.
"""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse

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


class AutoSchema(openapi.AutoSchema):
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
