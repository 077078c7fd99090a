import os

import pytest

from tests.support.databases import BackendUnavailable
from tests.support.pg_instance import PostgresInstance

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def wanted(backend: str) -> bool:
    chosen = os.environ.get("TICKETBOOTH_TEST_DATABASES", "sqlite,postgresql,mariadb")
    return backend in [b.strip() for b in chosen.split(",")]


def unavailable(reason: str):
    if IN_CI:  # CI must prove every fault test; a missing server is a failure, never a skip
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def own_postgres():
    """A private PostgreSQL server (initdb'd, not started), stopped and removed afterwards."""
    if not wanted("postgresql"):
        unavailable("PostgreSQL not in TICKETBOOTH_TEST_DATABASES")
    try:
        instance = PostgresInstance()
    except BackendUnavailable as exc:
        unavailable(f"cannot run a private PostgreSQL server: {exc}")
    try:
        yield instance.init()
    finally:
        instance.close()
