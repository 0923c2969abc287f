"""
The domain, the storage contract and the local backend stand without any web
framework or cloud SDK: importing them in a fresh interpreter loads none.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("django", "rest_framework", "drf_spectacular", "boto3", "botocore")


def loaded_frameworks(*modules: str) -> list[str]:
    """Import ``modules`` in a fresh interpreter; return the forbidden top-level packages it loaded."""
    script = (
        "import importlib, json, sys\n"
        f"for name in {list(modules)!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.partition('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    return [name for name in json.loads(result.stdout) if name in FORBIDDEN]


def test_the_domain_loads_no_framework_and_no_cloud_sdk():
    modules = ["sharing.domain", "sharing.domain.crypto", "sharing.domain.lifecycle"]
    assert loaded_frameworks(*modules) == []


def test_the_store_contract_and_local_backend_load_no_framework():
    assert loaded_frameworks("sharing.stores", "sharing.stores.base", "sharing.stores.local") == []


@pytest.mark.parametrize(
    ("module", "expected"),
    [("sharing.stores.handler", "django"), ("sharing.stores.aws", "botocore")],
)
def test_the_check_sees_a_framework_when_one_is_loaded(module, expected):
    assert expected in loaded_frameworks(module)
