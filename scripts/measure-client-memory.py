"""
Measures the command-line client's peak memory (RSS) sending and receiving
one large file through a real server, and checks the file comes back
byte-identical. A measurement, minutes long: not part of `make test`.

    .venv/bin/python scripts/measure-client-memory.py [--size-mib 1024] [--backend local|aws]
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.aws import AWSServers  # noqa: E402
from tests.support.server import GunicornServer  # noqa: E402

CHUNK = 8 * 1024 * 1024
TIME = "/usr/bin/time"  # GNU time (Debian package time)


def run_measured(args: list[str], env: dict, cwd: Path) -> tuple[int, bytes, bytes, int]:
    """
    Run the client; return its exit code, output, errors and peak RSS in KiB.
    GNU time measures it: a child's own wait4 figure would also count the
    memory of this (larger) process it was forked from before exec.
    """
    with tempfile.NamedTemporaryFile() as peak:
        result = subprocess.run(
            [TIME, "-f", "%M", "-o", peak.name, sys.executable, "-m", "pysecrets_cli", *args],
            env=env,
            cwd=cwd,
            capture_output=True,
        )
        return result.returncode, result.stdout, result.stderr, int(Path(peak.name).read_text().split()[-1])


def write_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    block = os.urandom(CHUNK)
    with open(path, "wb") as f:
        written = 0
        while written < size:
            piece = block[: size - written]
            piece = written.to_bytes(8, "big") + piece[8:] if len(piece) > 8 else piece
            f.write(piece)
            digest.update(piece)
            written += len(piece)
    return digest.hexdigest()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def measure(server_env: dict, size: int, work: Path) -> dict:
    source = work / "big.bin"
    expected = write_file(source, size)
    with GunicornServer({**server_env, "MAX_FILE_BYTES": str(size)}, workers=2) as server:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "cli"), "PYSECRETS_URL": server.url}
        code, out, err, send_rss = run_measured(["send", str(source), "--json"], env, work)
        assert code == 0, err
        created = json.loads(out)
        inbox = work / "inbox"
        inbox.mkdir()
        env["PYSECRETS_PASSPHRASE"] = created["passphrase"]
        code, out, err, get_rss = run_measured(["get", created["link"]], env, inbox)
        assert code == 0, err
    received = inbox / "big.bin"
    identical = sha256(received) == expected
    received.unlink()
    source.unlink()
    return {
        "size_bytes": size,
        "send_peak_rss_mib": send_rss / 1024,
        "get_peak_rss_mib": get_rss / 1024,
        "identical": identical,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--backend", choices=["local", "aws"], default="local")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pysecrets-memory-") as tmp:
        if args.backend == "aws":
            with AWSServers() as servers:
                result = measure(servers.env(), args.size_mib * 1024 * 1024, Path(tmp))
        else:
            result = measure({}, args.size_mib * 1024 * 1024, Path(tmp))
    print(json.dumps({"backend": args.backend, **result}))


if __name__ == "__main__":
    main()
