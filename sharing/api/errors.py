"""
One error shape for every failure, translated here and only here:

    {"detail": "what is wrong", "code": "stable_code", "fields": {"name": ["problem"]}}

``fields`` appears when particular inputs are at fault. Unexpected exceptions
become a plain JSON 500 without a traceback; the log records the exception
type and where, never the request body.
"""

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import UnreadablePostError
from django.utils.translation import gettext
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from sharing.errors import InvalidInput, PayloadTooLarge, SharingError

log = logging.getLogger("sharing.api")


def error_body(detail: str, code: str, fields: dict | None = None) -> dict:
    body = {"detail": detail, "code": code}
    if fields:
        body["fields"] = fields
    return body


def _validation_fields(detail) -> dict:
    if isinstance(detail, dict):
        return {
            name: [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])]
            for name, msgs in detail.items()
        }
    return {"non_field_errors": [str(m) for m in (detail if isinstance(detail, list) else [detail])]}


def translated(exc: SharingError) -> str:
    """The error's message in the request's language (``code`` stays as it is)."""
    message = gettext(exc.message)
    return message % exc.params if exc.params else message


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    if isinstance(exc, UnreadablePostError):
        # The client stopped sending, or went away, before the body's end.
        exc = exceptions.ParseError(gettext("The request body ended before its declared length."))
    if isinstance(exc, SharingError):
        detail = translated(exc)
        fields = {exc.field: [detail]} if isinstance(exc, InvalidInput) and exc.field else None
        return Response(error_body(detail, exc.default_code, fields), status=exc.status_code)
    if isinstance(exc, exceptions.ValidationError):
        fields = _validation_fields(exc.detail)
        names = ", ".join(sorted(fields))
        return Response(
            error_body(gettext("Invalid input: %(fields)s.") % {"fields": names}, "invalid", fields),
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = drf_exception_handler(exc, context)
    if response is not None:
        detail = (
            exc.detail
            if isinstance(exc, exceptions.APIException)
            else gettext("The request could not be completed.")
        )
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = error_body(str(detail), str(code))
        return response
    log.error("unhandled %s in %s", type(exc).__name__, type(context.get("view")).__name__, exc_info=exc)
    return Response(
        error_body(gettext("Something went wrong on our side."), "server_error"),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
