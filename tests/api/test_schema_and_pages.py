"""The OpenAPI schema, the browsable docs, and the pages that must never change state."""

import re

import pytest
import yaml

from sharing.stores.handler import record_store


@pytest.fixture
def schema(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_describes_both_route_sets(schema):
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in [
        "/api/text/",
        "/api/files/",
        "/api/secrets/{secret_id}/reveal/",
        "/api/secrets/{secret_id}/burn/",
        "/api/text/{secret_id}/reveal/",
        "/api/files/{secret_id}/burn/",
        "/encrypt",
        "/decrypt",
    ]:
        assert "post" in paths[path], path


def test_schema_carries_the_limits_in_force(schema):
    text = schema["components"]["schemas"]["TextCreateRequest"]["properties"]
    assert (text["view_count"]["minimum"], text["view_count"]["maximum"]) == (1, 10)
    assert (text["lifetime"]["minimum"], text["lifetime"]["maximum"]) == (300, 5 * 86400)
    assert text["passphrase"]["minLength"] == 12
    files = schema["paths"]["/api/files/"]["post"]["requestBody"]["content"]
    assert list(files) == ["multipart/form-data"]


def test_schema_states_the_end_to_end_encodings_the_server_takes(schema, post_json):
    schemas = schema["components"]["schemas"]
    proof = schemas["ProofRequest"]["properties"]["proof"]
    sealed = schemas["E2ETextCreateRequest"]["properties"]["sealed"]
    # 32 bytes are 43 base64url characters; a shorter or padded proof is outside the schema.
    assert proof["pattern"] == "^[A-Za-z0-9_-]{43}$" and proof["maxLength"] == 43
    assert not re.search(proof["pattern"], "00") and not re.search(proof["pattern"], "A" * 42 + "=")
    # Any length that decodes: whole quads, then 2 or 3 characters; never 1 left over.
    assert re.search(sealed["pattern"], "AAAAAA") and not re.search(sealed["pattern"], "AAAAA")
    upload = schema["paths"]["/api/e2e/uploads/{ticket}/text/"]["post"]
    (ticket,) = [p for p in upload["parameters"] if p["name"] == "ticket"]
    issued = post_json("/api/e2e/", {}).json()["ticket"]
    assert re.search(ticket["schema"]["pattern"], issued)
    assert not re.search(ticket["schema"]["pattern"], "0")
    assert "404" in upload["responses"]


def test_docs_page_uses_local_assets_only(api):
    response = api.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower() and "https://" not in html


def test_browsable_api_renders(api):
    response = api.get("/api/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"/api/text/" in response.content


def test_reveal_page_changes_nothing(api, post_json):
    created = post_json("/api/text/", {"secret": "previewed"}).json()
    page = api.get(f"/secret/{created['secret_id']}")
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    assert b"previewed" not in page.content
    assert api.head(f"/secret/{created['secret_id']}").status_code == 200
    assert api.post(f"/secret/{created['secret_id']}").status_code == 405
    assert record_store().get(created["secret_id"], now=0).views_left == 1


def test_create_page_serves_a_form(api):
    response = api.get("/")
    assert response.status_code == 200
    assert b"<form" in response.content


def test_schema_is_rendered_once_per_format_and_limits(api, settings, monkeypatch):
    from drf_spectacular.generators import SchemaGenerator

    built = []
    real = SchemaGenerator.get_schema
    monkeypatch.setattr(SchemaGenerator, "get_schema", lambda self, **kw: built.append(1) or real(self, **kw))
    settings.MAX_VIEWS = 7  # limits no other test uses, so nothing is cached yet
    first = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    again = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert first.content == again.content and len(built) == 1
    assert first["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert (
        first.json()["components"]["schemas"]["TextCreateRequest"]["properties"]["view_count"]["maximum"] == 7
    )
    api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert len(built) == 2
    settings.MAX_VIEWS = 8
    changed = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert changed["components"]["schemas"]["TextCreateRequest"]["properties"]["view_count"]["maximum"] == 8


def test_threads_asking_for_the_schema_at_once_build_it_once(settings, monkeypatch):
    # Threaded workers: requests for a schema not yet built arrive together.
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from drf_spectacular.generators import SchemaGenerator
    from rest_framework.test import APIClient

    built = []
    real = SchemaGenerator.get_schema
    monkeypatch.setattr(SchemaGenerator, "get_schema", lambda self, **kw: built.append(1) or real(self, **kw))
    settings.MAX_VIEWS = 9  # limits no other test uses, so nothing is cached yet
    start = Barrier(4)

    def fetch(_):
        start.wait()
        return APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(fetch, range(4)))
    assert [a.status_code for a in answers] == [200] * 4
    assert len({a.content for a in answers}) == 1
    assert len(built) == 1
