"""
Receipts under /api/receipts/{receipt}/: the sender reads whether the secret
was opened, or revokes it, with the receipt token the create answered. A
lookup is not a view and changes nothing; both are throttled per client, as
each is a guess at a token; an unknown or outlived receipt is an ordinary 404.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from sharing import services
from sharing.api.parsers import JSONParser
from sharing.api.serializers import EpochDateTimeField, ErrorSerializer
from sharing.api.throttles import ReceiptRateThrottle
from sharing.api.views import UNAVAILABLE
from sharing.domain.receipts import STATES

NO_RECEIPT = OpenApiResponse(
    ErrorSerializer, description="No such receipt, or the secret's original expiry has passed."
)


class ReceiptSerializer(serializers.Serializer):
    """How a secret stands: never its id, passphrase, size or content."""

    state = serializers.ChoiceField(
        choices=STATES,
        help_text="unread, viewed (views are left), used_up, burned (by its holder or revoked), "
        "destroyed (too many wrong passphrases), expired.",
    )
    view_count = serializers.IntegerField(help_text="Views the secret allowed.")
    views_taken = serializers.IntegerField(help_text="Views served so far.")
    views_left = serializers.IntegerField(help_text="Views that can still be taken; 0 once it is gone.")
    created_at = EpochDateTimeField()
    expires_at = EpochDateTimeField(help_text="The receipt is answered until then, and then no more.")
    last_viewed_at = EpochDateTimeField(allow_null=True, help_text="When it was last opened, if ever.")


class ReceiptViewSet(viewsets.ViewSet):
    """A secret's receipt: its state, and a way to revoke it without the passphrase."""

    lookup_field = "receipt"
    lookup_value_regex = "[^/]+"
    parser_classes = [JSONParser]
    throttle_classes = [ReceiptRateThrottle]

    @extend_schema(responses={200: ReceiptSerializer, 404: NO_RECEIPT, 503: UNAVAILABLE})
    def retrieve(self, request, receipt=None):
        """Whether the secret was opened, and how it stands. Takes no view and changes nothing."""
        status = services.receipt_status(receipt=receipt)
        return Response(ReceiptSerializer(status).data)

    @extend_schema(request=None, responses={200: ReceiptSerializer, 404: NO_RECEIPT, 503: UNAVAILABLE})
    @action(detail=True, methods=["post"])
    def burn(self, request, receipt=None):
        """Revoke the secret: delete it now if it is still there. Answers how it stands afterwards."""
        status = services.receipt_revoke(receipt=receipt)
        return Response(ReceiptSerializer(status).data)
