"""The browser's implementation of the end-to-end format passes the same vectors, under Node's WebCrypto."""

import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_the_javascript_implementation_passes_the_vectors():
    node = shutil.which("node")
    assert node, "Node.js (20 or later) is needed to run the JavaScript vectors"
    result = subprocess.run(
        [
            node,
            "--experimental-detect-module",
            "--test",
            "--test-reporter=tap",
            str(HERE / "vectors.test.mjs"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
    assert "# pass 9" in result.stdout, "every JavaScript test must have run"
