import os
from collections.abc import Iterator

import httpx
import pytest

from tests.support.databases import ALL_BACKENDS, BackendUnavailable, TestDatabase, create_database
from tests.support.factories import Factory
from tests.support.servers import ServerProcess

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _backends() -> list[str]:
    chosen = os.environ.get("TICKETBOOTH_TEST_DATABASES", ",".join(ALL_BACKENDS))
    return [b.strip() for b in chosen.split(",") if b.strip()]


@pytest.fixture(scope="session", params=_backends())
def database(request, tmp_path_factory) -> Iterator[TestDatabase]:
    try:
        db = create_database(request.param, tmp_path_factory.mktemp("db"))
    except BackendUnavailable as exc:
        if IN_CI:  # CI must prove all three databases; a missing one is a failure, never a skip
            pytest.fail(f"database backend unavailable in CI: {exc}")
        pytest.skip(f"database backend unavailable: {exc}")
    yield db
    db.close()


@pytest.fixture(scope="session")
def server(database: TestDatabase) -> Iterator[ServerProcess]:
    proc = ServerProcess(database.async_url).wait_ready()
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def second_server(database: TestDatabase) -> Iterator[ServerProcess]:
    """Another process on the same database: correctness must not depend on process memory."""
    proc = ServerProcess(database.async_url).wait_ready()
    yield proc
    proc.stop()


@pytest.fixture
def api(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture
def factory(database: TestDatabase) -> Factory:
    return Factory(database)
