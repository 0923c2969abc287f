"""The resource API for file secrets: sealed as they upload, streamed back on reveal."""

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile


def upload(api, content=b"file body", name="notes.txt", content_type="text/plain", **fields):
    response = api.post("/api/files/", {"file": SimpleUploadedFile(name, content, content_type), **fields})
    assert response.status_code == 201, response.content
    return response.json()


def reveal(post_json, created, route="secrets"):
    return post_json(f"/api/{route}/{created['secret_id']}/reveal/", {"passphrase": created["passphrase"]})


def body_of(response) -> bytes:
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


def test_upload_and_download_several_chunks(api, post_json):
    content = os.urandom(3 * 1024 * 1024 + 17)
    created = upload(api, content, name="photo.jpg", content_type="image/jpeg", view_count="2")
    assert created["kind"] == "file" and created["view_count"] == 2
    first = reveal(post_json, created, "files")
    assert first.status_code == 200
    assert first["X-Views-Left"] == "1"
    assert first["Content-Type"] == "application/octet-stream"
    assert first["Cache-Control"] == "no-store, private, max-age=0"
    assert body_of(first) == content
    assert body_of(reveal(post_json, created)) == content
    assert reveal(post_json, created).status_code == 404


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("plain.txt", "attachment; filename=\"plain.txt\"; filename*=UTF-8''plain.txt"),
        (
            'say "hi";x.txt',
            "attachment; filename=\"say _hi__x.txt\"; filename*=UTF-8''say%20%22hi%22%3Bx.txt",
        ),
        (
            "résumé 履歴書.pdf",
            'attachment; filename="r_sum_ ___.pdf"; '
            "filename*=UTF-8''r%C3%A9sum%C3%A9%20%E5%B1%A5%E6%AD%B4%E6%9B%B8.pdf",
        ),
        ("..\\..\\boot.ini", "attachment; filename=\"boot.ini\"; filename*=UTF-8''boot.ini"),
    ],
)
def test_original_name_is_carried_safely(api, post_json, name, expected):
    created = upload(api, b"x", name=name)
    response = reveal(post_json, created)
    assert response["Content-Disposition"] == expected
    body_of(response)


def test_hostile_content_type_is_not_echoed(api, post_json):
    created = upload(api, b"<script>", content_type="text/html\r\nX-Evil: 1")
    response = reveal(post_json, created)
    assert response["Content-Type"] == "application/octet-stream"
    assert "X-Evil" not in response
    assert response["X-Content-Type-Options"] == "nosniff"
    body_of(response)


def test_file_is_not_found_under_text(api, post_json):
    created = upload(api)
    assert reveal(post_json, created, "text").status_code == 404
    assert body_of(reveal(post_json, created, "files")) == b"file body"


def test_burn_deletes_the_blob(api, post_json, isolated_stores):
    created = upload(api, view_count="5")
    assert (isolated_stores / "blobs" / created["secret_id"]).exists()
    burn = post_json(f"/api/files/{created['secret_id']}/burn/", {"passphrase": created["passphrase"]})
    assert burn.status_code == 204
    assert not (isolated_stores / "blobs" / created["secret_id"]).exists()
    assert reveal(post_json, created).status_code == 404


def test_plaintext_never_reaches_a_disk(api, post_json, isolated_stores, settings, tmp_path):
    spool = tmp_path / "spool"
    spool.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(spool)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # Django's own handlers would spool everything
    canary = b"CANARY-0123456789-" * 200_000  # 3.6 MB
    created = upload(api, canary, name="canary-file-name.txt", passphrase="canary passphrase 42")
    assert list(spool.iterdir()) == []
    for path in isolated_stores.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for needle in (b"CANARY-0123456789", b"canary-file-name", b"canary passphrase 42"):
                assert needle not in data, (path, needle)
    assert body_of(reveal(post_json, created)) == canary


def test_rejected_upload_leaves_no_blob(api, isolated_stores):
    response = api.post("/api/files/", {"file": SimpleUploadedFile("a.txt", b"abc"), "view_count": "99"})
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"view_count"}
    assert list((isolated_stores / "blobs").iterdir()) == []


def test_file_over_the_limit_is_413_and_leaves_nothing(api, settings, isolated_stores):
    settings.MAX_FILE_BYTES = 1000
    response = api.post("/api/files/", {"file": SimpleUploadedFile("big.bin", b"x" * 5000)})
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert list((isolated_stores / "blobs").iterdir()) == []


def test_empty_file_round_trip(api, post_json):
    created = upload(api, b"", name="empty.txt")
    response = reveal(post_json, created)
    assert response["Content-Length"] == "0"
    assert body_of(response) == b""


def test_empty_passphrase_in_a_form_is_an_error_not_a_default(api):
    response = api.post("/api/files/", {"file": SimpleUploadedFile("a.txt", b"abc"), "passphrase": ""})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["passphrase"]


@pytest.mark.parametrize(
    "name",
    [
        'a"; filename="evil.exe',
        "line\r\nX-Injected: 1.txt",
        "../../../etc/passwd",
        "C:\\Windows\\system32\\cmd.exe",
        "%2e%2e%2fsecret.txt",
        "\u202egnp.exe",  # right-to-left override
        "x" * 5000 + ".txt",
        "",
    ],
)
def test_any_stored_name_gives_one_well_formed_header(name):
    from sharing.api.responses import content_disposition

    header = content_disposition(name)
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert header.startswith("attachment; filename=") and header.count(";") == 2
    assert all(ch not in header for ch in "\r\n\x00")
    assert "/" not in fallback and "\\" not in fallback and 0 < len(fallback) <= 150
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert all(ch.isalnum() or ch in "%-._~" for ch in encoded)


def test_a_field_sent_twice_in_a_form_is_refused_and_leaves_nothing(api, isolated_stores):
    # An integer sent twice is an array, which the schema does not allow: no value is picked silently.
    response = api.post(
        "/api/files/", {"file": SimpleUploadedFile("a.txt", b"abc"), "lifetime": ["300", "600"]}
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"lifetime": ["Send this field once."]}
    assert list((isolated_stores / "blobs").iterdir()) == []
    assert upload(api, lifetime="600")["kind"] == "file"  # once is fine
