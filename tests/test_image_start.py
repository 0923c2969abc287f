"""
The image's start: provisioning only when asked for (SETUP_STORAGE=True), so a
serving role without provisioning rights starts cleanly; then the operators'
database, then gunicorn in the shell's place.
"""

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
START = ROOT / "scripts" / "start-image.sh"


@pytest.fixture
def stub_commands(tmp_path):
    """``python`` and ``gunicorn`` that only write down how they were called."""
    calls = tmp_path / "calls"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("python", "gunicorn"):
        stub = bin_dir / name
        stub.write_text(f'#!/bin/sh\necho "{name} $*" >> "{calls}"\n')
        stub.chmod(0o755)

    def start(**env):
        result = subprocess.run(
            ["sh", str(START)],
            cwd=ROOT,
            env={"PATH": f"{bin_dir}:/usr/bin:/bin", **env},
            capture_output=True,
            text=True,
        )
        ran = calls.read_text().splitlines() if calls.exists() else []
        calls.unlink(missing_ok=True)
        return result, ran

    return start


def test_by_default_the_image_serves_without_provisioning(stub_commands):
    result, ran = stub_commands(PORT="8000", WORKERS="2")
    assert result.returncode == 0, result.stderr
    assert ran == [
        "python manage.py migrate --noinput -v 0",
        "gunicorn --config secrets_site/gunicorn.conf.py --bind 0.0.0.0:8000 --workers 2 secrets_site.wsgi",
    ]


def test_an_empty_setup_storage_means_the_default(stub_commands):
    result, ran = stub_commands(SETUP_STORAGE="")
    assert result.returncode == 0, result.stderr
    assert not any("setup_storage" in call for call in ran)


def test_setup_storage_true_provisions_first(stub_commands):
    result, ran = stub_commands(SETUP_STORAGE="True", PORT="9000", WORKERS="3")
    assert result.returncode == 0, result.stderr
    assert ran[0] == "python manage.py setup_storage"
    assert ran[-1].startswith("gunicorn ") and "--bind 0.0.0.0:9000 --workers 3" in ran[-1]


@pytest.mark.parametrize("value", ["true", "yes", "1"])
def test_any_other_setup_storage_value_stops_the_start(stub_commands, value):
    result, ran = stub_commands(SETUP_STORAGE=value)
    assert result.returncode == 2
    assert "SETUP_STORAGE" in result.stderr
    assert ran == []


def test_the_dockerfile_starts_with_this_script_and_does_not_provision_by_default():
    dockerfile = (ROOT / "Dockerfile").read_text()
    instructions = re.sub(r"\\\n", " ", dockerfile)
    cmd = [line for line in instructions.splitlines() if line.startswith("CMD ")]
    assert cmd == ['CMD ["sh", "scripts/start-image.sh"]']
    assert "setup_storage" not in "\n".join(
        line for line in instructions.splitlines() if not line.lstrip().startswith("#")
    )
    assert os.access(START, os.X_OK)
