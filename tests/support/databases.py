"""Real databases for the tests: each test session creates its own and drops it at the end."""

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from ticketbooth.db.migrate import upgrade

ALL_BACKENDS = ("sqlite", "postgresql", "mariadb")
PG_ADMIN_URL = os.environ.get("TICKETBOOTH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MARIADB_ADMIN_URL = os.environ.get("TICKETBOOTH_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/mysql")


class BackendUnavailable(Exception):
    pass


@dataclass
class TestDatabase:
    backend: str
    async_url: str  # what the server uses
    sync_url: str  # what the tests use to arrange data and check invariants
    engine: Engine = field(init=False)
    _drop: object = None

    def __post_init__(self) -> None:
        self.engine = sa.create_engine(self.sync_url, pool_size=5, max_overflow=10)

    def close(self) -> None:
        self.engine.dispose()
        if callable(self._drop):
            self._drop()


def create_database(backend: str, tmp_dir: Path, revision: str = "head") -> TestDatabase:
    name = f"tb_test_{secrets.token_hex(4)}"
    if backend == "sqlite":
        path = tmp_dir / f"{name}.db"
        db = TestDatabase(backend, f"sqlite+aiosqlite:///{path}", f"sqlite:///{path}")
    elif backend == "postgresql":
        db = _server_database(PG_ADMIN_URL, name, backend, "postgresql+asyncpg", "postgresql+psycopg",
                              create=f'CREATE DATABASE "{name}"', drop=f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    elif backend == "mariadb":
        db = _server_database(MARIADB_ADMIN_URL, name, backend, "mysql+asyncmy", "mysql+pymysql",
                              create=f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4",
                              drop=f"DROP DATABASE IF EXISTS `{name}`")
    else:
        raise ValueError(backend)
    upgrade(db.async_url, revision)
    return db


def _server_database(admin_url: str, name: str, backend: str, async_driver: str, sync_driver: str,
                     *, create: str, drop: str) -> TestDatabase:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(create)
    except sa.exc.OperationalError as exc:
        admin.dispose()
        raise BackendUnavailable(f"{backend} at {make_url(admin_url).render_as_string()}: {exc.orig}") from exc
    base = make_url(admin_url).set(database=name)

    def _drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(drop)
        admin.dispose()

    db = TestDatabase(
        backend,
        base.set(drivername=async_driver).render_as_string(hide_password=False),
        base.set(drivername=sync_driver).render_as_string(hide_password=False),
    )
    db._drop = _drop
    return db
