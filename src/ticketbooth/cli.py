"""The `ticketbooth` command: serve, migrate, seed-demo."""

import argparse
import asyncio
import logging
import sqlite3
import sys
import time

import uvicorn
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from ticketbooth.config import get_settings
from ticketbooth.db import migrate
from ticketbooth.db.database import Database, ensure_sqlite_folder
from ticketbooth.observability import prepare_multiprocess_metrics
from ticketbooth.seed import demo

log = logging.getLogger("ticketbooth")


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


# Worth waiting for: the server is not (yet) accepting connections, is starting up or shutting down, or is full.
_TRANSIENT_SQLSTATE_PREFIXES = ("08", "57P", "53")
_TRANSIENT_MYSQL_ERRNOS = {1040, 1053, 2002, 2003, 2005, 2006, 2013, 2055}
_CONFIG_OS_ERRORS = (FileNotFoundError, FileExistsError, NotADirectoryError, IsADirectoryError, PermissionError)


def _chain(exc: BaseException):
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__


def classify_start_error(exc: BaseException) -> tuple[bool, str] | None:
    """(worth retrying, reason) when `exc` says the database cannot be reached or used; None for a real bug.

    A server that refuses connections, is still starting, or is full is waited for. A wrong password, a
    database that does not exist, or a SQLite file that cannot be created is a configuration error: retrying
    cannot help, so it is reported at once.
    """
    found: tuple[bool, str] | None = None
    for link in _chain(exc):
        reason = str(link).split("\n(Background on this error", 1)[0].strip() or type(link).__name__
        sqlstate = getattr(link, "sqlstate", None) or getattr(link, "pgcode", None)
        args = getattr(link, "args", ())
        if isinstance(link, sqlite3.Error):
            return False, f"{reason} (does the folder exist, and may this user write to it?)"
        if isinstance(link, _CONFIG_OS_ERRORS):
            return False, reason
        if isinstance(link, (OSError, TimeoutError)):  # refused, reset, unreachable, DNS not (yet) resolvable
            return True, reason
        if isinstance(sqlstate, str) and sqlstate:
            return sqlstate.startswith(_TRANSIENT_SQLSTATE_PREFIXES), reason
        if args and isinstance(args[0], int) and 1000 <= args[0] < 3000:  # a MySQL/MariaDB error number
            return args[0] in _TRANSIENT_MYSQL_ERRNOS, reason
        if found is None and isinstance(link, DBAPIError):
            found = (False, reason)
    return found


def _open_sqlite_file(url: str) -> None:
    """Open (or create) a SQLite file synchronously first: a path that cannot be used fails here, cleanly,
    instead of inside aiosqlite's worker thread."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        ensure_sqlite_folder(url)
        sqlite3.connect(parsed.database).close()


def _migrate_with_retry(url: str, wait_s: float | None = None) -> None:
    """A database that is still starting is waited for with backoff; a clear message, never a traceback."""
    wait_s = get_settings().db_start_timeout_s if wait_s is None else wait_s
    deadline = time.monotonic() + wait_s
    delay = 0.5
    while True:
        try:
            _open_sqlite_file(url)
            migrate.upgrade(url)
            return
        except Exception as exc:
            verdict = classify_start_error(exc)
            if verdict is None:
                raise
            transient, reason = verdict
        if not transient:
            sys.exit(f"ticketbooth: cannot use the database at {_safe_url(url)}: {reason}")
        left = deadline - time.monotonic()
        if left <= 0:
            sys.exit(f"ticketbooth: the database at {_safe_url(url)} is still not reachable after {wait_s:g}s "
                     f"(TICKETBOOTH_DB_START_TIMEOUT_S): {reason}")
        pause = min(delay, left)
        log.warning("database %s not reachable (%s); retrying in %.1fs", _safe_url(url), reason, pause)
        time.sleep(pause)
        delay = min(delay * 2, 5)


async def _seed_if_empty() -> bool:
    db = Database(get_settings())
    try:
        if not await demo.is_empty(db):
            return False
        await demo.seed_demo(db)
        return True
    finally:
        await db.dispose()


def cmd_migrate(_args) -> None:
    settings = get_settings()
    _migrate_with_retry(settings.database_url)
    print(f"database at {_safe_url(settings.database_url)} is at the newest schema")


def cmd_seed_demo(_args) -> None:
    settings = get_settings()
    _migrate_with_retry(settings.database_url)
    seeded = asyncio.run(_seed_if_empty())
    print("demo data seeded" if seeded else "database already holds events; demo data not added")


def cmd_serve(args) -> None:
    settings = get_settings()
    _migrate_with_retry(settings.database_url)
    if not args.no_seed and asyncio.run(_seed_if_empty()):
        log.warning("empty database: demo data seeded (customer %s)", demo.DEMO_CUSTOMER["email"])
    prepare_multiprocess_metrics(args.workers)
    uvicorn.run(
        "ticketbooth.app:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers,
        log_level=settings.log_level,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        access_log=False,  # the app writes its own access lines, with the request id
        timeout_graceful_shutdown=30,
        loop="ticketbooth.serving:BatchAcceptLoop",
        http="ticketbooth.serving:CoalescingHttpToolsProtocol",
    )


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="ticketbooth", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="migrate, seed an empty database with demo data, and serve API + web app")
    serve.add_argument("--host", help="bind address (default: TICKETBOOTH_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: TICKETBOOTH_PORT or 4000)")
    serve.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    serve.add_argument("--no-seed", action="store_true", help="do not seed demo data into an empty database")
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("migrate", help="bring the database to the newest schema").set_defaults(func=cmd_migrate)
    sub.add_parser("seed-demo", help="add the demo events and users to an empty database").set_defaults(
        func=cmd_seed_demo
    )
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
