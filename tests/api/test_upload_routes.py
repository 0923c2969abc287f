"""
Files are sealed into storage only where a file secret is created: a
multipart body anywhere else (a reveal, a burn, /decrypt) stores nothing;
the admin's login: tests/ops/test_login_uploads.py.
"""

import pytest

from tests.support.uploads import a_file, stored


@pytest.mark.parametrize(
    "path",
    [
        "/api/files/AAAAAAAAAAAAAAAA/reveal/",
        "/api/files/AAAAAAAAAAAAAAAA/burn/",
        "/api/secrets/AAAAAAAAAAAAAAAA/reveal/",
        "/api/text/AAAAAAAAAAAAAAAA/burn/",
        "/api/text/",
    ],
)
def test_a_multipart_body_to_a_route_that_creates_no_file_is_refused_and_stores_nothing(
    api, isolated_stores, begun, path
):
    response = api.post(path, {"passphrase": "x" * 20, "file": a_file()}, format="multipart")
    assert response.status_code == 415
    assert stored(isolated_stores) == []
    assert begun == []


def test_a_multipart_body_to_decrypt_is_bad_input_and_stores_nothing(api, isolated_stores, begun):
    body = {"secret_id": "AAAAAAAAAAAAAAAA", "passphrase": "x" * 20, "file": a_file()}
    response = api.post("/decrypt", body, format="multipart")
    assert response.status_code == 400
    assert stored(isolated_stores) == []
    assert begun == []


@pytest.mark.parametrize("path", ["/api/files/", "/encrypt"])
def test_the_create_routes_seal_the_file(api, isolated_stores, begun, path):
    response = api.post(path, {"file": a_file()}, format="multipart")
    assert response.status_code in (200, 201)
    assert begun == [1]
    assert stored(isolated_stores) == [response.json()["secret_id"]]
