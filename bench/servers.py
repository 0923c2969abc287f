"""
The targets, each a child process on a free port of 127.0.0.1, stopped by PID:

- ``service``: secrets_site under gunicorn with its own settings file;
- ``minimal``: bench.minimal (one DRF view) under the same gunicorn settings;
- ``snappass``: the peer, under the same gunicorn settings, with its own
  redis-server.

Workers' memory is read from /proc: ``VmHWM`` is a process's peak resident
set, and writing ``5`` to ``/proc/<pid>/clear_refs`` resets that peak, so each
measurement sees only its own.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")
GUNICORN_CONF = ROOT / "secrets_site" / "gunicorn.conf.py"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Process:
    """A child process with its output in a log file, stopped by PID (TERM, then KILL)."""

    name = "process"

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict:
        return {**os.environ, "PYTHONUNBUFFERED": "1"}

    def ready(self) -> bool:
        raise NotImplementedError

    def start(self, timeout: float = 60) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early; see {self.log_path}:\n{self.tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} did not answer within {timeout} s:\n{self.tail()}")
            time.sleep(0.1)

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Gunicorn(Process):
    """A WSGI app under gunicorn with the service's settings file; ``app`` overrides its wsgi_app."""

    def __init__(self, name: str, workdir: Path, *, app: str, workers: int, env: dict | None = None):
        super().__init__(workdir)
        self.name, self.app, self.workers, self.extra_env = name, app, workers, env or {}

    def command(self) -> list[str]:
        return [
            str(GUNICORN),
            "--config",
            str(GUNICORN_CONF),
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(self.workers),
            self.app,
        ]

    def env(self) -> dict:
        return {**super().env(), **self.extra_env}

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/", timeout=2) as response:
                return response.status == 200 and len(self.worker_pids()) == self.workers
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        pid = self.process.pid
        with contextlib.suppress(OSError):
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        return []

    def cpu_seconds(self) -> float:
        """CPU time (user + system) all workers have used so far: unlike wall time, not inflated
        when other processes on the machine take cores away."""
        total = 0
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return total / os.sysconf("SC_CLK_TCK")

    def reset_peak_rss(self) -> None:
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")

    def peak_rss_mib(self) -> float:
        """The largest peak resident set of any worker since the last reset, in MiB."""
        peaks = [0]
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]))
        return max(peaks) / 1024


class Redis(Process):
    name = "redis"

    def command(self) -> list[str]:
        # Memory only, loopback only, no snapshots on disk.
        return [
            shutil.which("redis-server") or "redis-server",
            "--bind",
            HOST,
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.workdir),
        ]

    def ready(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


class Targets(contextlib.ExitStack):
    """Starts targets in a scratch folder and stops every one of them on exit."""

    def __init__(self):
        super().__init__()
        self.workdir = Path(tempfile.mkdtemp(prefix="pysecrets-bench-"))

    def __exit__(self, *exc_info):
        stopped = super().__exit__(*exc_info)
        if exc_info[0] is None:
            shutil.rmtree(self.workdir, ignore_errors=True)
        else:  # the servers' logs say what went wrong
            print(f"bench: failed; servers' logs kept in {self.workdir}", file=sys.stderr)
        return stopped

    def _started(self, process: Process) -> Process:
        self.callback(process.stop)
        process.start()
        return process

    def service(
        self, *, workers: int, scrypt_n: int, name: str = "service", env: dict | None = None
    ) -> Gunicorn:
        data_dir = self.workdir / name
        data_dir.mkdir()
        settings = {
            "DATA_DIR": str(data_dir),
            "SCRYPT_N": str(scrypt_n),
            "DJANGO_SETTINGS_MODULE": "secrets_site.settings",
            # All load comes from one address: per-client limits stay on the path (their cache
            # round trip is real work) but at a rate this benchmark cannot reach.
            "THROTTLE_CREATE": "100000/second",
            "THROTTLE_REVEAL": "100000/second",
            **(env or {}),
        }
        manage = [sys.executable, "manage.py"]
        for args in (["setup_storage"], ["migrate", "--noinput", "-v", "0"]):
            subprocess.run(manage + args, cwd=ROOT, env={**os.environ, **settings}, check=True)
        server = Gunicorn(name, self.workdir, app="secrets_site.wsgi", workers=workers, env=settings)
        return self._started(server)

    def aws_env(self) -> dict:
        """Start DynamoDB Local and SeaweedFS's S3 (as the test suite does); return the service's settings."""
        from tests.support.aws_servers import AWSServers  # the suite's own launcher, loopback only

        servers = AWSServers().start()
        self.callback(servers.stop)
        return servers.env(table="SecretsBench", bucket="pysecrets-bench")

    def minimal(self, *, workers: int) -> Gunicorn:
        settings = {"DJANGO_SETTINGS_MODULE": "bench.minimal.settings"}
        return self._started(
            Gunicorn("minimal", self.workdir, app="bench.minimal.wsgi", workers=workers, env=settings)
        )

    def snappass(self, *, workers: int) -> Gunicorn:
        redis = self._started(Redis(self.workdir))
        env = {
            "REDIS_URL": f"redis://{HOST}:{redis.port}/0",
            "NO_SSL": "True",
            # The shared gunicorn settings log through our redacting logger, which reads Django settings.
            "DJANGO_SETTINGS_MODULE": "bench.minimal.settings",
        }
        return self._started(
            Gunicorn("snappass", self.workdir, app="snappass.main:app", workers=workers, env=env)
        )
