"""
The resource API under /api/: text secrets, file secrets, and reveal/burn by
id for either kind. Each action is serializer -> service -> serializer.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from sharing import services
from sharing.api.common import (
    BAD_INPUT,
    NOT_FOUND,
    TOO_LARGE,
    UNAVAILABLE,
    create_file,
    create_text,
    reveal_responses,
)
from sharing.api.parsers import JSONParser
from sharing.api.responses import file_response
from sharing.api.serializers import (
    CreatedSerializer,
    FileCreateSerializer,
    PassphraseSerializer,
    RevealedTextSerializer,
    TextCreateSerializer,
)
from sharing.api.throttles import CreateRateThrottle, RevealRateThrottle
from sharing.domain.lifecycle import FILE, TEXT, RevealedFile
from sharing.uploads import SealingMultiPartParser

FILE_DOWNLOAD = OpenApiResponse(
    OpenApiTypes.BINARY,
    description="A file secret, as a download: Content-Disposition carries its name, "
    "X-Views-Left how many views are left.",
)


class SecretViewSet(viewsets.ViewSet):
    """Reveal or burn a secret by id and passphrase. Subclasses narrow ``kind`` and add create."""

    kind = None
    throttles_by_action = {
        "create": [CreateRateThrottle],
        "reveal": [RevealRateThrottle],
        "burn": [RevealRateThrottle],
    }
    lookup_field = "secret_id"
    lookup_value_regex = "[^/]+"
    parser_classes = [JSONParser]

    def get_throttles(self):
        return [throttle() for throttle in self.throttles_by_action.get(self.action, [])]

    @extend_schema(
        request=PassphraseSerializer,
        responses=reveal_responses(
            OpenApiResponse(RevealedTextSerializer, description="A text secret."), FILE_DOWNLOAD
        ),
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def reveal(self, request, secret_id=None):
        """Take one view of the secret. The last view deletes it."""
        serializer = PassphraseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        revealed = services.secret_reveal(secret_id=secret_id, kind=self.kind, **serializer.validated_data)
        if isinstance(revealed, RevealedFile):
            return file_response(revealed)
        return Response(RevealedTextSerializer(revealed).data)

    @extend_schema(
        request=PassphraseSerializer,
        responses={204: None, 400: BAD_INPUT, 404: NOT_FOUND, 503: UNAVAILABLE},
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def burn(self, request, secret_id=None):
        """Delete the secret now, whatever views or time it had left."""
        serializer = PassphraseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.secret_burn(secret_id=secret_id, kind=self.kind, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TextSecretViewSet(SecretViewSet):
    """Text secrets: a password, a key, a note."""

    kind = TEXT

    @extend_schema(
        request=TextCreateSerializer,
        responses={201: CreatedSerializer, 400: BAD_INPUT, 413: TOO_LARGE, 503: UNAVAILABLE},
    )
    def create(self, request):
        """Seal a text; answer its id and passphrase, each needed to reveal it."""
        created = create_text(request, receipt=True)
        return Response(
            CreatedSerializer(created, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class FileSecretViewSet(SecretViewSet):
    """File secrets, sealed as they upload and streamed back on reveal."""

    kind = FILE

    # Creation is an upload, sealed as it arrives; reveal and burn take JSON
    # only (their own parser_classes), so a file sent to them is never stored.
    parser_classes = [SealingMultiPartParser, JSONParser]

    @extend_schema(
        request={"multipart/form-data": FileCreateSerializer},
        responses={201: CreatedSerializer, 400: BAD_INPUT, 413: TOO_LARGE, 503: UNAVAILABLE},
    )
    def create(self, request):
        """Upload a file; it is encrypted chunk by chunk as it arrives."""
        created = create_file(request, receipt=True)
        return Response(
            CreatedSerializer(created, context={"request": request}).data, status=status.HTTP_201_CREATED
        )
