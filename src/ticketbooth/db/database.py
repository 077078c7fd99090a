"""The data-access entry point: one engine per process, explicit transactions, transient-error retry."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from ticketbooth.config import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

# Errors after which re-running the whole transaction is safe and may succeed.
_DEADLOCK_CODES = {
    "40001",  # PostgreSQL serialization_failure
    "40P01",  # PostgreSQL deadlock_detected
}
_MYSQL_RETRY_ERRNOS = {1213, 1205}  # deadlock found / lock wait timeout
_MAX_ATTEMPTS = 5
_READ_ONLY = "ticketbooth_read_only"


def is_retryable(exc: DBAPIError) -> bool:
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _DEADLOCK_CODES or getattr(orig, "pgcode", None) in _DEADLOCK_CODES:
        return True
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int) and args[0] in _MYSQL_RETRY_ERRNOS:
        return True
    return "database is locked" in str(orig)


# Connection loss, a primary that restarts or turned read-only, too many clients: retry later (503).
_UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "57P", "53", "25006")
_MYSQL_UNAVAILABLE_ERRNOS = {1040, 1053, 1290, 1836, 2002, 2003, 2006, 2013, 2055}


def is_unavailable(exc: DBAPIError) -> bool:
    if exc.connection_invalidated or isinstance(exc, (OperationalError, InterfaceError)):
        return True
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or ""
    if sqlstate.startswith(_UNAVAILABLE_SQLSTATE_PREFIXES):
        return True
    args = getattr(orig, "args", ())
    return bool(args) and isinstance(args[0], int) and args[0] in _MYSQL_UNAVAILABLE_ERRNOS


def is_unique_violation(exc: DBAPIError, constraint: str) -> bool:
    """True when the failed statement broke the named unique constraint (every dialect names it)."""
    text = str(exc.orig)
    return constraint in text or (
        # SQLite reports the columns instead of the constraint name.
        "UNIQUE constraint failed" in text and _SQLITE_UNIQUE_COLUMNS.get(constraint, "\0") in text
    )


_SQLITE_UNIQUE_COLUMNS = {
    "uniq_ticket_eventdate_seat": "ticket.event_date_id, ticket.seat_id",
    "uq_order_user_id_idempotency_key": "order.user_id, order.idempotency_key",
    "uq_user_email": "user.email",
    "uq_user_username": "user.username",
}


class Database:
    def __init__(self, settings: Settings):
        url = make_url(settings.database_url)
        self.dialect = url.get_backend_name()
        kwargs: dict = {"pool_pre_ping": True}
        if self.dialect == "sqlite":
            ensure_sqlite_folder(settings.database_url)
            kwargs["connect_args"] = {"timeout": settings.sqlite_busy_timeout_ms / 1000}
        else:
            kwargs.update(pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow, pool_recycle=1800)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine, settings.sqlite_busy_timeout_ms)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only snapshot; on SQLite it does not queue behind writers."""
        async with self.engine.connect() as conn:
            yield await conn.execution_options(**{_READ_ONLY: True})

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One all-or-nothing unit: committed when the block ends, rolled back on any exception."""
        async with self.engine.begin() as conn:
            yield conn

    async def run_transaction(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run `work` in one transaction, re-running it from scratch after a deadlock or lock timeout."""
        for attempt in range(1, _MAX_ATTEMPTS + 1):
            try:
                async with self.transaction() as conn:
                    return await work(conn)
            except DBAPIError as exc:
                if attempt == _MAX_ATTEMPTS or not is_retryable(exc):
                    raise
                log.info("retrying transaction after transient error (attempt %d): %s", attempt, exc.orig)
                await asyncio.sleep(0.005 * attempt)
        raise AssertionError("unreachable")

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def ensure_sqlite_folder(database_url: str) -> None:
    """The default database lives in ./var/, which a fresh checkout does not have yet."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    """WAL for concurrent readers, FULL sync so a 201 means the order is on disk, and BEGIN IMMEDIATE so
    writers queue on the busy timeout instead of failing when a read transaction tries to upgrade."""
    sync_engine = engine.sync_engine

    @sa_event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN itself
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa_event.listens_for(sync_engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(_READ_ONLY) else "BEGIN IMMEDIATE")
