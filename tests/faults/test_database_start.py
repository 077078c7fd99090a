"""`ticketbooth migrate/serve` with a database that is not there (yet): a clear message, retries, no traceback."""

import os
import subprocess
import sys
import time

import pytest

from tests.support.servers import REPO, free_port


def run_cli(database_url: str, *args: str, wait_s: float = 2, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "TICKETBOOTH_DATABASE_URL": database_url, "TICKETBOOTH_DB_START_TIMEOUT_S": str(wait_s),
           "TICKETBOOTH_WEB_DIST": "/nonexistent"}
    return subprocess.run([sys.executable, "-m", "ticketbooth", *(args or ("migrate",))], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("url", [
    "postgresql+asyncpg://postgres@127.0.0.1:{port}/ticketbooth",
    "mysql+asyncmy://root@127.0.0.1:{port}/ticketbooth",
], ids=["postgresql", "mariadb"])
def test_unreachable_server_is_retried_with_backoff_then_reported(url):
    url = url.format(port=free_port())  # nothing listens there
    started = time.monotonic()
    result = run_cli(url, wait_s=5)
    took = time.monotonic() - started

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    retries = [line for line in result.stderr.splitlines() if "not reachable" in line and "retrying in" in line]
    assert len(retries) >= 2, result.stderr  # 0.5s, 1s, 2s, then what is left of the 5s
    assert "retrying in 0.5s" in retries[0] and "retrying in 1.0s" in retries[1]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ticketbooth: the database at ") and "still not reachable after 5s" in last, last
    assert 5 <= took < 40


def test_sqlite_file_that_cannot_be_created_is_reported_at_once(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for url in (f"sqlite+aiosqlite:///{blocker}/sub/ticketbooth.db",  # parent is a file: folder cannot be made
                "sqlite+aiosqlite:////proc/ticketbooth.db"):  # folder exists, file cannot be created (even by root)
        started = time.monotonic()
        result = run_cli(url, wait_s=30)
        assert result.returncode == 1, result
        assert "Traceback" not in result.stderr and "retrying" not in result.stderr, result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith("ticketbooth: cannot use the database at sqlite")
        assert time.monotonic() - started < 20  # no 30s of pointless retries


def test_migrate_waits_for_a_postgresql_that_starts_late(own_postgres, tmp_path):
    """The usual container start order problem: the API is up before its database."""
    env = {**os.environ, "TICKETBOOTH_DATABASE_URL": own_postgres.url(database="postgres"),
           "TICKETBOOTH_DB_START_TIMEOUT_S": "60"}
    stderr_path = tmp_path / "stderr"
    with open(stderr_path, "w") as stderr:
        cli = subprocess.Popen([sys.executable, "-m", "ticketbooth", "migrate"], env=env, cwd=REPO,
                               stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        deadline = time.monotonic() + 30
        while "not reachable" not in stderr_path.read_text() and time.monotonic() < deadline:
            assert cli.poll() is None, stderr_path.read_text()
            time.sleep(0.1)
        assert "not reachable" in stderr_path.read_text()
        own_postgres.start()
        stdout, _ = cli.communicate(timeout=60)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    log = stderr_path.read_text()
    assert cli.returncode == 0, log
    assert "Traceback" not in log
    assert "is at the newest schema" in stdout
