"""Watching the blob store for uploads: what is stored, and (fixture `begun`) every upload begun."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sharing import uploads


@pytest.fixture
def begun(monkeypatch):
    """Every upload begun: a blob opened for writing, even one deleted again at the request's end."""
    calls = []
    real = uploads.secret_upload_begin

    def counting():
        calls.append(1)
        return real()

    monkeypatch.setattr(uploads, "secret_upload_begin", counting)
    return calls


def stored(data_dir) -> list[str]:
    blobs = data_dir / "blobs"
    return sorted(p.name for p in blobs.iterdir()) if blobs.exists() else []


def a_file() -> SimpleUploadedFile:
    return SimpleUploadedFile("planted.bin", b"\x00planted" * 1000, content_type="application/octet-stream")
