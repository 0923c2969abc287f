"""
The original API, kept byte for byte (DESIGN.md §1) so existing scripts keep
working: ``POST /encrypt`` (JSON text or multipart ``file``) answers 200
``{"secret_id", "passphrase"}``; ``POST /decrypt`` answers ``{"data": ...}`` or
the file, and an empty 404 for anything it cannot reveal.
"""

import json

from django.conf import settings
from django.http import HttpResponse, QueryDict
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from sharing import services
from sharing.api.common import BAD_INPUT, TOO_LARGE, UNAVAILABLE, create_file, create_text
from sharing.api.parsers import JSONParser, nesting_bounded
from sharing.api.responses import file_response
from sharing.api.serializers import (
    FileCreateSerializer,
    LegacyCreatedSerializer,
    LegacyDecryptSerializer,
    LegacyRevealedTextSerializer,
    TextCreateSerializer,
)
from sharing.api.throttles import CreateRateThrottle, RevealRateThrottle
from sharing.domain.lifecycle import RevealedFile
from sharing.errors import SecretNotFound
from sharing.uploads import SealingMultiPartParser


class LegacyJSONRenderer(JSONRenderer):
    """Python's ``json.dumps`` defaults, as the original wrote: ``{"data": "..."}``."""

    compact = False
    ensure_ascii = True


class JSONWhateverTheTypeParser(BaseParser):
    """
    The original read every body as JSON, so scripts send it with curl's
    default ``-d`` type (form-encoded) or none at all. A body that is not JSON
    is read as a form, as its type says.
    """

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        try:
            with nesting_bounded():
                return json.loads(body)
        except ValueError:
            if media_type and media_type.startswith("application/x-www-form-urlencoded"):
                return QueryDict(body, encoding=settings.DEFAULT_CHARSET)
            raise ParseError(gettext("The body must be JSON.")) from None


class LegacyView(APIView):
    renderer_classes = [LegacyJSONRenderer]
    parser_classes = [JSONParser, JSONWhateverTheTypeParser]


@extend_schema(tags=["original API"])
class EncryptView(LegacyView):
    throttle_classes = [CreateRateThrottle]
    # Only a create takes a file, sealed as it arrives.
    parser_classes = [JSONParser, SealingMultiPartParser, JSONWhateverTheTypeParser]

    @extend_schema(
        request={"application/json": TextCreateSerializer, "multipart/form-data": FileCreateSerializer},
        responses={200: LegacyCreatedSerializer, 400: BAD_INPUT, 413: TOO_LARGE, 503: UNAVAILABLE},
    )
    def post(self, request):
        """Seal a text (JSON ``secret``) or a file (multipart ``file``)."""
        created = create_file(request) if "file" in request.FILES else create_text(request)
        return Response(LegacyCreatedSerializer(created).data)


@extend_schema(tags=["original API"])
class DecryptView(LegacyView):
    throttle_classes = [RevealRateThrottle]

    @extend_schema(
        request={"application/json": LegacyDecryptSerializer},
        responses={
            200: OpenApiResponse(
                LegacyRevealedTextSerializer, description="A text; a file comes as its bytes."
            ),
            400: BAD_INPUT,
            404: OpenApiResponse(description="Empty: unknown id, wrong passphrase, used up or expired."),
            503: UNAVAILABLE,
        },
    )
    def post(self, request):
        """Take one view of a secret."""
        serializer = LegacyDecryptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        revealed = services.secret_reveal(**serializer.validated_data)
        if isinstance(revealed, RevealedFile):
            return file_response(revealed)
        return Response(LegacyRevealedTextSerializer(revealed).data)

    def handle_exception(self, exc):
        if isinstance(exc, SecretNotFound):
            # The original answered every miss with an empty 404.
            return HttpResponse(status=404)
        return super().handle_exception(exc)
