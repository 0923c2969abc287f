"""POST /encrypt and /decrypt answer exactly what the original service answered."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile

ID = re.compile(r"[A-Za-z0-9]{16}")
PASSPHRASE = re.compile(r"[A-Za-z0-9!#$%&*+\-=?@_~]{32}")


def test_encrypt_then_decrypt_text(post_json):
    response = post_json("/encrypt", {"secret": "super secret text", "view_count": 1})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["secret_id", "passphrase"]
    assert ID.fullmatch(body["secret_id"]) and PASSPHRASE.fullmatch(body["passphrase"])
    # Python's json.dumps layout, as the original answered.
    assert (
        response.content
        == f'{{"secret_id": "{body["secret_id"]}", "passphrase": "{body["passphrase"]}"}}'.encode()
    )

    revealed = post_json("/decrypt", body)
    assert revealed.status_code == 200
    assert revealed.content == b'{"data": "super secret text"}'

    gone = post_json("/decrypt", body)
    assert gone.status_code == 404 and gone.content == b""


def test_decrypt_misses_are_one_empty_404(post_json):
    created = post_json("/encrypt", {"secret": "s", "view_count": 2}).json()
    wrong = post_json("/decrypt", {**created, "passphrase": "x" * 32})
    unknown = post_json("/decrypt", {**created, "secret_id": "AAAAAAAAAAAAAAAA"})
    malformed = post_json("/decrypt", {**created, "secret_id": "../etc"})
    for response in (wrong, unknown, malformed):
        assert (response.status_code, response.content) == (404, b"")
    assert post_json("/decrypt", created).json() == {"data": "s"}


def test_view_count_defaults_to_one(post_json):
    created = post_json("/encrypt", {"secret": "once"}).json()
    assert post_json("/decrypt", created).status_code == 200
    assert post_json("/decrypt", created).status_code == 404


def test_encrypt_file_then_decrypt_returns_it_as_attachment(api, post_json):
    content = b"%PDF-1.7\n" + bytes(range(256)) * 2000
    response = api.post("/encrypt", {"file": SimpleUploadedFile("report.pdf", content, "application/pdf")})
    assert response.status_code == 200
    created = response.json()
    assert list(created) == ["secret_id", "passphrase"]

    revealed = post_json("/decrypt", created)
    assert revealed.status_code == 200
    assert (
        revealed["Content-Disposition"] == "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
    )
    assert revealed["Content-Type"] == "application/octet-stream"
    assert revealed["Content-Length"] == str(len(content))
    assert b"".join(revealed.streaming_content) == content
    revealed.close()
    assert post_json("/decrypt", created).status_code == 404


def test_encrypt_file_honours_view_count(api, post_json):
    created = api.post("/encrypt", {"file": SimpleUploadedFile("a.bin", b"abc"), "view_count": "2"}).json()
    for _ in range(2):
        response = post_json("/decrypt", created)
        assert b"".join(response.streaming_content) == b"abc"
        response.close()
    assert post_json("/decrypt", created).status_code == 404


def test_encrypt_rejects_bad_input_naming_the_field(post_json):
    response = post_json("/encrypt", {"secret": "s", "view_count": 0})
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"view_count"}


def test_get_is_not_allowed(api):
    assert api.get("/encrypt").status_code == 405
    assert api.get("/decrypt").status_code == 405


def test_json_sent_with_curls_default_form_type_or_none_still_works(api):
    # `curl -X POST URL/encrypt -d '{"secret": ...}'` sends application/x-www-form-urlencoded.
    body = '{"secret": "super secret text", "view_count": 1}'
    for content_type in ("application/x-www-form-urlencoded", "text/plain", "application/octet-stream"):
        created = api.generic("POST", "/encrypt", body, content_type=content_type)
        assert created.status_code == 200, created.content
        revealed = api.generic("POST", "/decrypt", created.content, content_type=content_type)
        assert revealed.content == b'{"data": "super secret text"}'


def test_form_fields_are_read_as_a_form(api):
    created = api.post(
        "/encrypt", "secret=from+a+form&view_count=1", content_type="application/x-www-form-urlencoded"
    )
    assert created.status_code == 200
    ids = created.json()
    revealed = api.post("/decrypt", ids, format="json")
    assert revealed.json() == {"data": "from a form"}


def test_non_ascii_text_is_escaped_like_the_original(post_json):
    created = post_json("/encrypt", {"secret": "pässwörd 🔑"}).json()
    revealed = post_json("/decrypt", created)
    assert revealed.content == b'{"data": "p\\u00e4ssw\\u00f6rd \\ud83d\\udd11"}'
