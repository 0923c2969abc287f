"""
The servers a fleet of machines shares beside the AWS stores: Redis (throttle
windows) and PostgreSQL (operators' accounts and sessions), both Debian's
packages (``scripts/install-shared-servers.sh``), run by the one launcher in
``harness.processes`` on free ports of 127.0.0.1 only, in temporary folders.

PostgreSQL refuses to run as root, and the suite may run as root: the cluster
is then made and run by the unprivileged ``postgres`` user the package creates,
through ``setpriv``, which execs rather than forks, so the server stays our
child and dies with us.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness.processes import HOST, ChildProcess, Redis

PG_USER = "pysecrets"
PG_PASSWORD = "pysecrets-test-password"
PG_DATABASE = "postgres"


def _postgres_bin() -> Path:
    """The newest installed PostgreSQL's programs (Debian keeps them outside PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parts[4]))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run sh scripts/install-shared-servers.sh")
    return Path(found[-1]).parent


class RedisServer(Redis):
    def command(self) -> list[str]:
        if not shutil.which("redis-server"):
            raise RuntimeError("redis-server is not installed: run sh scripts/install-shared-servers.sh")
        return [*super().command(), "--protected-mode", "yes"]

    def flush(self) -> None:
        import redis

        with redis.Redis.from_url(self.redis_url) as client:
            client.flushall()


class PostgresServer(ChildProcess):
    """A throw-away cluster: no fsync, password logins for one user, loopback only."""

    name = "postgres"
    stop_grace = 5

    def __init__(self, workdir: Path, port: int | None = None):
        super().__init__(workdir, port=port)
        self.data_dir = self.workdir / "pgdata"
        self.bin = _postgres_bin()
        self._as_user: list[str] = []
        self._owner: tuple[int, int] | None = None
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            self._owner = (account.pw_uid, account.pw_gid)
            self._as_user = [
                "setpriv",
                f"--reuid={account.pw_uid}",
                f"--regid={account.pw_gid}",
                "--init-groups",
            ]

    @property
    def cwd(self) -> Path:
        return self.workdir

    def database_url(self, database: str = PG_DATABASE) -> str:
        return f"postgres://{PG_USER}:{PG_PASSWORD}@{HOST}:{self.port}/{database}"

    def spawn(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self._owner:
            os.chown(self.workdir, *self._owner)
        if not self.data_dir.exists():
            self._initdb()
        super().spawn()

    def _initdb(self) -> None:
        password_file = self.workdir / "password"
        password_file.write_text(PG_PASSWORD + "\n")
        if self._owner:
            os.chown(password_file, *self._owner)
        try:
            subprocess.run(
                [
                    *self._as_user,
                    str(self.bin / "initdb"),
                    f"--pgdata={self.data_dir}",
                    f"--username={PG_USER}",
                    f"--pwfile={password_file}",
                    "--auth=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                ],
                cwd=self.workdir,
                capture_output=True,
                check=True,
            )
        finally:
            password_file.unlink()

    def command(self) -> list[str]:
        return [
            *self._as_user,
            str(self.bin / "postgres"),
            "-D",
            str(self.data_dir),
            "-h",
            HOST,
            "-p",
            str(self.port),
            "-k",
            str(self.workdir),  # the Unix socket stays in our folder
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
        ]

    def ready(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.database_url(), connect_timeout=2):
                return True
        except psycopg.Error:
            return False

    def create_database(self, name: str) -> str:
        """A new, empty database; returns its URL."""
        import psycopg

        with psycopg.connect(self.database_url(), autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        return self.database_url(name)


class SharedServers:
    """Redis and PostgreSQL in one temporary folder, started side by side."""

    def __init__(self):
        self.workdir = Path(tempfile.mkdtemp(prefix="pysecrets-shared-"))
        # The postgres user must pass through to the folder it owns inside; no listing.
        os.chmod(self.workdir, 0o711)  # noqa: S103
        self.redis = RedisServer(self.workdir / "redis")
        self.postgres = PostgresServer(self.workdir / "postgres")

    def start(self, attempts: int = 3) -> SharedServers:
        for attempt in range(1, attempts + 1):
            try:
                for server in (self.redis, self.postgres):
                    server.spawn()
                for server in (self.redis, self.postgres):
                    server.wait_ready()
                return self
            except RuntimeError:
                self.redis.stop()
                self.postgres.stop()
                if attempt == attempts:
                    self.stop()
                    raise
                # Most likely a port picked as free was taken meanwhile: pick again.
                self.redis = RedisServer(self.workdir / "redis")
                self.postgres = PostgresServer(self.workdir / "postgres")
            except BaseException:
                self.stop()
                raise

    def stop(self) -> None:
        self.redis.stop()
        self.postgres.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> SharedServers:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
