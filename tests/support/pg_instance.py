"""A private PostgreSQL server for tests that stop and restart it (never the shared one on port 5432).

initdb into a temp folder owned by the `postgres` user, its own port and unix socket folder, pg_ctl for
start/stop/restart. Used as a context manager: the server is stopped and its folder removed on exit.
"""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from tests.support.databases import BackendUnavailable
from tests.support.servers import free_port

PG_BIN = Path(os.environ.get("TICKETBOOTH_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))


class PostgresInstance:
    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            raise BackendUnavailable(f"no PostgreSQL server binaries in {PG_BIN} (TICKETBOOTH_TEST_PG_BIN)")
        self._as_postgres: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root: drop to the postgres user
            if shutil.which("setpriv") is None:
                raise BackendUnavailable("running as root without setpriv to become the postgres user")
            self._as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="tb-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sock"
        self.log = self.root / "postgres.log"
        self.sockets.mkdir()
        if self._as_postgres:
            for path in (self.root, self.sockets):
                shutil.chown(path, "postgres", "postgres")
        self.started = False

    def url(self, driver: str = "postgresql+asyncpg", database: str = "ticketbooth") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        result = subprocess.run([*self._as_postgres, *args], capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n"
                               f"{self.log.read_text() if self.log.exists() else ''}")

    def _pg_ctl(self, *args: str, timeout: float = 60) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), *args, timeout=timeout)

    def init(self) -> "PostgresInstance":
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync", "--no-instructions", timeout=120)
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.sockets}'\n"
                # A crash of the server process (what these tests cause) keeps everything the OS was handed;
                # fsync only protects against a crash of the whole machine, which no test causes.
                "fsync = off\nfull_page_writes = off\nshared_buffers = 32MB\nmax_connections = 100\n"
            )
        return self

    def start(self) -> "PostgresInstance":
        self._pg_ctl("-w", "-t", "60", "start")
        self.started = True
        return self

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-w", "-t", "60", "-m", mode, "stop")
        self.started = False

    def restart(self, mode: str = "fast") -> None:
        self._pg_ctl("-w", "-t", "60", "-m", mode, "restart")
        self.started = True

    def create_database(self, name: str = "ticketbooth") -> None:
        admin = sa.create_engine(self.url("postgresql+psycopg", "postgres"), isolation_level="AUTOCOMMIT",
                                 poolclass=sa.NullPool)
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        finally:
            admin.dispose()

    def close(self) -> None:
        try:
            if self.started or (self.data / "postmaster.pid").exists():
                self._pg_ctl("-w", "-t", "30", "-m", "immediate", "stop")
        except Exception:
            pass
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "PostgresInstance":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def wait_until(predicate, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
