"""Deeply nested JSON is a 400 saying so, on every JSON route, never a 500."""

import pytest

ROUTES = [
    "/encrypt",
    "/decrypt",
    "/api/text/",
    "/api/secrets/AAAAAAAAAAAAAAAA/reveal/",
    "/api/secrets/AAAAAAAAAAAAAAAA/burn/",
    "/api/text/AAAAAAAAAAAAAAAA/reveal/",
    "/api/files/AAAAAAAAAAAAAAAA/burn/",
]
DEEP = ["[" * 100_000, '{"a": ' * 50_000, '{"secret": ' + "[" * 100_000]


@pytest.mark.parametrize("body", DEEP, ids=["arrays", "objects", "in-a-field"])
@pytest.mark.parametrize("route", ROUTES)
def test_deeply_nested_json_is_400(post_json, route, body):
    response = post_json(route, body)
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "parse_error"
    assert "nested" in error["detail"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
@pytest.mark.parametrize("route", ["/encrypt", "/decrypt"])
def test_deeply_nested_json_of_any_declared_type_is_400_on_the_original_routes(api, route, content_type):
    response = api.generic("POST", route, "[" * 100_000, content_type=content_type)
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_nesting_a_parser_can_take_is_read_as_usual(post_json):
    response = post_json("/api/text/", {"secret": "s", "extra": [[[[["fine"]]]]]})
    assert response.status_code == 201
