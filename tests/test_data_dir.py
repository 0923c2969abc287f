"""
DATA_DIR holds salts, wrapped keys, encrypted files and the operators' sessions:
it and everything in it are private to the service's user whatever the umask,
and an empty DATA_DIR means the default, never the working folder.
"""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Everything the service writes under DATA_DIR: both databases (with their WAL
# files), a text and a file secret, the generated key, the gate's slots, the
# cache, the throttles' windows.
USE_EVERYTHING = """
import django
django.setup()
from django.core.cache import cache
from django.core.management import call_command
from sharing import services

call_command("setup_storage", verbosity=0)
call_command("migrate", verbosity=0, interactive=False)
services.secret_create_text(text="s3cret", passphrase="stretched through the gate")
upload = services.secret_upload_begin()
upload.write(b"file body")
upload.finish(name="f.txt", content_type="text/plain")
services.secret_create_file(upload=upload)
cache.set("anything", [1.0])
from django.conf import settings
from sharing.ratelimit import hit_window
hit_window("", settings.DATA_DIR).hit("client", limit=5, window=60)
services.usage_counts()
"""


def run_with_umask(code: str, umask: int, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "secrets_site.settings", **env},
        capture_output=True,
        text=True,
        preexec_fn=lambda: os.umask(umask),
    )


@pytest.mark.slow
@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_data_dir_and_everything_in_it_are_private_whatever_the_umask(tmp_path, umask):
    data_dir = tmp_path / "new" / "data"
    result = run_with_umask(USE_EVERYTHING, umask, DATA_DIR=str(data_dir))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    names = set()
    for path in data_dir.rglob("*"):
        names.add(path.relative_to(data_dir).as_posix())
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path.name} is {oct(mode)}"
    # What the walk must have seen, so that a missed step cannot pass unnoticed.
    assert {
        "secrets.sqlite3",
        "django.sqlite3",
        "django-secret-key",
        "blobs",
        "kdf-slots",
        "cache",
        "throttles.sqlite3",
    } <= names
    assert any(name.startswith("blobs/") for name in names)


def test_an_empty_data_dir_means_the_default(tmp_path):
    code = "import django; django.setup(); from django.conf import settings; print(settings.DATA_DIR)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "secrets_site.settings",
            "DATA_DIR": "",
            "DJANGO_SECRET_KEY": "x" * 50,
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == ROOT / "var"
    assert list(tmp_path.iterdir()) == []
