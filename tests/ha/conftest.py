"""The HA failover test's own fixtures: a 3-node Patroni cluster that the test brings up and tears down.

`database` is overridden here (one HA database, not the parametrized SQLite/PostgreSQL/MariaDB fixture of
tests/conftest.py), so nothing under tests/ha can run against, or be multiplied by, the other backends.
The cluster lives for this module only: it is gone before the rest of the suite runs on the shared 2 cores.
"""

import importlib.util
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.databases import TestDatabase
from ticketbooth.db.migrate import upgrade

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
LOG_DIR = REPO / "var" / "test-logs" / "ha"
RESULTS: dict = {}  # filled by the test, printed at the end of the run


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "ha: PostgreSQL HA failover through Patroni (run alone: pytest -m ha)")


def pytest_terminal_summary(terminalreporter) -> None:
    if RESULTS:
        terminalreporter.section("HA failover figures")
        terminalreporter.write_line(json.dumps(RESULTS, indent=1))


def load_hacluster():
    spec = importlib.util.spec_from_file_location("hacluster", REPO / "deploy" / "ha" / "hacluster.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _unavailable(reason: str) -> None:
    if IN_CI:  # CI must prove the failover; a cluster that cannot come up is a failure, never a skip
        pytest.fail(f"HA cluster unavailable in CI: {reason}")
    pytest.skip(f"HA cluster unavailable: {reason}")


@pytest.fixture(scope="module")
def ha_cluster() -> Iterator:
    hc = load_hacluster()
    if os.geteuid() != 0:
        _unavailable("needs root (the daemons run as the postgres user through setpriv)")
    try:
        hc.ensure_packages(install=True)
    except Exception as exc:
        _unavailable(str(exc))
    hc.sweep_orphans()  # clusters of earlier runs that were killed before their teardown
    cluster = hc.Cluster.create(owner_pid=os.getpid())
    t0 = time.monotonic()
    try:
        cluster.start(timeout=300)
        RESULTS["cluster_up_s"] = round(time.monotonic() - t0, 1)
        yield cluster
    finally:
        t1 = time.monotonic()
        cluster.down(keep_logs=LOG_DIR, fast=True)  # the data is thrown away: no checkpoints to wait for
        RESULTS["cluster_down_s"] = round(time.monotonic() - t1, 1)
        left = cluster.leftovers()
        assert not left, f"cluster processes left behind: {left}"


@pytest.fixture(scope="module")
def database(ha_cluster) -> Iterator[TestDatabase]:
    admin = sa.create_engine(ha_cluster.url("postgresql+psycopg"), isolation_level="AUTOCOMMIT",
                             poolclass=sa.NullPool, connect_args={"connect_timeout": 5})
    with admin.connect() as conn:
        conn.exec_driver_sql("CREATE DATABASE ticketbooth")
    admin.dispose()
    db = TestDatabase("postgresql-ha", ha_cluster.url(database="ticketbooth"),
                      ha_cluster.url("postgresql+psycopg", database="ticketbooth"))
    # The test's own connections must survive the failovers too: checked before use, bounded connects.
    db.engine.dispose()
    db.engine = sa.create_engine(db.sync_url, pool_pre_ping=True, pool_size=2, max_overflow=2,
                                 connect_args={"connect_timeout": 5})
    upgrade(db.async_url)
    yield db
    db.engine.dispose()
