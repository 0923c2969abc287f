"""The remembered choice of renderer is DRF's own, for every header, format and set of renderers."""

from django.http import Http404
from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiYamlRenderer
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from sharing.api import negotiation
from sharing.api.legacy import LegacyJSONRenderer
from sharing.api.negotiation import RememberingContentNegotiation

ACCEPTS = [
    None,
    "*/*",
    "application/json",
    "application/json; indent=4",
    "text/html",
    "text/html, application/json;q=0.9",
    "application/*",
    "image/png",
    "application/vnd.oai.openapi+json",
    "application/vnd.oai.openapi, */*;q=0.1",
    "x" * (negotiation.KEPT_ACCEPT_LENGTH + 1),
]
RENDERER_SETS = [
    [LegacyJSONRenderer],
    [JSONRenderer, BrowsableAPIRenderer],
    [OpenApiYamlRenderer, OpenApiJsonRenderer],
]


def choice(negotiator, accept, query, renderer_classes, suffix):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().post("/encrypt" + query, **headers))
    renderers = [cls() for cls in renderer_classes]
    try:
        renderer, media_type = negotiator.select_renderer(request, renderers, suffix)
    except (exceptions.NotAcceptable, Http404) as e:
        return type(e)
    return renderers.index(renderer), media_type


def test_every_choice_is_drfs_own_and_stays_so_when_remembered():
    negotiation._chosen.clear()
    remembering, default = RememberingContentNegotiation(), DefaultContentNegotiation()
    asked = [("", None), ("?format=json", None), ("?format=openapi-json", None), ("?x=1", None), ("", "api")]
    for _ in range(2):  # the second time from what was remembered
        for renderer_classes in RENDERER_SETS:
            for query, suffix in asked:
                for accept in ACCEPTS:
                    expected = choice(default, accept, query, renderer_classes, suffix)
                    got = choice(remembering, accept, query, renderer_classes, suffix)
                    assert got == expected, (renderer_classes, query, suffix, accept)


def test_what_is_remembered_stays_bounded(monkeypatch):
    monkeypatch.setattr(negotiation, "KEPT_CHOICES", 4)
    negotiation._chosen.clear()
    for n in range(10):
        choice(RememberingContentNegotiation(), f"application/json; v={n}", "", [JSONRenderer], None)
        assert len(negotiation._chosen) <= 4
    long = "text/plain, " * (negotiation.KEPT_ACCEPT_LENGTH // 10) + "application/json"
    negotiation._chosen.clear()
    assert choice(RememberingContentNegotiation(), long, "", [JSONRenderer], None) == (0, "application/json")
    assert negotiation._chosen == {}


def test_the_routes_use_it(api):
    from rest_framework.settings import api_settings

    assert api_settings.DEFAULT_CONTENT_NEGOTIATION_CLASS is RememberingContentNegotiation
    refused = api.post("/encrypt", {"secret": "s"}, format="json", HTTP_ACCEPT="image/png")
    assert refused.status_code == 406
