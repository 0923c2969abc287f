"""
One way to run a child process for a test or a benchmark: start it with its
output in a log file, wait until it answers on a port that is really its own,
and stop it by PID (TERM, then KILL). A child dies with the process that
started it, so a run killed outright leaves no server behind.

    class Echo(ChildProcess):
        name = "echo"
        def command(self): return ["my-server", "--port", str(self.port)]
        def ready(self): return True   # once it listens on self.port

    with Echo(workdir) as echo:
        ...
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
GUNICORN = Path(sys.executable).with_name("gunicorn")
GUNICORN_CONF = ROOT / "secrets_site" / "gunicorn.conf.py"


def free_ports(count: int) -> list[int]:
    """Ports of 127.0.0.1 the kernel considers free now; all held open at once so none repeats."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket())
            sock.bind((HOST, 0))
            ports.append(sock.getsockname()[1])
        return ports


def free_port() -> int:
    return free_ports(1)[0]


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


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class ChildProcess:
    """
    A server in a child process. Subclasses give ``command()`` and ``ready()``
    (asked only once the process listens on ``port``), and may change
    ``env()`` and ``cwd``. ``start()`` returns once it is ready, or raises
    ``RuntimeError`` with the end of its log.
    """

    name = "process"
    stop_grace = 10  # seconds between TERM and KILL

    def __init__(self, workdir: Path, *, port: int | None = None):
        self.workdir = Path(workdir)
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    @property
    def cwd(self) -> Path:
        return ROOT

    def command(self) -> list[str]:
        raise NotImplementedError(".command() must be overridden")

    def env(self) -> dict:
        return {**os.environ, "PYTHONUNBUFFERED": "1"}

    def ready(self) -> bool:
        """Called once the process listens on ``port``: can it serve yet?"""
        raise NotImplementedError(".ready() must be overridden")

    def spawn(self) -> None:
        """Start the process without waiting for it (see ``wait_ready``)."""
        if self.process is not None:
            raise RuntimeError(f"{self.name} is already running")
        self.workdir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=self.cwd,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        # The port must be ours: another process may have taken it since it was free.
        while not (self.port in listening_ports(self.process.pid) and self.ready()):
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} was not ready within {timeout} s:\n{self.tail()}")
            time.sleep(0.1)

    def start(self, timeout: float = 60) -> ChildProcess:
        self.spawn()
        self.wait_ready(timeout)
        return self

    def stop(self) -> None:
        """TERM, then KILL if it has not gone after a grace period."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(self.stop_grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")
        return ""

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log().splitlines()[-lines:]) or "(no log)"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class Gunicorn(ChildProcess):
    """
    A WSGI app under gunicorn with the service's own settings file; ready when
    ``ready_path`` answers 200 and every worker has been forked. ``manage()``
    runs a management command against the same environment.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        app: str = "secrets_site.wsgi",
        workers: int = 2,
        env: dict | None = None,
        name: str = "gunicorn",
        ready_path: str = "/",
    ):
        super().__init__(workdir)
        self.name, self.app, self.workers, self.extra_env = name, app, workers, dict(env or {})
        self.ready_path = ready_path

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
            with urllib.request.urlopen(self.url + self.ready_path, timeout=2) as response:
                return response.status == 200 and len(self.worker_pids()) == self.workers
        except OSError:
            return False

    def manage(self, *args: str) -> str:
        """Run ``manage.py`` with the server's environment; return its output."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env(), capture_output=True, text=True
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        pid = self.process.pid
        with contextlib.suppress(OSError):
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        return []


class Redis(ChildProcess):
    """redis-server in memory only: loopback, no snapshots on disk."""

    name = "redis"

    def command(self) -> list[str]:
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

    @property
    def redis_url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def ready(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False
