"""A file in a multipart POST to the admin's login is read and dropped: never sealed, never stored."""

from django.test import Client

from tests.support.uploads import a_file, stored


def test_a_file_posted_to_the_admin_login_is_dropped(db, isolated_stores, begun):
    client = Client()
    client.cookies["csrftoken"] = "a" * 32
    client.post("/admin/login/", {"username": "u", "password": "p", "file": a_file()})
    assert stored(isolated_stores) == []
    assert begun == []
