"""
End-to-end secrets under /api/e2e/: the client encrypts (docs/e2e-format.md),
the server keeps ciphertext and a verifier, and checks a proof before it
spends a view. Each action is serializer -> service -> serializer.

    POST /api/e2e/                              an id and a ticket to create under it
    POST /api/e2e/uploads/{ticket}/text/        {sealed, verifier, view_count, lifetime}
    POST /api/e2e/uploads/{ticket}/file/        multipart: the same fields, sealed_metadata, file
    POST /api/e2e/{secret_id}/reveal/           {proof} -> sealed text, or the sealed body
    POST /api/e2e/{secret_id}/burn/             {proof}
"""

import base64

from django.core.files.uploadhandler import FileUploadHandler
from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from sharing import services
from sharing.api.common import BAD_INPUT, NOT_FOUND, TOO_LARGE, UNAVAILABLE, reveal_responses
from sharing.api.parsers import JSONParser
from sharing.api.serializers import (
    CreateOptionsSerializer,
    EpochDateTimeField,
    ErrorSerializer,
    ReceiptFieldsMixin,
)
from sharing.api.throttles import CreateRateThrottle, RevealRateThrottle
from sharing.domain import e2e
from sharing.domain.lifecycle import ID_LENGTH
from sharing.errors import FILE_TOO_LARGE, PayloadTooLarge, gettext_noop
from sharing.uploads import MULTIPART_OVERHEAD, SealedUpload

BASE64URL = "[A-Za-z0-9_-]"


def encoded_length(size: int) -> int:
    """Characters of ``size`` bytes in base64url without padding."""
    return (size * 4 + 2) // 3


class Base64urlField(serializers.CharField):
    """Bytes sent as base64url without padding (the format's encoding), of bounded length."""

    default_error_messages = {
        "encoding": gettext_lazy("Must be base64url without padding."),
        "size": gettext_lazy("Must be {size} bytes."),
        "too_long": gettext_lazy("Must be at most {max_bytes} bytes."),
    }

    def __init__(
        self, *, size: int | None = None, max_bytes: int | None = None, min_bytes: int = 1, **kwargs
    ):
        # ``min_bytes`` is for the schema: the format's shortest value, which the
        # domain (sharing.domain.e2e) refuses to go below with its own message.
        self.size, self.max_bytes, self.min_bytes = size, max_bytes, min_bytes
        if max_bytes is not None:
            kwargs.setdefault("max_length", encoded_length(max_bytes))
        super().__init__(trim_whitespace=False, **kwargs)

    def openapi_schema(self) -> dict:
        """Exactly the strings ``to_internal_value`` takes: the alphabet, and the lengths that decode."""
        if self.size is not None:
            chars = encoded_length(self.size)
            return {
                "type": "string",
                "pattern": f"^{BASE64URL}{{{chars}}}$",
                "minLength": chars,
                "maxLength": chars,
            }
        # Whole quads, then 2 or 3 characters for a last 1 or 2 bytes; never empty (a blank is refused).
        schema = {
            "type": "string",
            "pattern": f"^(?:{BASE64URL}{{4}})*(?:{BASE64URL}{{2,3}})?$",
            "minLength": encoded_length(self.min_bytes),
        }
        if self.max_bytes is not None:
            schema["maxLength"] = encoded_length(self.max_bytes)
        return schema

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        text = super().to_internal_value(data)
        if len(text) % 4 == 1 or not all(c.isascii() and (c.isalnum() or c in "-_") for c in text):
            self.fail("encoding")
        value = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        if self.size is not None and len(value) != self.size:
            self.fail("size", size=self.size)
        if self.max_bytes is not None and len(value) > self.max_bytes:
            self.fail("too_long", max_bytes=self.max_bytes)
        return value

    def to_representation(self, value):
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode("ascii")


class E2EOptionsSerializer(CreateOptionsSerializer):
    passphrase = None  # the server never sees one
    verifier = Base64urlField(size=32, help_text="SHA-256 binding the proof to the ciphertext (the format).")


class E2ETextCreateSerializer(E2EOptionsSerializer):
    sealed = Base64urlField(
        min_bytes=e2e.GCM_OVERHEAD + 1, help_text="nonce || AES-256-GCM ciphertext of the text."
    )


class E2EFileCreateSerializer(E2EOptionsSerializer):
    sealed_metadata = Base64urlField(
        min_bytes=e2e.GCM_OVERHEAD + 1,
        max_bytes=e2e.MAX_METADATA_BYTES,
        help_text="The file's sealed metadata.",
    )
    file = serializers.FileField(allow_empty_file=True, help_text="The sealed body: every chunk, in order.")


class TicketSerializer(serializers.Serializer):
    secret_id = serializers.CharField(min_length=ID_LENGTH, max_length=ID_LENGTH)
    ticket = serializers.CharField(help_text="Valid for 6 hours, for one secret.")
    text_url = serializers.CharField(help_text="POST the sealed text here.")
    file_url = serializers.CharField(help_text="POST the sealed file here.")


class E2ECreatedSerializer(ReceiptFieldsMixin):
    secret_id = serializers.CharField(min_length=ID_LENGTH, max_length=ID_LENGTH)
    kind = serializers.ChoiceField(choices=[e2e.E2E_TEXT, e2e.E2E_FILE])
    view_count = serializers.IntegerField()
    expires_at = EpochDateTimeField()


class ProofSerializer(serializers.Serializer):
    proof = Base64urlField(size=e2e.PROOF_BYTES, help_text="Derived from the passphrase (the format).")


class SealedTextSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[e2e.E2E_TEXT])
    sealed = Base64urlField()
    views_left = serializers.IntegerField(help_text="Views left after this one; 0 means it is gone now.")


SEALED_BODY = OpenApiResponse(
    OpenApiTypes.BINARY,
    description="An end-to-end file: the sealed body. X-Sealed-Metadata carries the sealed metadata "
    "(base64url), X-Views-Left how many views are left.",
)


class E2EView(APIView):
    parser_classes = [JSONParser]
    throttle_classes = [CreateRateThrottle]


class TicketView(E2EView):
    """Start an end-to-end secret: an id to seal it under, and where to send it."""

    @extend_schema(request=None, responses={201: TicketSerializer, 503: UNAVAILABLE})
    def post(self, request):
        secret_id, ticket = services.e2e_ticket_issue()
        base = f"/api/e2e/uploads/{ticket}"
        data = {
            "secret_id": secret_id,
            "ticket": ticket,
            "text_url": f"{base}/text/",
            "file_url": f"{base}/file/",
        }
        return Response(TicketSerializer(data).data, status=status.HTTP_201_CREATED)


# A ticket is the secret's id, when it was issued and a signature over both
# (django.core.signing): only its form can be stated; a ticket of that form the
# server did not issue, or issued more than 6 hours ago, is answered 404.
TICKET = OpenApiParameter(
    "ticket",
    str,
    OpenApiParameter.PATH,
    pattern=f"^[A-Za-z0-9]{{{ID_LENGTH}}}:[0-9A-Za-z]+:{BASE64URL}{{{encoded_length(32)}}}$",  # HMAC-SHA256
    description="The ticket from POST /api/e2e/.",
)
CREATED = {
    201: E2ECreatedSerializer,
    400: BAD_INPUT,
    404: OpenApiResponse(ErrorSerializer, description="No such ticket: not issued here, or expired."),
    409: OpenApiResponse(ErrorSerializer, description="The ticket was used already: one secret per ticket."),
    413: TOO_LARGE,
    503: UNAVAILABLE,
}


class TextCreateView(E2EView):
    """Store a text sealed on the client; the server cannot open it."""

    @extend_schema(request=E2ETextCreateSerializer, responses=CREATED, parameters=[TICKET])
    def post(self, request, ticket):
        secret_id = services.e2e_ticket_redeem(ticket)
        serializer = E2ETextCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = services.e2e_create_text(secret_id=secret_id, **serializer.validated_data)
        return Response(
            E2ECreatedSerializer(created, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class SealedBodyHandler(FileUploadHandler):
    """Streams the sealed body straight into the blob store under the ticket's id."""

    chunk_size = 1024 * 1024

    def __init__(self, request, secret_id: str):
        super().__init__(request)
        self.secret_id = secret_id
        self.upload = None

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        limit = services.current_policy().max_file_bytes
        if content_length and content_length > e2e.max_sealed_body(limit) + MULTIPART_OVERHEAD:
            raise PayloadTooLarge(FILE_TOO_LARGE, params={"limit": limit})

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.upload is not None:
            raise PayloadTooLarge(gettext_noop("One file per secret."))
        self.upload = services.e2e_upload_begin(self.secret_id)

    def receive_data_chunk(self, raw_data, start):
        self.upload.write(raw_data)

    def file_complete(self, file_size):
        self.upload.finish()
        return SealedUpload(self.upload, name="sealed", content_type="application/octet-stream", charset=None)


class FileCreateView(E2EView):
    """Store a file sealed on the client, chunk by chunk; the body streams to storage as it arrives."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": E2EFileCreateSerializer}, responses=CREATED, parameters=[TICKET]
    )
    def post(self, request, ticket):
        secret_id = services.e2e_ticket_redeem(ticket)
        request.upload_handlers = [SealedBodyHandler(request, secret_id)]
        serializer = E2EFileCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        created = services.e2e_create_file(upload=data.pop("file").upload, **data)
        return Response(
            E2ECreatedSerializer(created, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class RevealView(E2EView):
    """Take one view of an end-to-end secret with its proof; the last view deletes it."""

    throttle_classes = [RevealRateThrottle]

    @extend_schema(
        request=ProofSerializer,
        responses=reveal_responses(
            OpenApiResponse(SealedTextSerializer, description="A sealed text."),
            SEALED_BODY,
            OpenApiResponse(ErrorSerializer, description="Unknown id, wrong proof, used up or expired."),
        ),
    )
    def post(self, request, secret_id):
        serializer = ProofSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        revealed = services.e2e_reveal(secret_id=secret_id, **serializer.validated_data)
        if isinstance(revealed, e2e.SealedFile):
            response = StreamingHttpResponse(revealed.content, content_type="application/octet-stream")
            response["Content-Length"] = str(revealed.size)
            response["X-Sealed-Metadata"] = Base64urlField().to_representation(revealed.sealed_metadata)
            response["X-Views-Left"] = str(revealed.views_left)
            return response
        return Response(SealedTextSerializer(revealed).data)


class BurnView(E2EView):
    """Delete an end-to-end secret now, with its proof."""

    throttle_classes = [RevealRateThrottle]

    @extend_schema(
        request=ProofSerializer, responses={204: None, 400: BAD_INPUT, 404: NOT_FOUND, 503: UNAVAILABLE}
    )
    def post(self, request, secret_id):
        serializer = ProofSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.e2e_burn(secret_id=secret_id, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)
