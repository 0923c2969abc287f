"""
Input and output shapes. Bounds come from the limits in force
(``sharing.services.current_policy``), so the schema documents the same
numbers the lifecycle enforces; the rules themselves live in the lifecycle.
"""

from collections.abc import Hashable
from datetime import UTC, datetime

from django.core.signals import setting_changed
from django.core.validators import ProhibitNullCharactersValidator, RegexValidator
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from rest_framework import serializers
from rest_framework.utils import html

from sharing.domain import passphrases
from sharing.domain.lifecycle import ID_LENGTH
from sharing.services import current_policy

MAX_PASSPHRASE_LENGTH = 1024


class StrictCharField(serializers.CharField):
    """
    A CharField that takes strings only (``123`` or ``true`` is a wrong type,
    not a secret) and takes any string: a NUL is as valid in a secret as any
    other character, and it is never stored as text anyway.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]

    def get_value(self, dictionary):
        # DRF reads an empty form field as "not sent"; a passphrase sent empty
        # is a mistake to report, as it is in JSON, not a request for a new one.
        if html.is_html_input(dictionary) and dictionary.get(self.field_name) == "":
            return ""
        return super().get_value(dictionary)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def redeclared(field: serializers.Field, **kwargs) -> serializers.Field:
    """``field`` declared again with ``kwargs``; bounds passed to its constructor get DRF's validators."""
    return type(field)(*field._args, **{**field._kwargs, **kwargs})


def in_range(field: serializers.Field, low: int, high: int) -> serializers.Field:
    return redeclared(
        field,
        min_value=low,
        max_value=high,
        error_messages={
            "min_value": gettext("Ensure this value is at least %(min)s.") % {"min": low},
            "max_value": gettext("Ensure this value is at most %(max)s.") % {"max": high},
        },
    )


# Fields as built for each (serializer class, ``fields_key``): never bound, only copied.
_PREPARED: dict[tuple[type, Hashable], dict[str, serializers.Field]] = {}


def forget_prepared_fields(**kwargs) -> None:
    _PREPARED.clear()


setting_changed.connect(forget_prepared_fields)


class PreparedFieldsSerializer(serializers.Serializer):
    # A serializer whose fields are built once for what they depend on, not
    # for every instance. DRF deep-copies every declared field for each
    # serializer it makes (and one with bounds in force builds some again),
    # which cost more than the rest of a create's validation together.
    #
    # The contract: everything ``build_fields`` reads is in ``fields_key()``.
    # Each instance gets shallow copies of the fields built for its key, which
    # DRF then binds to it alone: a bound field holds its serializer, so two
    # requests (threads) never share one. What the copies share (validators,
    # error messages, choices) is only read. A field holding a child field (a
    # ``ListField``, a nested serializer) is bound to it when made, so none
    # may be among them.
    #
    # No docstring: a serializer's docstring is its schema's description, and
    # this would become that of every serializer here that has none.

    def fields_key(self) -> Hashable:
        """What the fields depend on besides the class: nothing, unless a subclass says so."""
        return ()

    def build_fields(self) -> dict[str, serializers.Field]:
        return super().get_fields()

    def get_fields(self):
        key = (type(self), self.fields_key())
        prepared = _PREPARED.get(key)
        if prepared is None:
            prepared = self.build_fields()
            for field in prepared.values():
                if hasattr(field, "child") or isinstance(field, serializers.BaseSerializer):
                    raise TypeError(f"{field!r} holds a child field bound to it; it cannot be copied")
                field.validators  # noqa: B018 -- made lazily; made now, so no copy makes its own
            _PREPARED[key] = prepared
        return {name: _unbound_copy(field) for name, field in prepared.items()}


def _unbound_copy(field: serializers.Field) -> serializers.Field:
    # copy.copy, without its generic protocol (about four times as slow) and
    # without DRF's ``Field.__new__``, which only records the arguments the
    # copied attributes already hold.
    copied = object.__new__(type(field))
    copied.__dict__.update(field.__dict__)
    return copied


SENT_MORE_THAN_ONCE = gettext_noop("Send this field once.")


class SingleValuedFormSerializer(PreparedFieldsSerializer):
    """
    Form input (multipart) carries each field once. A field sent twice is an
    array, which no field here takes: it is refused, not read as its last value,
    so the sender learns which of its values did not count.
    """

    def to_internal_value(self, data):
        if html.is_html_input(data):
            repeated = {
                name: [gettext(SENT_MORE_THAN_ONCE)] for name in self.fields if len(data.getlist(name)) > 1
            }
            if repeated:
                raise serializers.ValidationError(repeated)
        return super().to_internal_value(data)


class CreateOptionsSerializer(SingleValuedFormSerializer):
    """
    The options every create takes. Their bounds are the limits in force, set
    by ``get_fields`` each time a serializer is used, so the schema and the
    errors (in the request's language) show the numbers the lifecycle enforces.
    """

    # (The docstrings of serializers are their schema's descriptions: what is
    # said here of the fields' making stays in comments.) The fields are built
    # once for each set of limits and language, in ``build_fields``.

    view_count = serializers.IntegerField(default=1, help_text="How many times the secret may be viewed.")
    lifetime = serializers.IntegerField(
        required=False, help_text="Seconds the secret lives; by default the longest allowed."
    )
    passphrase = StrictCharField(
        required=False,
        write_only=True,
        trim_whitespace=False,
        max_length=MAX_PASSPHRASE_LENGTH,
        help_text="Your own passphrase instead of a generated one.",
    )

    def fields_key(self) -> Hashable:
        policy = current_policy()
        return (
            policy.max_views,
            policy.min_lifetime,
            policy.max_lifetime,
            policy.min_passphrase_length,
            translation.get_language(),
        )

    def build_fields(self):
        fields = super().build_fields()
        policy = current_policy()
        fields["view_count"] = in_range(fields["view_count"], 1, policy.max_views)
        fields["lifetime"] = in_range(fields["lifetime"], policy.min_lifetime, policy.max_lifetime)
        if "passphrase" in fields:  # end-to-end creates have none
            shortest = policy.min_passphrase_length
            message = gettext("Ensure this field has at least %(min)s characters.") % {"min": shortest}
            fields["passphrase"] = redeclared(
                fields["passphrase"],
                min_length=shortest,
                error_messages={"min_length": message},
                # Refused by the lifecycle; stated here too so the schema shows it.
                validators=[
                    RegexValidator(
                        f"^(?!{passphrases.GENERATED_FORM.pattern}$)", message=gettext(passphrases.REFUSED)
                    )
                ],
            )
        return fields


class SealedFileField(serializers.FileField):
    """A file sealed as it uploaded (``sharing.uploads``); its value is the sealed ``FileUpload``."""

    def to_internal_value(self, data):
        return super().to_internal_value(data).upload


class TextCreateSerializer(CreateOptionsSerializer):
    """Validated data: the arguments of ``services.secret_create_text``."""

    secret = StrictCharField(source="text", trim_whitespace=False, help_text="The text to share.")


class FileCreateSerializer(CreateOptionsSerializer):
    """Validated data: the arguments of ``services.secret_create_file``."""

    file = SealedFileField(
        source="upload", allow_empty_file=True, help_text="The file to share; sealed as it uploads."
    )


class EpochDateTimeField(serializers.DateTimeField):
    def to_representation(self, value):
        return super().to_representation(datetime.fromtimestamp(value, tz=UTC))


class ReceiptFieldsMixin(PreparedFieldsSerializer):
    """The receipt every create on the resource API answers (needs the request in the context)."""

    receipt = serializers.CharField(
        help_text="For the sender alone: reads whether the secret was opened, and revokes it "
        "(/api/receipts/{receipt}/). Shown once; the service keeps only its hash."
    )
    receipt_url = serializers.SerializerMethodField(help_text="The receipt's page, for a browser.")

    def get_receipt_url(self, created) -> str:
        return self.context["request"].build_absolute_uri(reverse("receipt", args=[created.receipt]))


class CreatedSerializer(ReceiptFieldsMixin):
    secret_id = serializers.CharField(min_length=ID_LENGTH, max_length=ID_LENGTH)
    passphrase = serializers.CharField()
    kind = serializers.ChoiceField(choices=["text", "file"])
    view_count = serializers.IntegerField()
    expires_at = EpochDateTimeField()


class PassphraseSerializer(PreparedFieldsSerializer):
    passphrase = StrictCharField(trim_whitespace=False, max_length=MAX_PASSPHRASE_LENGTH)


class RevealedTextSerializer(PreparedFieldsSerializer):
    kind = serializers.ChoiceField(choices=["text"])
    data = serializers.CharField(source="text")
    views_left = serializers.IntegerField(help_text="Views left after this one; 0 means it is gone now.")


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


# The original API's shapes (DESIGN.md §1).


class LegacyDecryptSerializer(PassphraseSerializer):
    secret_id = StrictCharField()


class LegacyCreatedSerializer(PreparedFieldsSerializer):
    secret_id = serializers.CharField()
    passphrase = serializers.CharField()


class LegacyRevealedTextSerializer(PreparedFieldsSerializer):
    data = serializers.CharField(source="text")
