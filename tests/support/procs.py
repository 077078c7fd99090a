"""Helpers for tests that start their own server processes: a context manager and `ticketbooth serve` itself."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.support.databases import TestDatabase, create_database
from tests.support.servers import GENEROUS_RATE_LIMITS, REPO, ServerProcess, free_port


@contextmanager
def running(database_url: str, env: dict | None = None) -> Iterator[ServerProcess]:
    server = ServerProcess(database_url, env=env).wait_ready()
    try:
        yield server
    finally:
        server.stop()


class ServeCommand(ServerProcess):
    """`ticketbooth serve` as a person runs it (migrations, settings, uvicorn options), on a free port."""

    def __init__(self, database_url: str, *, env: dict | None = None, args: tuple[str, ...] = ()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = REPO / "var" / "test-logs" / f"serve-{self.port}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        full_env = {**GENEROUS_RATE_LIMITS, **os.environ, "TICKETBOOTH_DATABASE_URL": database_url,
                    "TICKETBOOTH_WEB_DIST": "/nonexistent", **(env or {})}
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ticketbooth", "serve", "--no-seed", "--port", str(self.port), *args],
            env=full_env, cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT,
        )


@contextmanager
def serving(database_url: str, env: dict | None = None, args: tuple[str, ...] = ()) -> Iterator[ServerProcess]:
    server = ServeCommand(database_url, env=env, args=args).wait_ready(timeout=60)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory) -> Iterator[TestDatabase]:
    """A SQLite database of the module's own, for tests of the HTTP layer that do not depend on the backend."""
    db = create_database("sqlite", tmp_path_factory.mktemp("http-layer-db"))
    yield db
    db.close()
