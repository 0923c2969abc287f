"""
Django-level error pages, for what fails before or outside DRF (an unknown
path, a disallowed host, a crash in middleware): the same JSON shape as the
API, never an HTML debug page or a traceback.
"""

from django.http import JsonResponse
from django.utils.translation import gettext

from sharing.api.errors import error_body


def bad_request(request, exception=None):
    return JsonResponse(error_body(gettext("The request is not valid."), "bad_request"), status=400)


def permission_denied(request, exception=None):
    return JsonResponse(error_body(gettext("This is not allowed."), "permission_denied"), status=403)


def not_found(request, exception=None):
    return JsonResponse(error_body(gettext("Nothing is here."), "not_found"), status=404)


def server_error(request):
    return JsonResponse(error_body(gettext("Something went wrong on our side."), "server_error"), status=500)
