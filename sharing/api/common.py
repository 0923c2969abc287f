"""
What the route sets (the resource API, the original routes, the end-to-end
routes) share: the error answers their schema documents, and the create
steps, each input serializer -> service.
"""

from drf_spectacular.utils import OpenApiResponse

from sharing import services
from sharing.api.serializers import ErrorSerializer, FileCreateSerializer, TextCreateSerializer
from sharing.domain.lifecycle import Created

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Unknown id, wrong passphrase, used up or expired.")
BAD_INPUT = OpenApiResponse(
    ErrorSerializer, description="The input is not valid; `fields` says which and why."
)
TOO_LARGE = OpenApiResponse(ErrorSerializer, description="The secret is over the size limit.")
UNAVAILABLE = OpenApiResponse(ErrorSerializer, description="Storage is unavailable; try again shortly.")


def reveal_responses(
    text: OpenApiResponse, body: OpenApiResponse, not_found: OpenApiResponse = NOT_FOUND
) -> dict:
    """What a reveal answers: a text as JSON or a file's body as it streams, else one of these errors."""
    return {
        (200, "application/json"): text,
        (200, "application/octet-stream"): body,
        400: BAD_INPUT,
        404: not_found,
        503: UNAVAILABLE,
    }


# ``receipt``: issue one. The resource API does; the original answer has no
# place for it, so the original routes make none.


def create_text(request, *, receipt: bool = False) -> Created:
    serializer = TextCreateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return services.secret_create_text(receipt=receipt, **serializer.validated_data)


def create_file(request, *, receipt: bool = False) -> Created:
    # The file was sealed as it uploaded; the serializer hands over that upload.
    serializer = FileCreateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return services.secret_create_file(receipt=receipt, **serializer.validated_data)
