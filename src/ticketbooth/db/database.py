"""The data-access entry point: one engine per process, explicit transactions, transient-error retry."""

import asyncio
import fcntl
import logging
import os
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
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
_MYSQL_DEADLOCK = 1213
_MYSQL_LOCK_WAIT_TIMEOUT = 1205
_MYSQL_RETRY_ERRNOS = {_MYSQL_DEADLOCK, _MYSQL_LOCK_WAIT_TIMEOUT}
_MAX_ATTEMPTS = 10
# A lock waited for past its timeout (MariaDB's lock wait timeout, SQLite's busy timeout) is likely held by
# something stuck (a COMMIT waiting for its standby, a CLI writer): one more try, then 503, rather than ten waits.
_MAX_ATTEMPTS_AFTER_LOCK_TIMEOUT = 2
_READ_ONLY = "ticketbooth_read_only"
_AUTOCOMMIT_READS = "ticketbooth_autocommit_reads"


def is_retryable(exc: DBAPIError) -> bool:
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _DEADLOCK_CODES or getattr(orig, "pgcode", None) in _DEADLOCK_CODES:
        return True
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int) and args[0] in _MYSQL_RETRY_ERRNOS:
        return True
    return _sqlite_locked(exc)


def _lock_wait_timed_out(exc: DBAPIError) -> bool:
    args = getattr(exc.orig, "args", ())
    return (bool(args) and args[0] == _MYSQL_LOCK_WAIT_TIMEOUT) or _sqlite_locked(exc)


def _sqlite_locked(exc: DBAPIError) -> bool:
    return "database is locked" in str(exc.orig)


# Connection loss, a primary that restarts or turned read-only, too many clients, a lock wait that hit
# lock_timeout (55P03: typically a row held by a COMMIT still waiting for the sync standby): retry later (503).
_UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "57P", "53", "25006", "55P03")
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


class CommitOutcomeUnknown(Exception):
    """The connection failed while COMMIT was in flight: the transaction may or may not have committed.

    Never answered as success nor as a conflict: the caller gets a 503, and only a retry that carries the same
    Idempotency-Key can learn the outcome safely (it finds the order, or books it now). Deliberately not a
    DBAPIError, so no handler mistakes it for an ordinary database error and nothing re-runs the transaction.
    """


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


async def _rerun_after_transient_errors(once: Callable[[], Awaitable[T]]) -> T:
    """Re-run a transaction the server rolled back as a deadlock victim or after a lock timeout. The pause is
    random, so that transactions that deadlocked each other do not meet again in the same order."""
    for attempt in range(1, _MAX_ATTEMPTS + 1):
        try:
            return await once()
        except DBAPIError as exc:
            last = _MAX_ATTEMPTS_AFTER_LOCK_TIMEOUT if _lock_wait_timed_out(exc) else _MAX_ATTEMPTS
            if attempt >= last or not is_retryable(exc):
                raise
            log.info("retrying transaction after transient error (attempt %d): %s", attempt, exc.orig)
            await asyncio.sleep(random.uniform(0, 0.01 * attempt))
    raise AssertionError("unreachable")


class Database:
    def __init__(self, settings: Settings):
        url = make_url(settings.database_url)
        self.dialect = url.get_backend_name()
        self.engine: AsyncEngine = _create_engine(settings, settings.database_url)
        # What per-process copies of a database's data are keyed by (rendering the URL per request cost 1-2 % of
        # a worker in a booking rush).
        self.cache_key = str(self.engine.url)
        self._answered_at = float("-inf")
        self._sqlite_writer: asyncio.Lock | None = None
        self._writer_file: _WriterFileLock | None = None
        self._inline_reads: sa.Engine | None = None
        self._inline_writes: sa.Engine | None = None
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine.sync_engine, settings.sqlite_busy_timeout_ms)
            self._sqlite_writer = asyncio.Lock()
            self._writer_file = _WriterFileLock(f"{url.database}-writer.lock") if _is_file(url) else None
            self._inline_reads = _inline_sqlite_engine(settings, url)
            if self._writer_file is not None:
                self._inline_writes = _inline_sqlite_writer(url)
        # Catalog pages may be served by a replica (slightly stale is fine for browsing); None: the primary.
        self.catalog_engine: AsyncEngine | None = (
            _create_engine(settings, settings.database_replica_url) if settings.database_replica_url else None
        )
        # asyncpg only: a transaction still running after this long loses its connection (see _connect).
        self._abandon_after_s = settings.db_transaction_timeout_s if url.get_driver_name() == "asyncpg" else None

    @asynccontextmanager
    async def _connect(self, engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
        """A pooled connection whose use is bounded in time without ever cancelling a statement.

        asyncpg's command_timeout (and cancelling the awaiting task) sends a CancelRequest, and a COMMIT that
        is cancelled while it waits for the synchronous standby reports success with a WARNING: committed on
        the primary only, lost if the primary dies next. So there is no command_timeout and no
        statement_timeout; past the deadline the socket is closed instead: the statement fails on our side
        as a lost connection (a COMMIT in flight becomes CommitOutcomeUnknown, a 503), while the server's
        backend keeps waiting for its standby and ends cleanly either way.
        """
        async with engine.connect() as conn:
            if self._abandon_after_s is None:
                yield conn
            else:
                driver_conn = (await conn.get_raw_connection()).driver_connection
                timer = asyncio.get_running_loop().call_later(self._abandon_after_s, _abandon, driver_conn)
                try:
                    yield conn
                finally:
                    timer.cancel()
        self._answered_at = time.monotonic()  # reached only when everything in the block succeeded

    def answered_within(self, seconds: float) -> bool:
        """Whether some use of the database succeeded in the last `seconds` (a health check needs no ping then)."""
        return time.monotonic() - self._answered_at < seconds

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only snapshot of the primary; on SQLite it does not queue behind writers. Everything that
        decides a sale (availability, pricing, idempotency replays) reads here, never from a replica."""
        async with self._connect(self.engine) as conn:
            yield await conn.execution_options(**{_READ_ONLY: True})

    @asynccontextmanager
    async def lookup(self, *, catalog: bool = False) -> AsyncIterator[AsyncConnection]:
        """For reads of one indexed statement, which need no snapshot: on PostgreSQL they run without the
        BEGIN and ROLLBACK round trips around them (autocommit). MySQL drivers start no transaction for a
        read anyway, and switching autocommit there would cost more round trips than it saves. On SQLite they
        run right here in the event loop's thread: a WAL read never waits for a writer and takes microseconds,
        less than the thread hops of aiosqlite (several per statement) cost. `catalog`: browsing only, may be
        served by the replica (see catalog_read)."""
        if self._inline_reads is not None:
            with self._inline_reads.connect() as conn:
                yield InlineConnection(conn)  # type: ignore[misc]
            self._answered_at = time.monotonic()
            return
        async with self._connect(self.catalog_engine if catalog and self.catalog_engine else self.engine) as conn:
            if self.dialect == "mysql":
                yield await conn.execution_options(**{_READ_ONLY: True})
            else:
                yield await conn.execution_options(isolation_level="AUTOCOMMIT", **{_READ_ONLY: True})

    @asynccontextmanager
    async def catalog_read(self) -> AsyncIterator[AsyncConnection]:
        """Browsing reads (event list, event page): from the replica when one is configured. A replica may
        lag behind the primary by a moment, so nothing that decides or confirms a sale may read here."""
        async with self._connect(self.catalog_engine or self.engine) as conn:
            yield await conn.execution_options(**{_READ_ONLY: True})

    @asynccontextmanager
    async def _one_writer(self) -> AsyncIterator[None]:
        """SQLite has one writer at a time: transactions queue here instead of polling SQLite's own lock with
        its busy handler, which sleeps up to 100 ms between tries while the lock is often free again within a
        millisecond. Those of this process queue on an asyncio lock, then take a lock file that other server
        processes on the same database take too, and that the kernel hands on the moment it is let go."""
        if self._sqlite_writer is None:
            yield
            return
        async with self._sqlite_writer:
            if self._writer_file is None:
                yield
                return
            await self._writer_file.acquire()
            try:
                yield
            finally:
                self._writer_file.release()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One all-or-nothing unit: committed when the block ends, rolled back on any exception.

        A failure while the COMMIT itself is in flight has an unknown outcome unless the server answered
        with a definite rollback (deadlock, serialization failure, constraint): CommitOutcomeUnknown.
        """
        committing = False
        try:
            async with self._one_writer(), self._begin() as conn:
                yield conn
                committing = True  # the body is done: what fails from here on is the COMMIT
        except Exception as exc:
            if not committing:
                raise
            if isinstance(exc, DBAPIError) and (is_retryable(exc) or not is_unavailable(exc)):
                raise  # the server answered the COMMIT with an error: the transaction was rolled back
            log.warning("connection lost during COMMIT, outcome unknown: %r", exc)
            raise CommitOutcomeUnknown("The connection was lost while committing.") from exc

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[AsyncConnection]:
        """On SQLite, with the writer's lock file held, the transaction runs right here in the event loop's
        thread: its statements and its COMMIT (an fsync) take far less time than the two thread hops per
        statement of aiosqlite, and hops are what kept the one writer busy. The lock file makes sure BEGIN
        IMMEDIATE does not wait for another of our processes. A writer outside the server (a CLI command, a
        test) can still hold SQLite's lock: the inline BEGIN does not wait for it (that would stop the event
        loop), the transaction goes through aiosqlite instead, which waits in its thread."""
        if self._inline_writes is not None:
            conn = self._inline_writes.connect()
            try:
                transaction = conn.begin()
            except OperationalError as exc:
                conn.close()
                if not _sqlite_locked(exc):
                    raise
            else:
                with conn, transaction:
                    yield InlineConnection(conn)  # type: ignore[misc]
                self._answered_at = time.monotonic()
                return
        async with self._connect(self.engine) as conn, conn.begin():
            yield conn

    async def run_transaction(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run `work` in one transaction, re-running it from scratch after a deadlock or lock timeout.

        Only errors after which the server has rolled the transaction back are re-run. A lost connection is
        not: before COMMIT the client retries later (503), and a COMMIT with an unknown outcome
        (CommitOutcomeUnknown) is never re-run here, since re-running could book twice; the client retries
        with its Idempotency-Key, and the order's unique key turns the retry into a replay if it committed.
        """
        async def once() -> T:
            async with self.transaction() as conn:
                return await work(conn)

        return await _rerun_after_transient_errors(once)

    async def run_statement(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """PostgreSQL: run `work`, which executes one statement, as its own transaction (autocommit): no BEGIN
        and COMMIT round trips. Re-run after a deadlock like run_transaction. The statement is its COMMIT: when
        the connection is lost while it runs, the outcome is unknown (CommitOutcomeUnknown)."""

        async def once() -> T:
            async with self._connect(self.engine) as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                try:
                    return await work(conn)
                except DBAPIError as exc:
                    if is_retryable(exc) or not is_unavailable(exc):
                        raise  # the server answered: the statement was rolled back
                    log.warning("connection lost during a one-statement transaction, outcome unknown: %r", exc)
                    raise CommitOutcomeUnknown("The connection was lost while committing.") from exc

        return await _rerun_after_transient_errors(once)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._inline_writes is not None:
            self._inline_writes.dispose()
        if self._writer_file is not None:
            self._writer_file.close()
        if self._inline_reads is not None:
            self._inline_reads.dispose()
        if self.catalog_engine is not None:
            await self.catalog_engine.dispose()


def _create_engine(settings: Settings, database_url: str) -> AsyncEngine:
    url = make_url(database_url)
    kwargs: dict = {"pool_pre_ping": settings.db_pool_pre_ping}
    if url.get_backend_name() == "sqlite":
        ensure_sqlite_folder(database_url)
        kwargs["connect_args"] = {"timeout": settings.sqlite_busy_timeout_ms / 1000}
    else:
        kwargs.update(pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow, pool_recycle=1800,
                      pool_timeout=settings.db_pool_timeout_s)
    if url.get_driver_name() == "asyncpg":
        # Bounded connects (a failover makes them fail fast or hang, never succeed late), and bounded lock
        # waits: lock_timeout only ever interrupts a lock wait, never a COMMIT's wait for the standby.
        # Deliberately no command_timeout: asyncpg would apply it to COMMIT too, as a cancel (see _connect).
        kwargs["connect_args"] = {
            "timeout": settings.db_connect_timeout_s,
            "server_settings": {"lock_timeout": str(settings.db_lock_timeout_ms)},
        }
    if url.get_backend_name() == "mysql":
        # The same bound on lock waits as PostgreSQL's lock_timeout (InnoDB's default is 50 s), so no
        # transaction lives long past its first write: the availability cache relies on that.
        wait_s = max(1, round(settings.db_lock_timeout_ms / 1000))
        kwargs["connect_args"] = {"init_command": f"SET SESSION innodb_lock_wait_timeout = {wait_s}"}
        # PostgreSQL's default, which the booking SQL is written for. Under InnoDB's REPEATABLE READ a DELETE or
        # UPDATE keeps locks on every index record it scans, and gap locks besides: freeing the expired holds of
        # wanted seats locked the sold seats next to them too, and overlapping seat orders deadlocked each
        # other past the retries (503s in the seat race tests).
        kwargs["isolation_level"] = "READ COMMITTED"
    engine = create_async_engine(url, **kwargs)
    if url.get_backend_name() == "postgresql":
        _drop_connections_to_a_lost_primary(engine)
    return engine


# The server is shutting down or starting up, or it is (now) a read-only standby: this connection will never
# write again even if its socket is still open. Treated as a disconnect, SQLAlchemy discards it and every
# other pooled connection opened before it, so the next checkout connects afresh (through HAProxy, to the
# new primary) instead of handing out connections to the old one.
_LOST_PRIMARY_SQLSTATES = {"25006", "57P01", "57P02", "57P03"}


def _drop_connections_to_a_lost_primary(engine: AsyncEngine) -> None:
    @sa_event.listens_for(engine.sync_engine, "handle_error")
    def _on_error(context) -> None:
        orig = context.original_exception
        if (getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)) in _LOST_PRIMARY_SQLSTATES:
            context.is_disconnect = True


def _abandon(driver_connection) -> None:
    log.warning("a transaction outlived its deadline: closing its connection (never a cancel)")
    driver_connection.terminate()  # asyncpg: close the socket now, no CancelRequest


def _is_file(url) -> bool:
    return bool(url.database) and url.database != ":memory:" and not url.database.startswith("file:")


def ensure_sqlite_folder(database_url: str) -> None:
    """The default database lives in ./var/, which a fresh checkout does not have yet."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and _is_file(url):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


class _WriterFileLock:
    """An exclusive flock(2) on a file beside the SQLite database, taken by one transaction of a process at a
    time (callers hold the process's asyncio lock)."""

    def __init__(self, path: str):
        self._path = path
        self._fd: int | None = None

    async def acquire(self) -> None:
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        fd = self._fd
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass  # another process writes: wait for it in a thread, not in the event loop
        waiting = asyncio.ensure_future(asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX))
        try:
            await asyncio.shield(waiting)
        except asyncio.CancelledError:
            # The thread still gets the lock eventually: let it go then, or every process would wait forever.
            waiting.add_done_callback(lambda done: done.cancelled() or done.exception() or self.release())
            raise

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class InlineConnection:
    """The part of AsyncConnection that repositories use, over a synchronous SQLite connection."""

    def __init__(self, conn: sa.Connection):
        self._conn = conn
        self.dialect = conn.dialect

    async def execute(self, statement, parameters=None):
        return self._conn.execute(statement, parameters)


def _inline_sqlite_engine(settings: Settings, url) -> sa.Engine:
    engine = sa.create_engine(url.set(drivername="sqlite+pysqlite"), pool_size=2, max_overflow=0,
                              connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000})
    _configure_sqlite(engine, settings.sqlite_busy_timeout_ms)
    # Each statement is its own read transaction (no BEGIN ... ROLLBACK around it), so none stays open.
    return engine.execution_options(isolation_level="AUTOCOMMIT", **{_AUTOCOMMIT_READS: True})


def _inline_sqlite_writer(url) -> sa.Engine:
    # No busy timeout: it would block the event loop (see Database._begin).
    engine = sa.create_engine(url.set(drivername="sqlite+pysqlite"), pool_size=1, max_overflow=0,
                              connect_args={"timeout": 0})
    _configure_sqlite(engine, busy_timeout_ms=0)
    return engine


def _configure_sqlite(sync_engine: sa.Engine, busy_timeout_ms: int) -> None:
    """WAL for concurrent readers, FULL sync so a 201 means the order is on disk, and BEGIN IMMEDIATE so
    writers queue on the busy timeout instead of failing when a read transaction tries to upgrade."""

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
        if conn.get_execution_options().get(_AUTOCOMMIT_READS):
            return
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(_READ_ONLY) else "BEGIN IMMEDIATE")


# Reads of a whole arena's seats come from a cursor this many rows at a time: 60,000 rows fetched at once were a
# ~25 MB peak per process, freed in pieces the allocator rarely gives back to the system.
ROWS_PER_READ = 2000


async def rows_in_parts(conn: AsyncConnection, statement: sa.Executable, parameters: dict | None = None
                        ) -> AsyncIterator[Sequence[sa.Row]]:
    """The statement's rows from a server-side cursor, ROWS_PER_READ at a time (inside a transaction, as in
    Database.read; close it with contextlib.aclosing)."""
    async with conn.stream(statement, parameters) as result:
        async for rows in result.partitions(ROWS_PER_READ):
            yield rows
