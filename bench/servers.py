"""
The targets, each a child process on a free port of 127.0.0.1, stopped by PID
(started the way the test suite starts them, by ``harness``):

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
import sys
import tempfile
from pathlib import Path

from harness import processes
from harness.aws import AWSServers
from harness.processes import ROOT, Redis

__all__ = ["ROOT", "Gunicorn", "Targets"]


class Gunicorn(processes.Gunicorn):
    """A target under gunicorn whose workers' CPU time and peak memory can be read."""

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

    def _started(self, process: processes.ChildProcess) -> processes.ChildProcess:
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
        server = Gunicorn(self.workdir, name=name, app="secrets_site.wsgi", workers=workers, env=settings)
        server.manage("setup_storage")
        server.manage("migrate", "--noinput", "-v", "0")
        return self._started(server)

    def aws_env(self) -> dict:
        """Start DynamoDB Local and SeaweedFS's S3 (as the test suite does); return the service's settings."""
        servers = AWSServers().start()
        self.callback(servers.stop)
        return servers.env(table="SecretsBench", bucket="pysecrets-bench")

    def minimal(self, *, workers: int) -> Gunicorn:
        settings = {
            "DJANGO_SETTINGS_MODULE": "bench.minimal.settings",
            "DATA_DIR": str(self.workdir / "minimal"),
        }
        return self._started(
            Gunicorn(self.workdir, name="minimal", app="bench.minimal.wsgi", workers=workers, env=settings)
        )

    def snappass(self, *, workers: int) -> Gunicorn:
        redis = self._started(Redis(self.workdir))
        env = {
            "REDIS_URL": redis.redis_url,
            "NO_SSL": "True",
            # The shared gunicorn settings log through our redacting logger, which reads Django settings.
            "DJANGO_SETTINGS_MODULE": "bench.minimal.settings",
            "DATA_DIR": str(self.workdir / "snappass"),
        }
        return self._started(
            Gunicorn(self.workdir, name="snappass", app="snappass.main:app", workers=workers, env=env)
        )
